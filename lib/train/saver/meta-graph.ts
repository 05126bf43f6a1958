/**
 * Writes the `.meta` file a save leaves next to the checkpoint: a binary MetaGraphDef that Python's
 * `tf.compat.v1.train.import_meta_graph` reads.
 *
 * INTEGRATION POINT (formats engineer, lib/core/graph-io*): the full `exportMetaGraph` (collections
 * of every kind, `_output_shapes`, Python's exact bytes) belongs to the graph I/O module. Until the
 * Saver calls it, this minimal export writes what a restore needs and what Python's importer uses:
 * `meta_info_def` (stripped op list of the ops used, TF version), `graph_def`, `saver_def`, and the
 * collections whose values this module can serialize (VariableDef/SaverDef messages as bytes_list;
 * names, Operations and Outputs as node_list). Replace the body of {@link writeMetaGraph} with a call
 * to the graph I/O export when it exists; the signature is what the Saver needs.
 */
import { create, equals, fromBinary, isMessage } from '@bufbuild/protobuf';
import { GraphDefSchema } from '../../proto/gen/tensorflow/core/framework/graph_pb';
import { AttrValueSchema } from '../../proto/gen/tensorflow/core/framework/attr_value_pb';
import { OpListSchema } from '../../proto/gen/tensorflow/core/framework/op_def_pb';
import { VariableDefSchema } from '../../proto/gen/tensorflow/core/framework/variable_pb';
import {
  CollectionDefSchema, MetaGraphDefSchema, MetaGraphDef_MetaInfoDefSchema, type CollectionDef, type MetaGraphDef,
} from '../../proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { SaverDefSchema, type SaverDef } from '../../proto/gen/tensorflow/core/protobuf/saver_pb';
import { toBinaryDeterministic } from '../../proto/binary';
import { Graph, Operation, Output } from '../../core/graph';
import { opDefs } from '../../core/op-defs';
import { tfVersion } from '../../native';
import { atomicWriteFile } from './files';

export interface MetaGraphOptions {
  /** Remove attrs whose value is the OpDef default (Python's `strip_default_attrs`). */
  stripDefaultAttrs?: boolean;
}

function collectionDef(values: unknown[]): CollectionDef | null {
  if (!values.length) return null;
  const toBytes = (v: unknown): Uint8Array | null => {
    if (isMessage(v, VariableDefSchema)) return toBinaryDeterministic(VariableDefSchema, v);
    if (isMessage(v, SaverDefSchema)) return toBinaryDeterministic(SaverDefSchema, v);
    return null;
  };
  const bytes = values.map(toBytes);
  if (bytes.every((b) => b !== null)) {
    return create(CollectionDefSchema, { kind: { case: 'bytesList', value: { value: bytes as Uint8Array[] } } });
  }
  const names = values.map((v) => (typeof v === 'string' ? v : v instanceof Output || v instanceof Operation ? v.name : null));
  if (names.every((n) => n !== null)) {
    return create(CollectionDefSchema, { kind: { case: 'nodeList', value: { value: names as string[] } } });
  }
  return null;
}

/** The MetaGraphDef of `graph` with `saverDef`, as the minimal export described above. */
export function buildMetaGraphDef(graph: Graph, saverDef: SaverDef | null, opts: MetaGraphOptions = {}): MetaGraphDef {
  const graphDef = fromBinary(GraphDefSchema, graph.toGraphDef());
  const defs = opDefs();
  const used = new Set<string>();
  for (const n of graphDef.node) used.add(n.op);
  for (const f of graphDef.library?.function ?? []) for (const n of f.nodeDef) used.add(n.op);
  if (opts.stripDefaultAttrs) {
    for (const n of graphDef.node) {
      const def = defs.get(n.op);
      if (!def) continue;
      for (const a of def.attr) {
        if (a.defaultValue && n.attr[a.name] && equals(AttrValueSchema, n.attr[a.name], a.defaultValue)) delete n.attr[a.name];
      }
    }
  }
  const strippedOpList = create(OpListSchema, {
    op: [...used].filter((t) => defs.has(t)).sort().map((t) => defs.get(t)!),
  });
  const meta = create(MetaGraphDefSchema, {
    metaInfoDef: create(MetaGraphDef_MetaInfoDefSchema, {
      strippedOpList,
      tensorflowVersion: tfVersion(),
      strippedDefaultAttrs: !!opts.stripDefaultAttrs,
    }),
    graphDef,
  });
  if (saverDef) meta.saverDef = saverDef;
  for (const key of [...graph.collections.keys()].sort()) {
    const c = collectionDef(graph.getCollection(key));
    if (c) meta.collectionDef[key] = c;
  }
  return meta;
}

/** Writes `<filename>` (binary MetaGraphDef) atomically, as Python's `export_meta_graph` does. */
export async function writeMetaGraph(filename: string, graph: Graph, saverDef: SaverDef | null, opts: MetaGraphOptions = {}): Promise<MetaGraphDef> {
  const meta = buildMetaGraphDef(graph, saverDef, opts);
  await atomicWriteFile(filename, toBinaryDeterministic(MetaGraphDefSchema, meta));
  return meta;
}
