/**
 * Python's `tf.compat.v1.train.export_meta_graph` (meta_graph.py's `export_scoped_meta_graph` and
 * `create_meta_graph_def`): the MetaGraphDef of a graph, with the parts Python fills
 * (docs/python-parity.md#710-the-meta-graph). For a graph loaded from a MetaGraphDef written by the
 * same TF version, the export is byte-identical to Python's re-export.
 */
import { clone, create, equals, type MessageInitShape } from '@bufbuild/protobuf';
import { AttrValueSchema } from '../proto/gen/tensorflow/core/framework/attr_value_pb';
import { GraphDefSchema, type GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import type { NodeDef } from '../proto/gen/tensorflow/core/framework/node_def_pb';
import { OpDefSchema, OpListSchema, type OpList } from '../proto/gen/tensorflow/core/framework/op_def_pb';
import {
  MetaGraphDefSchema,
  MetaGraphDef_MetaInfoDefSchema,
  type MetaGraphDef,
  type MetaGraphDef_MetaInfoDef,
} from '../proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { SaverDefSchema, type SaverDef } from '../proto/gen/tensorflow/core/protobuf/saver_pb';
import { Graph } from '../core/graph';
import { collectionDefsOf } from '../core/collections';
import { opDef } from '../core/op-defs';
import { opsUsedByGraphDef } from '../core/missing-ops';
import { messageFromPlain } from '../core/plain-message';
import { invalidArgument } from '../core/errors';
import { tfVersion } from '../native';
import { atomicWrite, atomicWriteSync, serializeGraph } from './write-graph';
import { toBinaryDeterministic } from '../proto/binary';
import * as io from '../core/file-io';
import { pyDirname } from '../core/file-paths';
import { ioError } from '../core/io-errors';

export interface ExportMetaGraphOptions {
  /** Also write the MetaGraphDef to this file (binary, or text with `asText`), atomically; its folder is created. */
  filename?: string;
  /** Write `filename` in text format. Default false. */
  asText?: boolean;
  /** The collections to export (Python's `collection_list`). Default: every collection of the graph. */
  collectionList?: readonly string[];
  /** The SaverDef to record. Default (undefined): `graph.saverDef`; null: none. */
  saverDef?: SaverDef | null;
  /** Clear every node's device in the exported graph_def. */
  clearDevices?: boolean;
  /** Drop attrs that hold their OpDef's default value and set `meta_info_def.stripped_default_attrs`. */
  stripDefaultAttrs?: boolean;
  /** Use this GraphDef instead of the graph's own (Python's `graph_def`). */
  graphDef?: GraphDef;
  /**
   * MetaInfoDef fields to record (Python's `meta_info_def`: `metaGraphVersion`, `tags`, `anyInfo`,
   * ...), as a message or a plain camelCase object. `tensorflowVersion` is always the loaded
   * library's. The C API does not expose TF's git version: `tensorflowGitVersion` given here is
   * written; otherwise, for a graph loaded from a MetaGraphDef of the same TF version, that file's
   * git version; otherwise `'unknown'` (what TF reports for a build without git information).
   */
  metaInfoDef?: MetaGraphDef_MetaInfoDef | MessageInitShape<typeof MetaGraphDef_MetaInfoDefSchema>;
}

/**
 * Python's `stripped_op_list_for_graph`: the OpDefs of the loaded libtensorflow for the ops the
 * GraphDef uses (functions followed), sorted by name; ops it does not register are skipped.
 */
export function strippedOpListForGraph(graphDef: GraphDef): OpList {
  const op = [];
  for (const name of opsUsedByGraphDef(graphDef)) {
    const def = opDef(name);
    if (def) op.push(clone(OpDefSchema, def));
  }
  return create(OpListSchema, { op });
}

/** Python's `strip_graph_default_valued_attrs`, in place. */
export function stripDefaultValuedAttrs(meta: MetaGraphDef): void {
  const gd = meta.graphDef;
  if (gd) {
    const functions = new Set((gd.library?.function ?? []).map((f) => f.signature?.name));
    const strip = (node: NodeDef) => {
      if (functions.has(node.op)) return;
      const def = opDef(node.op);
      if (!def) return;
      for (const [name, value] of Object.entries(node.attr)) {
        const attrDef = def.attr.find((a) => a.name === name);
        if (attrDef?.defaultValue && equals(AttrValueSchema, value, attrDef.defaultValue)) delete node.attr[name];
      }
    };
    gd.node.forEach(strip);
    for (const f of gd.library?.function ?? []) f.nodeDef.forEach(strip);
  }
  meta.metaInfoDef ??= create(MetaGraphDef_MetaInfoDefSchema);
  meta.metaInfoDef.strippedDefaultAttrs = true;
}

function checkOptions(graph: unknown, opts: ExportMetaGraphOptions): void {
  if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  if (opts.filename !== undefined && (typeof opts.filename !== 'string' || !opts.filename))
    throw invalidArgument('filename', 'a file path', opts.filename);
  if (
    opts.collectionList !== undefined &&
    (!Array.isArray(opts.collectionList) || !opts.collectionList.every((k) => typeof k === 'string'))
  ) {
    throw invalidArgument('collectionList', 'an array of collection keys', opts.collectionList);
  }
  if (opts.saverDef !== undefined && opts.saverDef !== null && opts.saverDef.$typeName !== SaverDefSchema.typeName) {
    throw invalidArgument('saverDef', 'a tensorflow.SaverDef message or null', opts.saverDef);
  }
  if (opts.graphDef !== undefined && opts.graphDef?.$typeName !== GraphDefSchema.typeName) {
    throw invalidArgument('graphDef', 'a tensorflow.GraphDef message', opts.graphDef);
  }
}

/** The MetaGraphDef Python's `export_meta_graph` would produce for `graph` (nothing is written). */
export function buildMetaGraphDef(graph: Graph, opts: ExportMetaGraphOptions = {}): MetaGraphDef {
  checkOptions(graph, opts);
  const graphDef = opts.graphDef ? clone(GraphDefSchema, opts.graphDef) : graph.asGraphDef({ addShapes: true });
  if (opts.clearDevices) for (const n of graphDef.node) n.device = '';

  const given =
    opts.metaInfoDef === undefined
      ? undefined
      : clone(MetaGraphDef_MetaInfoDefSchema, messageFromPlain(MetaGraphDef_MetaInfoDefSchema, opts.metaInfoDef, 'metaInfoDef'));
  const info = given ?? create(MetaGraphDef_MetaInfoDefSchema);
  const version = tfVersion();
  info.tensorflowGitVersion =
    given?.tensorflowGitVersion ||
    (graph.metaInfoDef?.tensorflowVersion === version && graph.metaInfoDef.tensorflowGitVersion) ||
    'unknown';
  info.tensorflowVersion = version;
  if (!info.strippedOpList?.op.length) info.strippedOpList = strippedOpListForGraph(graphDef);

  const meta = create(MetaGraphDefSchema, { metaInfoDef: info, graphDef });
  if (opts.stripDefaultAttrs) stripDefaultValuedAttrs(meta);
  const saverDef = opts.saverDef === undefined ? graph.saverDef : opts.saverDef;
  if (saverDef) meta.saverDef = clone(SaverDefSchema, saverDef);
  meta.collectionDef = collectionDefsOf(graph, opts.collectionList);
  return meta;
}

/** A graph's serialized GraphDef with `_output_shapes`, and its stripped op list, at one revision. */
interface GraphDefBytes {
  revision: number;
  bytes: Uint8Array;
  strippedOpList: OpList;
}
const graphDefBytesCache = new WeakMap<Graph, GraphDefBytes>();

/**
 * The graph's GraphDef with `_output_shapes`, serialized, and its stripped op list: kept while the
 * graph is unchanged. Producing them is most of a `.meta` write (TF's GraphDef decoded, a shape
 * read per output, the message encoded again: tens of ms for a 1 MB graph); a training graph is
 * finalized, so every checkpoint after the first reuses them.
 */
function graphDefBytes(graph: Graph): GraphDefBytes {
  const cached = graphDefBytesCache.get(graph);
  if (cached && cached.revision === graph.revision) return cached;
  const revision = graph.revision;
  const gd = graph.asGraphDef({ addShapes: true });
  const entry = { revision, bytes: toBinaryDeterministic(GraphDefSchema, gd), strippedOpList: strippedOpListForGraph(gd) };
  graphDefBytesCache.set(graph, entry);
  return entry;
}

/** Field 2 (graph_def) of a MetaGraphDef, wire type 2: its tag and length prefix. */
function graphDefFieldHeader(length: number): Uint8Array {
  const out = [0x12];
  let n = length;
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}

/**
 * The binary MetaGraphDef that {@link exportMetaGraph} writes for `graph` (binary, no `graphDef`,
 * `clearDevices`, `stripDefaultAttrs` or `metaInfoDef` override), without building the graph_def
 * message: the cached GraphDef bytes are put between the meta_info_def (field 1) and the fields
 * after it (saver_def, collection_def, ...), which is where a serializer writing fields in number
 * order, as TF's does, puts them. Same bytes, a fraction of the work after the first call.
 */
export function serializeMetaGraph(graph: Graph, opts: Pick<ExportMetaGraphOptions, 'saverDef' | 'collectionList'> = {}): Uint8Array {
  checkOptions(graph, opts);
  const gd = graphDefBytes(graph);
  const info = create(MetaGraphDef_MetaInfoDefSchema);
  const version = tfVersion();
  info.tensorflowGitVersion = (graph.metaInfoDef?.tensorflowVersion === version && graph.metaInfoDef.tensorflowGitVersion) || 'unknown';
  info.tensorflowVersion = version;
  info.strippedOpList = gd.strippedOpList;
  const head = toBinaryDeterministic(MetaGraphDefSchema, create(MetaGraphDefSchema, { metaInfoDef: info }));
  const rest = create(MetaGraphDefSchema);
  const saverDef = opts.saverDef === undefined ? graph.saverDef : opts.saverDef;
  if (saverDef) rest.saverDef = clone(SaverDefSchema, saverDef);
  rest.collectionDef = collectionDefsOf(graph, opts.collectionList);
  const tail = toBinaryDeterministic(MetaGraphDefSchema, rest);
  const header = graphDefFieldHeader(gd.bytes.length);
  const out = new Uint8Array(head.length + header.length + gd.bytes.length + tail.length);
  out.set(head, 0);
  out.set(header, head.length);
  out.set(gd.bytes, head.length + header.length);
  out.set(tail, head.length + header.length + gd.bytes.length);
  return out;
}

/** Writes {@link serializeMetaGraph}'s bytes to `filename`, atomically (its folder is created). */
export async function writeMetaGraphFile(
  graph: Graph,
  filename: string,
  opts: Pick<ExportMetaGraphOptions, 'saverDef' | 'collectionList'> = {},
): Promise<void> {
  const data = serializeMetaGraph(graph, opts);
  await io.mkdirp(pyDirname(filename) || '.');
  await atomicWrite(filename, data);
}

/**
 * Python's `tf.compat.v1.train.export_meta_graph(filename, ..., graph=graph)`: builds the
 * MetaGraphDef and, with `filename`, writes it. Resolves to the message. Its parts:
 * - `meta_info_def`: the stripped op list, `tensorflow_version` (the library's `TF_Version()`),
 *   `tensorflow_git_version` (see {@link ExportMetaGraphOptions.metaInfoDef}), and whatever
 *   `metaInfoDef` adds (tags, ...);
 * - `graph_def` with `_output_shapes`;
 * - `saver_def`: the given one, else the graph's (`graph.saverDef`);
 * - `collection_def`: every serializable collection, with Python's kinds (collections.ts).
 * @example const meta = await exportMetaGraph(graph, { filename: 'runs/a/model.meta' });
 */
export async function exportMetaGraph(graph: Graph, opts: ExportMetaGraphOptions = {}): Promise<MetaGraphDef> {
  const meta = buildMetaGraphDef(graph, opts);
  if (opts.filename) {
    const data = serializeGraph(meta, !!opts.asText);
    try {
      await io.mkdirp(pyDirname(opts.filename) || '.');
      await atomicWrite(opts.filename, data);
    } catch (e) {
      throw ioError(e, opts.filename); // a typed error naming the file, as writeGraph's
    }
  }
  return meta;
}

/** Synchronous {@link exportMetaGraph}. */
export function exportMetaGraphSync(graph: Graph, opts: ExportMetaGraphOptions = {}): MetaGraphDef {
  const meta = buildMetaGraphDef(graph, opts);
  if (opts.filename) {
    const data = serializeGraph(meta, !!opts.asText);
    try {
      io.mkdirpSync(pyDirname(opts.filename) || '.');
      atomicWriteSync(opts.filename, data);
    } catch (e) {
      throw ioError(e, opts.filename);
    }
  }
  return meta;
}
