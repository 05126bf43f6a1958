/**
 * Writes the `.meta` file a save leaves next to the checkpoint: Python's `Saver.export_meta_graph`,
 * i.e. the graph I/O module's `exportMetaGraph` (lib/graph-io: graph_def with `_output_shapes`, the
 * stripped op list, every serializable collection) with this saver's SaverDef, written atomically.
 * A file-system failure is the TF error TF's own file system would raise for that errno, naming
 * the `.meta` file (not a bare Node `EISDIR`/`ENOSPC`).
 */
import type { SaverDef } from '../../proto/gen/tensorflow/core/protobuf/saver_pb';
import type { Graph } from '../../core/graph';
import { exportMetaGraph, writeMetaGraphFile } from '../../graph-io/export';
import { errnoOf, ioError } from '../../core/file-paths';

export interface MetaGraphOptions {
  /** Remove attrs whose value is the OpDef default (Python's `strip_default_attrs`). */
  stripDefaultAttrs?: boolean;
}

/**
 * Writes `filename`: the binary MetaGraphDef of `graph` with `saverDef`. Without
 * `stripDefaultAttrs` (a checkpoint's `.meta`), through the graph I/O module's serialized-GraphDef
 * cache: a training graph does not change between saves, so only the first save pays for turning
 * the graph into bytes (same bytes as a full export).
 */
export async function writeMetaGraph(
  filename: string,
  graph: Graph,
  saverDef: SaverDef | null,
  opts: MetaGraphOptions = {},
): Promise<void> {
  try {
    if (opts.stripDefaultAttrs) await exportMetaGraph(graph, { filename, saverDef, stripDefaultAttrs: true });
    else await writeMetaGraphFile(graph, filename, { saverDef });
  } catch (e) {
    if (errnoOf(e)) throw ioError(e, filename);
    throw e;
  }
}
