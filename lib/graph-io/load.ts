/**
 * Loading graphs: `Graph.load` (any graph file, recognised by content), `Graph.fromGraphDef`
 * (Python's `tf.import_graph_def` into a new graph) and `Graph.fromMetaGraph` / `importMetaGraph`
 * (Python's `tf.compat.v1.train.import_meta_graph`: graph, collections re-scoped under the import
 * scope, devices cleared on request, input map, SaverDef).
 *
 * Before TF's importer runs, the graph's ops are checked against the loaded libtensorflow
 * (missing-ops.ts), so a graph from a newer TF or with custom ops fails with an error naming every
 * missing op and both GraphDef versions.
 */
import { readFileSync, statSync, promises as fsp } from 'node:fs';
import * as io from '../core/file-io';
import { clone, create, equals, isMessage } from '@bufbuild/protobuf';
import { AttrValueSchema } from '../proto/gen/tensorflow/core/framework/attr_value_pb';
import { GraphDefSchema, type GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import type { OpList } from '../proto/gen/tensorflow/core/framework/op_def_pb';
import { MetaGraphDef_MetaInfoDefSchema, type MetaGraphDef } from '../proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { SaverDefSchema } from '../proto/gen/tensorflow/core/protobuf/saver_pb';
import { Graph, type TensorRef, type OpRef } from '../core/graph';
import { importCollections, rescopeSaverDef, rescopeVariableDef } from '../core/collections';
import { opDef } from '../core/op-defs';
import { ArgumentError, NotFoundError, invalidArgument } from '../core/errors';
import { GraphFormatError } from '../core/graph-errors';
import { parseGraphBytes } from './detect';
import { findSaverDefs, findVariables } from '../core/graph-variables';
import { ioError } from '../core/io-errors';
import { checkPath } from '../core/options';

/** Options shared by every way of loading a graph. */
export interface GraphImportOptions {
  /**
   * Prefix for every imported name (Python's `import_scope` / `import_graph_def(name=)`); collection
   * members and the SaverDef are re-scoped with it. Default: none.
   */
  importScope?: string;
  /** Clear every node's device, so a graph placed on a cluster runs anywhere (Python's `clear_devices`). */
  clearDevices?: boolean;
  /** Replace tensors of the imported graph: key `'name:i'` in the file → a tensor of the graph imported into. */
  inputMap?: Record<string, TensorRef>;
  /** The name used in error messages when the input is not a path. */
  source?: string;
  /**
   * Import into this graph instead of a new one (Python imports into the default graph); needed for
   * an `inputMap` onto existing tensors. The call returns this graph.
   */
  graph?: Graph;
}

/** Options of loading a GraphDef (which has no collections). */
export interface FromGraphDefOptions extends GraphImportOptions {
  /**
   * Fill the `variables`, `trainable_variables` and `global_step` collections with VariableDefs
   * recognised from the nodes, and `graph.saverDef` with the graph's saver when it has exactly one
   * (see core/graph-variables.ts). Default true.
   */
  findVariables?: boolean;
  /** Python's `producer_op_list`: attrs unknown to this TF that have the producer's default value are dropped. */
  producerOpList?: OpList;
  /** Python's `import_graph_def(control_dependencies)`: control inputs added to the imported ops without inputs. */
  controlDependencies?: OpRef[];
}

/** Options of loading a MetaGraphDef. */
export interface FromMetaGraphOptions extends GraphImportOptions {
  /** Python's `restore_collections_predicate`: restore only the collections it accepts. */
  restoreCollectionsPredicate?: (key: string) => boolean;
}

export type LoadGraphOptions = FromGraphDefOptions & FromMetaGraphOptions;

const isGraphDef = (x: unknown): x is GraphDef => isMessage(x) && x.$typeName === 'tensorflow.GraphDef';
const isMetaGraphDef = (x: unknown): x is MetaGraphDef => isMessage(x) && x.$typeName === 'tensorflow.MetaGraphDef';

// Protobuf messages are limited to 2 GiB; Node's readFile refuses more anyway.
const MAX_GRAPH_FILE = 2 ** 31 - 1;

/**
 * Only a regular file is read: a FIFO without a writer or a device such as /dev/zero would block
 * or never end (a pipe's pending read even kept the process from exiting).
 */
function checkGraphFile(path: string, stat: { isFile(): boolean; isDirectory(): boolean; size: number }): void {
  if (stat.isDirectory()) throw new GraphFormatError('is a directory; expected a graph file (.meta, .pb or .pbtxt)', { file: path });
  if (!stat.isFile()) throw new GraphFormatError('is not a regular file; expected a graph file (.meta, .pb or .pbtxt)', { file: path });
  if (stat.size > MAX_GRAPH_FILE)
    throw new GraphFormatError(`is ${stat.size} bytes, more than a protobuf message can hold (2 GiB)`, { file: path });
}

/** A file through TF's filesystem (a path with a scheme): TF's stat has no "regular file". */
function tfStat(path: string): { isFile(): boolean; isDirectory(): boolean; size: number } {
  const st = io.stat(path);
  if (!st) throw new NotFoundError(`${path}: no such file; expected a graph file (.meta, .pb or .pbtxt)`);
  return { isFile: () => !st.isDirectory, isDirectory: () => st.isDirectory, size: st.length };
}

async function readGraphFile(path: string): Promise<Uint8Array> {
  checkPath(path, 'source');
  if (io.usesTfFilesystem(path, 'source')) {
    try {
      checkGraphFile(path, tfStat(path));
      return await io.readFile(path);
    } catch (e) {
      throw fileError(path, e);
    }
  }
  try {
    checkGraphFile(path, await fsp.stat(path));
    return await fsp.readFile(path);
  } catch (e) {
    throw fileError(path, e);
  }
}

function readGraphFileSync(path: string): Uint8Array {
  checkPath(path, 'source');
  if (io.usesTfFilesystem(path, 'source')) {
    try {
      checkGraphFile(path, tfStat(path));
      return io.readFileSync(path);
    } catch (e) {
      throw fileError(path, e);
    }
  }
  try {
    checkGraphFile(path, statSync(path));
    return readFileSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
}

function fileError(path: string, e: unknown): Error {
  if (e instanceof GraphFormatError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new NotFoundError(`${path}: no such file; expected a graph file (.meta, .pb or .pbtxt)`);
  return code ? ioError(e, path) : (e as Error);
}

/** `Graph.load`: reads a file (or takes bytes), recognises the format, imports it into a new graph. */
export async function loadGraph(source: string | Uint8Array, opts: LoadGraphOptions = {}): Promise<Graph> {
  checkOptionsArg(opts);
  if (typeof source === 'string') return graphFromBytes(await readGraphFile(source), { ...opts, source: opts.source ?? source });
  return loadGraphSync(source, opts);
}

/** `Graph.loadSync`: {@link loadGraph} with a synchronous file read. */
export function loadGraphSync(source: string | Uint8Array, opts: LoadGraphOptions = {}): Graph {
  checkOptionsArg(opts);
  if (typeof source === 'string') return graphFromBytes(readGraphFileSync(source), { ...opts, source: opts.source ?? source });
  if (!(source instanceof Uint8Array)) throw invalidArgument('source', 'a file path or the bytes of a graph file', source);
  return graphFromBytes(source, opts);
}

function checkOptionsArg(opts: unknown): void {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
}

function graphFromBytes(bytes: Uint8Array, opts: LoadGraphOptions): Graph {
  checkOptions(opts);
  const parsed = parseGraphBytes(bytes, { file: opts.source });
  const graph = opts.graph ?? new Graph();
  if (parsed.metaGraphDef) importMetaGraph(graph, parsed.metaGraphDef, opts);
  else importGraphDefInto(graph, parsed.graphDef!, opts);
  return graph;
}

/** `Graph.fromGraphDef`: a GraphDef message or its binary serialization, into a new graph. */
export function graphFromGraphDef(graphDef: GraphDef | Uint8Array, opts: FromGraphDefOptions = {}): Graph {
  checkOptions(opts);
  let gd: GraphDef;
  if (graphDef instanceof Uint8Array) {
    const parsed = parseGraphBytes(graphDef, { file: opts.source });
    if (!parsed.graphDef)
      throw new GraphFormatError('is a MetaGraphDef, not a GraphDef: use Graph.fromMetaGraph or Graph.load', { file: opts.source });
    gd = parsed.graphDef;
  } else if (isGraphDef(graphDef)) {
    gd = graphDef;
  } else {
    throw invalidArgument('graphDef', 'a tensorflow.GraphDef message or its serialized bytes', graphDef);
  }
  const graph = opts.graph ?? new Graph();
  importGraphDefInto(graph, gd, opts);
  return graph;
}

/** `Graph.fromMetaGraph`: a MetaGraphDef message, its bytes (binary or text) or a file path, into a new graph. */
export function graphFromMetaGraph(meta: MetaGraphDef | Uint8Array | string, opts: FromMetaGraphOptions = {}): Graph {
  checkOptions(opts);
  let m: MetaGraphDef;
  let source = opts.source;
  if (typeof meta === 'string' || meta instanceof Uint8Array) {
    const bytes = typeof meta === 'string' ? readGraphFileSync(meta) : meta;
    if (typeof meta === 'string') source ??= meta;
    const parsed = parseGraphBytes(bytes, { file: source });
    if (!parsed.metaGraphDef)
      throw new GraphFormatError('is a GraphDef, not a MetaGraphDef: use Graph.fromGraphDef or Graph.load', { file: source });
    m = parsed.metaGraphDef;
  } else if (isMetaGraphDef(meta)) {
    m = meta;
  } else {
    throw invalidArgument('metaGraphDef', 'a tensorflow.MetaGraphDef message, its bytes or a file path', meta);
  }
  const graph = opts.graph ?? new Graph();
  importMetaGraph(graph, m, { ...opts, source });
  return graph;
}

function checkOptions(opts: LoadGraphOptions): void {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  if (opts.graph !== undefined && !(opts.graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', opts.graph);
  if (opts.importScope !== undefined && typeof opts.importScope !== 'string')
    throw invalidArgument('importScope', 'a string', opts.importScope);
  if (opts.clearDevices !== undefined && typeof opts.clearDevices !== 'boolean')
    throw invalidArgument('clearDevices', 'a boolean', opts.clearDevices);
  if (opts.inputMap !== undefined && (opts.inputMap === null || typeof opts.inputMap !== 'object')) {
    throw invalidArgument('inputMap', "an object mapping 'name:i' to tensors", opts.inputMap);
  }
  if (opts.restoreCollectionsPredicate !== undefined && typeof opts.restoreCollectionsPredicate !== 'function') {
    throw invalidArgument('restoreCollectionsPredicate', 'a function (key) => boolean', opts.restoreCollectionsPredicate);
  }
}

// Python's graph.unique_name for a scope: the scope itself when no operation uses it.
function uniqueScope(graph: Graph, scope: string): string {
  const used = (s: string) => graph.hasOperation(s) || graph.operations().some((o) => o.name.startsWith(`${s}/`));
  if (!used(scope)) return scope;
  for (let i = 1; ; i++) if (!used(`${scope}_${i}`)) return `${scope}_${i}`;
}

function normalizeScope(graph: Graph, scope: string | undefined): string {
  if (!scope) return '';
  const s = scope.endsWith('/') ? scope.slice(0, -1) : scope;
  return graph.operations().length ? uniqueScope(graph, s) : s;
}

/**
 * Python's `importer._RemoveDefaultAttrs`: drops attrs this TF's OpDef does not have when they hold
 * the producer's default value, so graphs from a newer TF that only added defaulted attrs import.
 */
export function removeDefaultAttrs(graphDef: GraphDef, producerOpList: OpList): void {
  const producer = new Map(producerOpList.op.map((o) => [o.name, o]));
  for (const node of graphDef.node) {
    const prod = producer.get(node.op);
    const mine = prod && opDef(node.op);
    if (!prod || !mine) continue;
    for (const key of Object.keys(node.attr)) {
      if (mine.attr.some((a) => a.name === key)) continue;
      const def = prod.attr.find((a) => a.name === key);
      if (def?.defaultValue && equals(AttrValueSchema, node.attr[key], def.defaultValue)) delete node.attr[key];
    }
  }
}

/**
 * Python's `tf.import_graph_def` into `graph`, plus what a GraphDef-only file needs to train: the
 * variables, trainable variables and global step found from the nodes, and the saver's SaverDef.
 */
export function importGraphDefInto(graph: Graph, graphDef: GraphDef, opts: FromGraphDefOptions = {}): void {
  const needsCopy = opts.clearDevices || opts.producerOpList;
  const gd = needsCopy ? clone(GraphDefSchema, graphDef) : graphDef;
  if (opts.clearDevices) for (const n of gd.node) n.device = '';
  if (opts.producerOpList) removeDefaultAttrs(gd, opts.producerOpList);
  const scope = normalizeScope(graph, opts.importScope);
  graph.importGraphDef(gd, {
    prefix: scope || undefined,
    inputMap: opts.inputMap,
    controlDependencies: opts.controlDependencies,
    source: opts.source,
  });
  if (opts.findVariables === false) return;
  const found = findVariables(gd);
  for (const v of found.variables) {
    const def = rescopeVariableDef(v, scope);
    graph.collections.add('variables', def);
    if (v.trainable) graph.collections.add('trainable_variables', def);
    if (v === found.globalStep) graph.collections.add('global_step', def);
  }
  const savers = findSaverDefs(gd);
  if (savers.length === 1 && !graph.saverDef) graph.saverDef = rescopeSaverDef(savers[0], scope);
}

/**
 * Python's `import_meta_graph` (`import_scoped_meta_graph_with_return_elements`) into `graph`:
 * checks unbound inputs against `inputMap`, clears devices on request, drops attrs unknown to
 * this TF that hold the producer's defaults (the stripped op list), imports the GraphDef under the
 * import scope, restores the collections (re-scoped; see collections.ts) and keeps the SaverDef
 * (re-scoped) as `graph.saverDef` and the MetaInfoDef as `graph.metaInfoDef`.
 * The caller's message is not modified.
 */
export function importMetaGraph(graph: Graph, meta: MetaGraphDef, opts: FromMetaGraphOptions = {}): void {
  checkOptions(opts);
  const file = opts.source;
  const unbound = meta.collectionDef.unbound_inputs;
  if (unbound?.kind.case === 'nodeList' || unbound?.kind.case === 'bytesList') {
    const names = unbound.kind.value.value.map((v) => (typeof v === 'string' ? v : Buffer.from(v).toString('utf8')));
    const given = Object.keys(opts.inputMap ?? {});
    if (names.length && (!given.length || [...names].sort().join('\0') !== [...given].sort().join('\0'))) {
      throw new ArgumentError(
        'inputMap',
        `${file ? `${file}: ` : ''}Graph contains unbound inputs: ${names.filter((n) => !given.includes(n)).join(',')}. ` +
          'Must provide these inputs through inputMap.',
      );
    }
  }
  const gd = meta.graphDef ? clone(GraphDefSchema, meta.graphDef) : create(GraphDefSchema);
  if (opts.clearDevices) for (const n of gd.node) n.device = '';
  if (meta.metaInfoDef?.strippedOpList) removeDefaultAttrs(gd, meta.metaInfoDef.strippedOpList);
  const scope = normalizeScope(graph, opts.importScope);
  graph.importGraphDef(gd, { prefix: scope || undefined, inputMap: opts.inputMap, source: file });

  const version = meta.metaInfoDef?.tensorflowVersion ?? '';
  importCollections(graph, meta.collectionDef, {
    scope,
    file,
    predicate: opts.restoreCollectionsPredicate,
    variablesHaveTrainable: !version || !olderThan(version, 1, 9),
  });
  if (meta.saverDef) graph.saverDef = rescopeSaverDef(clone(SaverDefSchema, meta.saverDef), scope);
  if (meta.metaInfoDef) graph.metaInfoDef = clone(MetaGraphDef_MetaInfoDefSchema, meta.metaInfoDef);
}

function olderThan(version: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  return Number(m[1]) < major || (Number(m[1]) === major && Number(m[2]) < minor);
}
