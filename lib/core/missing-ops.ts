/**
 * Checks, before TF's importer sees a GraphDef, that the loaded libtensorflow can hold it: every op
 * the graph uses is registered, and the graph's versions accept this library as a consumer.
 *
 * TF itself stops at the first unregistered op, inside a long import message. These errors name
 * every missing op with the nodes that use it, and both GraphDef versions (the graph's producer and
 * the library's), so the user can tell whether a newer libtensorflow or a custom-op library
 * (`tf.load_op_library` in Python) is what is missing.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { GraphDefSchema, type GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import type { NodeDef } from '../proto/gen/tensorflow/core/framework/node_def_pb';
import { native, tfVersion } from '../native';
import { InvalidArgumentError, NotFoundError } from './errors';
import { opDef } from './op-defs';
import { checkFunctionLibrary } from './function-library';

/** What a MissingOpsError reports: the missing ops, the nodes using each, and the versions involved. */
interface MissingOpsInfo {
  ops: string[];
  nodes: Record<string, string[]>;
  producer: number;
  libraryProducer: number;
  tfVersion: string;
  file?: string;
}

/** The graph uses ops that the loaded libtensorflow does not register. */
export class MissingOpsError extends NotFoundError {
  /** The unregistered op types, sorted. */
  readonly ops: string[];
  /** For each missing op, the nodes that use it (graph nodes by name; function nodes as 'function/node'). */
  readonly nodes: Record<string, string[]>;
  /** The GraphDef's `versions.producer` (0 when the GraphDef has none). */
  readonly producer: number;
  /** The GraphDef version of the loaded libtensorflow (what it writes as producer). */
  readonly libraryProducer: number;
  /** The loaded libtensorflow's version (`TF_Version()`). */
  readonly tfVersion: string;
  /** The file the graph came from, when known. */
  readonly file?: string;

  constructor(info: MissingOpsInfo) {
    super(missingOpsMessage(info));
    this.ops = info.ops;
    this.nodes = info.nodes;
    this.producer = info.producer;
    this.libraryProducer = info.libraryProducer;
    this.tfVersion = info.tfVersion;
    if (info.file !== undefined) this.file = info.file;
  }
}

/** The GraphDef's versions exclude the loaded libtensorflow (TF's `CheckVersions`). */
export class GraphVersionError extends InvalidArgumentError {
  readonly producer: number;
  readonly minConsumer: number;
  readonly badConsumers: number[];
  readonly libraryProducer: number;
  readonly tfVersion: string;
  readonly file?: string;

  constructor(
    message: string,
    info: { producer: number; minConsumer: number; badConsumers: number[]; libraryProducer: number; tfVersion: string; file?: string },
  ) {
    super(message);
    this.producer = info.producer;
    this.minConsumer = info.minConsumer;
    this.badConsumers = info.badConsumers;
    this.libraryProducer = info.libraryProducer;
    this.tfVersion = info.tfVersion;
    if (info.file !== undefined) this.file = info.file;
  }
}

function listNames(names: string[], max = 3): string {
  const quoted = names.slice(0, max).map((n) => `'${n}'`);
  if (names.length > max) return `${quoted.join(', ')} and ${names.length - max} more`;
  return quoted.join(', ');
}

function missingOpsMessage(info: MissingOpsInfo): string {
  const where = info.file ? `${info.file}: ` : '';
  const each = info.ops.map((op) => {
    const n = info.nodes[op] ?? [];
    return `${op} (${n.length === 1 ? 'node' : 'nodes'} ${listNames(n)})`;
  });
  const lib = `libtensorflow ${info.tfVersion} (GraphDef version ${info.libraryProducer})`;
  let why: string;
  if (info.producer > info.libraryProducer) {
    why =
      `The graph was written by a newer TensorFlow (GraphDef version ${info.producer}): load a libtensorflow at least that new, ` +
      'or the library of custom ops that defines them.';
  } else if (info.producer > 0 && info.producer < info.libraryProducer) {
    why =
      `The graph was written by an older TensorFlow (GraphDef version ${info.producer}): the ops may have been removed ` +
      'since (e.g. tf.contrib ops), or come from a library of custom ops that is not loaded.';
  } else {
    why = `The graph's GraphDef version is ${info.producer || 'not set'}: the ops are probably custom ops whose library is not loaded.`;
  }
  return (
    `${where}the graph uses ${info.ops.length === 1 ? 'an op' : `${info.ops.length} ops`} that the loaded ${lib} ` +
    `does not register: ${each.join(', ')}. ${why}`
  );
}

let libraryProducerCache: number | undefined;

/** The GraphDef version of the loaded libtensorflow (TF_GRAPH_DEF_VERSION), as an empty graph reports it. */
export function libraryGraphDefVersion(): number {
  if (libraryProducerCache === undefined) {
    const empty = fromBinary(GraphDefSchema, new (native().NativeGraph)().toGraphDef());
    libraryProducerCache = empty.versions?.producer ?? 0;
  }
  return libraryProducerCache;
}

/**
 * The op types a GraphDef uses, sorted, function names excluded: Python's `ops_used_by_graph_def`
 * (graph nodes, the nodes of every function reachable from them, PartitionedCall's `f`).
 */
export function opsUsedByGraphDef(graphDef: GraphDef): string[] {
  return [...usedOps(graphDef).keys()].sort();
}

// op type → nodes using it ('node' or 'function/node'), functions excluded.
function usedOps(graphDef: GraphDef): Map<string, string[]> {
  const functions = new Map((graphDef.library?.function ?? []).map((f) => [f.signature?.name ?? '', f]));
  const used = new Map<string, string[]>();
  const seenFunctions = new Set<string>();
  const pending: string[] = [];
  const mark = (op: string, where: string) => {
    if (functions.has(op)) {
      if (!seenFunctions.has(op)) {
        seenFunctions.add(op);
        pending.push(op);
      }
      return;
    }
    const list = used.get(op);
    if (list) list.push(where);
    else used.set(op, [where]);
  };
  const visit = (node: NodeDef, where: string) => {
    mark(node.op, where);
    if (node.op === 'PartitionedCall' || node.op === 'StatefulPartitionedCall') {
      const f = node.attr.f?.value;
      if (f?.case === 'func' && f.value.name) mark(f.value.name, where);
    }
  };
  for (const node of graphDef.node) visit(node, node.name);
  while (pending.length) {
    const name = pending.pop()!;
    for (const node of functions.get(name)!.nodeDef) visit(node, `${name}/${node.name}`);
  }
  return used;
}

/**
 * Throws {@link MissingOpsError} when the graph uses op types the loaded libtensorflow does not
 * register, and {@link GraphVersionError} when the GraphDef's versions exclude this library
 * (`min_consumer` above it, or it is a `bad_consumer`). Call before TF's import.
 */
export function checkGraphDefSupported(graphDef: GraphDef, opts: { file?: string } = {}): void {
  checkFunctionLibrary(graphDef, opts);
  const versions = graphDef.versions;
  const producer = versions?.producer ?? 0;
  const minConsumer = versions?.minConsumer ?? 0;
  const badConsumers = versions?.badConsumers ?? [];
  const missing = [...usedOps(graphDef)].filter(([op]) => !opDef(op));
  if (missing.length) {
    missing.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    throw new MissingOpsError({
      ops: missing.map(([op]) => op),
      nodes: Object.fromEntries(missing),
      producer,
      libraryProducer: libraryGraphDefVersion(),
      tfVersion: tfVersion(),
      file: opts.file,
    });
  }
  const lib = libraryGraphDefVersion();
  const info = { producer, minConsumer, badConsumers, libraryProducer: lib, tfVersion: tfVersion(), file: opts.file };
  const where = opts.file ? `${opts.file}: ` : '';
  if (minConsumer > lib) {
    throw new GraphVersionError(
      `${where}the GraphDef needs a consumer of GraphDef version ${minConsumer} or later (its min_consumer; it was produced at ` +
        `version ${producer}), but the loaded libtensorflow ${tfVersion()} is GraphDef version ${lib}: load a newer libtensorflow.`,
      info,
    );
  }
  if (badConsumers.includes(lib)) {
    throw new GraphVersionError(
      `${where}the GraphDef disallows consumer GraphDef version ${lib} (its bad_consumers: ${badConsumers.join(', ')}), which is ` +
        `the loaded libtensorflow ${tfVersion()}: use another TensorFlow version.`,
      info,
    );
  }
}
