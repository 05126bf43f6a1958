/**
 * The Graph the package exports: core's Graph plus reading graph files and messages
 * (`Graph.load`, `Graph.loadSync`, `Graph.fromGraphDef`, `Graph.fromMetaGraph`). The statics
 * live here, above core, so that core does not depend on TF's graph file formats.
 */
import type { GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import type { MetaGraphDef } from '../proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { Graph as CoreGraph } from '../core/graph';
import {
  graphFromGraphDef,
  graphFromMetaGraph,
  loadGraph,
  loadGraphSync,
  type FromGraphDefOptions,
  type FromMetaGraphOptions,
  type LoadGraphOptions,
} from './load';

export class Graph extends CoreGraph {
  /**
   * Loads a graph file, recognising its format by content, not by name: a binary MetaGraphDef
   * (`.meta`, with its collections and SaverDef), a binary GraphDef (`.pb`) or either one in text
   * format (`graph.pbtxt`). A GraphDef has no collections: the variables, trainable variables,
   * global step and saver are recognised from its nodes. Malformed input is a GraphFormatError
   * naming the file and the problem; ops the loaded libtensorflow lacks, a MissingOpsError.
   * @example const graph = await Graph.load('model.meta', { clearDevices: true });
   */
  static load(source: string | Uint8Array, opts?: LoadGraphOptions): Promise<CoreGraph> {
    return loadGraph(source, opts);
  }

  /** {@link Graph.load} with a synchronous file read. */
  static loadSync(source: string | Uint8Array, opts?: LoadGraphOptions): CoreGraph {
    return loadGraphSync(source, opts);
  }

  /**
   * A new graph (or `opts.graph`) from a GraphDef message or its bytes (binary or text): Python's
   * `tf.import_graph_def`, plus the variables and saver recognised from the nodes.
   */
  static fromGraphDef(graphDef: GraphDef | Uint8Array, opts?: FromGraphDefOptions): CoreGraph {
    return graphFromGraphDef(graphDef, opts);
  }

  /**
   * A new graph (or `opts.graph`) from a MetaGraphDef (a message, its bytes, or a file path read
   * synchronously): Python's `tf.compat.v1.train.import_meta_graph` with `importScope`,
   * `clearDevices`, `inputMap`, `restoreCollectionsPredicate`.
   * @example
   *   const g = Graph.fromMetaGraph('model.meta', { importScope: 'tower_0', clearDevices: true });
   *   g.saverDef?.restoreOpName; // 'tower_0/save/restore_all'
   */
  static fromMetaGraph(metaGraphDef: MetaGraphDef | Uint8Array | string, opts?: FromMetaGraphOptions): CoreGraph {
    return graphFromMetaGraph(metaGraphDef, opts);
  }
}
