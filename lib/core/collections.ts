/**
 * Graph collections, as Python's `tf.Graph` keeps them: the keys TF1 uses ({@link GraphKeys}),
 * typed accessors for the ones a training program reads, and the conversion to and from
 * `MetaGraphDef.collection_def` with Python's kinds (meta_graph.py's `add_collection_def` and
 * `import_scoped_meta_graph`). What a member of each kind is in TS: {@link GraphCollections}.
 */
import { clone, create, isMessage, toBinary, type DescMessage, type Message, type MessageShape } from '@bufbuild/protobuf';
import { CollectionDefSchema, type CollectionDef } from '../proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { VariableDefSchema, type VariableDef } from '../proto/gen/tensorflow/core/framework/variable_pb';
import { SaverDefSchema, type SaverDef } from '../proto/gen/tensorflow/core/protobuf/saver_pb';
import { QueueRunnerDefSchema, type QueueRunnerDef } from '../proto/gen/tensorflow/core/protobuf/queue_runner_pb';
import { Code } from '../proto/gen/xla/tsl/protobuf/error_codes_pb';
import { ProtoDecodeError, decodeBinary } from '../proto/binary';
import { ArgumentError, RuntimeError } from './errors';
import { prependNameScope } from './name-scope';
import { Operation, Output } from './operation';
import type { Graph } from './graph';
import { GraphFormatError } from './graph-errors';
import { findVariables } from './graph-variables';
import * as logging from './logging';
import { QueueRunner } from './queue-runner';

/** Python's `tf.compat.v1.GraphKeys`: the standard collection names. */
export const GraphKeys = {
  GLOBAL_VARIABLES: 'variables',
  LOCAL_VARIABLES: 'local_variables',
  METRIC_VARIABLES: 'metric_variables',
  MODEL_VARIABLES: 'model_variables',
  TRAINABLE_VARIABLES: 'trainable_variables',
  MOVING_AVERAGE_VARIABLES: 'moving_average_variables',
  CONCATENATED_VARIABLES: 'concatenated_variables',
  TRAINABLE_RESOURCE_VARIABLES: 'trainable_resource_variables',
  SUMMARIES: 'summaries',
  QUEUE_RUNNERS: 'queue_runners',
  TABLE_INITIALIZERS: 'table_initializer',
  ASSET_FILEPATHS: 'asset_filepaths',
  REGULARIZATION_LOSSES: 'regularization_losses',
  SAVERS: 'savers',
  WEIGHTS: 'weights',
  BIASES: 'biases',
  ACTIVATIONS: 'activations',
  UPDATE_OPS: 'update_ops',
  LOSSES: 'losses',
  SAVEABLE_OBJECTS: 'saveable_objects',
  RESOURCES: 'resources',
  LOCAL_RESOURCES: 'local_resources',
  INIT_OP: 'init_op',
  LOCAL_INIT_OP: 'local_init_op',
  READY_OP: 'ready_op',
  READY_FOR_LOCAL_INIT_OP: 'ready_for_local_init_op',
  SUMMARY_OP: 'summary_op',
  GLOBAL_STEP: 'global_step',
  EVAL_STEP: 'eval_step',
  TRAIN_OP: 'train_op',
  COND_CONTEXT: 'cond_context',
  WHILE_CONTEXT: 'while_context',
  UNBOUND_INPUTS: 'unbound_inputs',
  SAVED_MODEL_INITIALIZERS: 'saved_model_initializers',
  /** Not in Python's GraphKeys: training_util's GLOBAL_STEP_READ_KEY (the hooks' step read). */
  GLOBAL_STEP_READ: 'global_step_read_op_cache',
} as const;

/** A member of a node_list collection. */
export type GraphElement = Operation | Output;

/** Python's `to_proto`: an object that serializes itself into a collection's proto type. */
export interface ProtoConvertible<M extends Message = Message> {
  toProto(exportScope?: string): M | null | undefined;
}

/** Keys whose members are VariableDefs (Python registers VariableDef to/from_proto for these). */
export const VARIABLE_COLLECTION_KEYS: readonly string[] = [
  'variables',
  'trainable_variables',
  'moving_average_variables',
  'local_variables',
  'model_variables',
  'global_step',
  'metric_variables',
];

// Keys with a registered proto type (Python's ops.register_proto_function), always bytes_list.
// 'raw': a proto type whose schema is not generated here; its bytes are kept as they are.
const PROTO_KEYS = new Map<string, DescMessage | 'raw'>([
  ...VARIABLE_COLLECTION_KEYS.map((k) => [k, VariableDefSchema] as [string, DescMessage]),
  ['savers', SaverDefSchema],
  ['queue_runners', QueueRunnerDefSchema],
  ['cond_context', 'raw'],
  ['while_context', 'raw'],
]);

/** The message type a collection's bytes_list holds (Python's `get_collection_proto_type`), if any. */
export function collectionProtoType(key: string): DescMessage | 'raw' | undefined {
  return PROTO_KEYS.get(key);
}

export { prependNameScope };

const isElement = (x: unknown): x is GraphElement => x instanceof Operation || x instanceof Output;
const elementOp = (e: GraphElement): string => (e instanceof Output ? e.op.name : e.name);
const isConvertible = (x: unknown): x is ProtoConvertible =>
  x !== null && typeof x === 'object' && typeof (x as ProtoConvertible).toProto === 'function';

function describeMember(x: unknown): string {
  if (isElement(x)) return `${x.constructor.name} ${x.name}`;
  if (isMessage(x)) return x.$typeName;
  if (x instanceof Uint8Array) return `${x.length} bytes`;
  if (x === null || typeof x !== 'object') return `${typeof x} ${String(x)}`;
  return (x as object).constructor?.name ?? 'object';
}

/**
 * The collections of a Graph: a `Map` from key to member list (Python's `graph._collections`),
 * plus typed accessors. `graph.collections.get(key)` is the live list; `graph.getCollection(key)`
 * a copy.
 *
 * A member is what Python would hold, in TS form:
 *
 * | collection_def kind | member |
 * |---|---|
 * | `node_list` | an `Operation` (`'train'`) or an `Output` (`'loss:0'`) |
 * | `bytes_list` of a proto key (`variables`, `trainable_variables`, `global_step`, `local_variables`, `model_variables`, `moving_average_variables`, `metric_variables`, `savers`, `queue_runners`) | the message (`VariableDef`, `SaverDef`, `QueueRunnerDef`), or any object with `toProto(): message` (Python's `to_proto`, e.g. a Saver or QueueRunner); a loaded `queue_runners` holds `QueueRunner`s, as Python's |
 * | `bytes_list` of `cond_context` / `while_context` | the serialized `CondContextDef` / `WhileContextDef` (a `Uint8Array`) |
 * | `bytes_list`, any other key | a `Uint8Array` (a `string` is written as UTF-8, as Python does) |
 * | `int64_list` | a `bigint` |
 * | `float_list` | a `number` (JS numbers have no int/float distinction: use bigints for int64_list) |
 * | `any_list` | a `google.protobuf.Any` message |
 *
 * Collections that cannot be serialized (mixed kinds, arbitrary objects) are left out of a
 * MetaGraphDef with a warning, as in Python.
 *
 * @example
 *   const g = await Graph.load('model.meta');
 *   g.collections.variables().map((v) => v.variableName);   // ['global_step:0', 'w:0', 'b:0']
 *   g.collections.trainOp()?.name;                           // 'train'
 *   g.collections.savers()[0].restoreOpName;                 // 'save/restore_all'
 */
export class GraphCollections extends Map<string, unknown[]> {
  readonly #graph: Graph;

  constructor(graph: Graph) {
    super();
    this.#graph = graph;
  }

  /** Appends members to a collection (Python's `add_to_collection`). */
  add(key: string, ...values: unknown[]): void {
    if (typeof key !== 'string') throw new ArgumentError('key', `Collection keys are strings; received ${typeof key}`);
    const list = this.get(key);
    if (list) list.push(...values);
    else this.set(key, [...values]);
  }

  /** GLOBAL_VARIABLES ('variables') as VariableDefs. */
  variables(): VariableDef[] {
    return this.variableDefs('variables');
  }
  /** TRAINABLE_VARIABLES as VariableDefs. */
  trainableVariables(): VariableDef[] {
    return this.variableDefs('trainable_variables');
  }
  /** LOCAL_VARIABLES as VariableDefs. */
  localVariables(): VariableDef[] {
    return this.variableDefs('local_variables');
  }
  /** MODEL_VARIABLES as VariableDefs. */
  modelVariables(): VariableDef[] {
    return this.variableDefs('model_variables');
  }
  /** MOVING_AVERAGE_VARIABLES as VariableDefs. */
  movingAverageVariables(): VariableDef[] {
    return this.variableDefs('moving_average_variables');
  }
  /** The GLOBAL_STEP collection's variable; undefined when empty. */
  globalStep(): VariableDef | undefined {
    const defs = this.variableDefs('global_step');
    return this.single('global_step', defs, (d) => d.variableName);
  }
  /** TRAIN_OP's element; undefined when empty. */
  trainOp(): GraphElement | undefined {
    return this.element('train_op');
  }
  /** INIT_OP's element. */
  initOp(): GraphElement | undefined {
    return this.element('init_op');
  }
  /** LOCAL_INIT_OP's element. */
  localInitOp(): GraphElement | undefined {
    return this.element('local_init_op');
  }
  /** READY_OP's element (a string tensor of uninitialized variable names). */
  readyOp(): GraphElement | undefined {
    return this.element('ready_op');
  }
  /** READY_FOR_LOCAL_INIT_OP's element. */
  readyForLocalInitOp(): GraphElement | undefined {
    return this.element('ready_for_local_init_op');
  }
  /** SUMMARY_OP's element (the merged summary tensor). */
  summaryOp(): GraphElement | undefined {
    return this.element('summary_op');
  }
  /** SUMMARIES: the summary tensors. */
  summaries(): GraphElement[] {
    return this.elements('summaries');
  }
  /** TABLE_INITIALIZERS ('table_initializer'): the table initializer ops. */
  tableInitializers(): GraphElement[] {
    return this.elements('table_initializer');
  }
  /** UPDATE_OPS. */
  updateOps(): GraphElement[] {
    return this.elements('update_ops');
  }
  /** LOSSES. */
  losses(): GraphElement[] {
    return this.elements('losses');
  }
  /** SAVERS as SaverDefs. */
  savers(): SaverDef[] {
    return this.protos('savers', SaverDefSchema);
  }
  /** QUEUE_RUNNERS as QueueRunnerDefs (a QueueRunner member through its `toProto()`). */
  queueRunners(): QueueRunnerDef[] {
    return this.protos('queue_runners', QueueRunnerDefSchema);
  }

  /**
   * The graph elements of a node_list collection. Throws an ArgumentError naming the key when a
   * member is not an Operation or Output.
   */
  elements(key: string): GraphElement[] {
    return (this.get(key) ?? []).map((m, i) => {
      if (!isElement(m))
        throw new ArgumentError(key, `Collection '${key}' member ${i} is ${describeMember(m)}, not an Operation or Output`);
      return m;
    });
  }

  /**
   * The one element of a collection that holds a single op or tensor (`init_op`, `train_op`,
   * ...): undefined when empty; repeated entries of the same element count once (Python graphs
   * often hold `train` twice); a RuntimeError when it names different elements.
   */
  element(key: string): GraphElement | undefined {
    return this.single(key, this.elements(key), (e) => e.name);
  }

  private single<T>(key: string, items: T[], name: (x: T) => string): T | undefined {
    const distinct = [...new Set(items.map(name))];
    if (distinct.length > 1) {
      throw new RuntimeError(`More than one item in collection '${key}': ${distinct.join(', ')}. Use getCollection('${key}') to choose.`);
    }
    return items[0];
  }

  /**
   * The members of a proto-typed collection as messages: messages as they are, `toProto()` objects
   * converted, and for variable keys an Operation/Output of a variable node resolved from the graph.
   */
  protos<Desc extends DescMessage>(key: string, schema: Desc): MessageShape<Desc>[] {
    return (this.get(key) ?? []).map((m, i) => {
      const p = memberProto(this.#graph, key, m, schema);
      if (!p) throw new ArgumentError(key, `Collection '${key}' member ${i} (${describeMember(m)}) has no ${schema.typeName}`);
      return p as MessageShape<Desc>;
    });
  }

  private variableDefs(key: string): VariableDef[] {
    return this.protos(key, VariableDefSchema);
  }
}

// A member of a proto-typed collection as a message of `schema`; null when toProto() declines
// (Python skips those); throws when the member cannot be one.
function memberProto(graph: Graph, key: string, member: unknown, schema: DescMessage): Message | null {
  if (isMessage(member)) {
    if (member.$typeName === schema.typeName) return member;
    throw new ArgumentError(key, `Collection '${key}' holds a ${member.$typeName}; it takes ${schema.typeName}`);
  }
  if (isConvertible(member)) {
    const p = member.toProto();
    if (p === null || p === undefined) return null;
    if (!isMessage(p) || p.$typeName !== schema.typeName) {
      throw new ArgumentError(key, `toProto() of a member of collection '${key}' returned ${describeMember(p)}, not a ${schema.typeName}`);
    }
    return p;
  }
  if (schema === VariableDefSchema && isElement(member)) {
    const opName = elementOp(member);
    const def = findVariables(graph.asGraphDef()).variables.find((v) => v.variableName === `${opName}:0`);
    if (!def) throw new ArgumentError(key, `Collection '${key}' holds ${describeMember(member)}, which is not a variable`);
    // Trainable as Python's Variable(trainable=True) would be: in trainable_variables, or updated by an optimizer.
    def.trainable ||= (graph.collections.get('trainable_variables') ?? []).some((m) => isElement(m) && elementOp(m) === opName);
    return def;
  }
  throw new ArgumentError(key, `Collection '${key}' holds ${describeMember(member)}; it takes ${schema.typeName} messages`);
}

// ---------------------------------------------------------------------------------------------
// Export: graph collections → MetaGraphDef.collection_def

const utf8 = new TextEncoder();

/**
 * The serializable collections of a graph as `collection_def` entries, with Python's keys and kinds
 * (`add_collection_def`). Empty collections are left out; a collection that cannot be serialized
 * is left out with a warning (Python logs "Issue encountered when serializing: <key>").
 *
 * @param keys Which collections (Python's `collection_list`); default every key.
 */
export function collectionDefsOf(graph: Graph, keys?: readonly string[]): Record<string, CollectionDef> {
  const out: Record<string, CollectionDef> = {};
  for (const key of keys ?? [...graph.collections.keys()]) {
    if (typeof key !== 'string') continue;
    const members = graph.collections.get(key) ?? [];
    if (!members.length) continue;
    try {
      // defineProperty: a collection named '__proto__' would set the object's prototype instead.
      Object.defineProperty(out, key, {
        value: collectionDefOf(graph, key, members),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } catch (e) {
      logging.warning(`Issue encountered when serializing: ${key}.\n${(e as Error).message}`);
    }
  }
  return out;
}

function collectionDefOf(graph: Graph, key: string, members: unknown[]): CollectionDef {
  const proto = PROTO_KEYS.get(key);
  if (proto === 'raw') {
    const value = members.map((m) => {
      if (m instanceof Uint8Array) return m;
      throw new Error(`a member of '${key}' is ${describeMember(m)}, not the serialized bytes of its proto`);
    });
    return create(CollectionDefSchema, { kind: { case: 'bytesList', value: { value } } });
  }
  if (proto) {
    const value: Uint8Array[] = [];
    for (const m of members) {
      const p = memberProto(graph, key, m, proto);
      if (p) value.push(toBinary(proto, p));
    }
    return create(CollectionDefSchema, { kind: { case: 'bytesList', value: { value } } });
  }
  const first = members[0];
  const all = <T>(test: (m: unknown) => m is T, what: string): T[] =>
    members.map((m) => {
      if (!test(m)) throw new Error(`'${key}' mixes kinds: its first member is ${what}, another is ${describeMember(m)}`);
      return m;
    });
  if (isElement(first)) {
    return create(CollectionDefSchema, {
      kind: {
        case: 'nodeList',
        value: {
          value: all(isElement, 'a graph element').map((e) => {
            if (e.graph !== graph) throw new Error(`'${key}' holds ${e.name} of another graph`);
            return e.name;
          }),
        },
      },
    });
  }
  if (first instanceof Uint8Array || typeof first === 'string') {
    const value = all((m): m is Uint8Array | string => m instanceof Uint8Array || typeof m === 'string', 'bytes').map((m) =>
      typeof m === 'string' ? utf8.encode(m) : m,
    );
    return create(CollectionDefSchema, { kind: { case: 'bytesList', value: { value } } });
  }
  if (typeof first === 'bigint') {
    return create(CollectionDefSchema, {
      kind: { case: 'int64List', value: { value: all((m): m is bigint => typeof m === 'bigint', 'a bigint') } },
    });
  }
  if (typeof first === 'number') {
    return create(CollectionDefSchema, {
      kind: { case: 'floatList', value: { value: all((m): m is number => typeof m === 'number', 'a number') } },
    });
  }
  if (isMessage(first) && first.$typeName === 'google.protobuf.Any') {
    const value = all((m): m is Message => isMessage(m) && m.$typeName === 'google.protobuf.Any', 'an Any');
    return create(CollectionDefSchema, { kind: { case: 'anyList', value: { value: value as never } } });
  }
  throw new Error(`'${key}' holds ${describeMember(first)}, which has no collection_def form`);
}

// ---------------------------------------------------------------------------------------------
// Import: MetaGraphDef.collection_def → graph collections

export interface ImportCollectionsOptions {
  /** Python's import_scope: prepended to every name. */
  scope?: string;
  /** Named in errors. */
  file?: string;
  /** Python's `restore_collections_predicate`. */
  predicate?: (key: string) => boolean;
  /**
   * Whether VariableDefs carry `trainable` (TF ≥ 1.9). When false, a variable is trainable iff it
   * is in trainable_variables (Python's rule for old MetaGraphDefs).
   */
  variablesHaveTrainable?: boolean;
  /** The collection of unbound inputs, not restored (Python's `unbound_inputs_col_name`). */
  unboundInputsKey?: string | null;
}

/**
 * Adds a MetaGraphDef's collections to a graph the way Python's `import_scoped_meta_graph` does:
 * trainable_variables first, then the other keys sorted; names re-scoped under `scope`; node_list
 * names resolved to elements of the graph (an error when one is missing); a VariableDef that appears
 * in several variable collections becomes one shared message.
 */
export function importCollections(graph: Graph, defs: Record<string, CollectionDef>, opts: ImportCollectionsOptions = {}): void {
  const scope = opts.scope ?? '';
  const where = (key: string) => `collection '${key}'`;
  const fail = (reason: string, cause?: unknown) => new GraphFormatError(reason, { file: opts.file, cause });
  const keys = Object.keys(defs).sort();
  const ordered = keys.includes('trainable_variables') ? ['trainable_variables', ...keys.filter((k) => k !== 'trainable_variables')] : keys;
  const variables = new Map<string, VariableDef>();
  const unbound = opts.unboundInputsKey === undefined ? 'unbound_inputs' : opts.unboundInputsKey;
  const element = (key: string, name: string): GraphElement => {
    const full = prependNameScope(name, scope);
    const opName = /:\d+$/.test(full) ? full.slice(0, full.lastIndexOf(':')) : full;
    if (!graph.hasOperation(opName)) throw fail(`${where(key)} names '${full}', which is not in the graph`);
    try {
      return /:\d+$/.test(full) ? graph.tensor(full) : graph.operation(full);
    } catch (e) {
      throw fail(`${where(key)} names '${full}': ${(e as Error).message}`, e);
    }
  };
  const decode = <Desc extends DescMessage>(key: string, schema: Desc, bytes: Uint8Array) => {
    try {
      return decodeBinary(schema, bytes);
    } catch (e) {
      const reason = e instanceof ProtoDecodeError ? e.reason : (e as Error).message;
      throw fail(`${where(key)} holds bytes that are not a ${schema.typeName}: ${reason}`, e);
    }
  };

  for (const key of ordered) {
    if (key === unbound) continue;
    if (opts.predicate && !opts.predicate(key)) continue;
    const kind = defs[key].kind;
    if (kind.case === undefined) {
      logging.error(`Cannot identify data type for collection ${key}. Skipping.`);
      continue;
    }
    const proto = PROTO_KEYS.get(key);
    if (proto && kind.case === 'bytesList') {
      for (const bytes of kind.value.value) {
        if (proto === 'raw') {
          if (scope)
            logging.warning(
              `${where(key)}: its ${key === 'cond_context' ? 'CondContextDef' : 'WhileContextDef'}s are kept as they are, not re-scoped under '${scope}'.`,
            );
          graph.collections.add(key, bytes);
        } else if (proto === VariableDefSchema) {
          const id = Buffer.from(bytes).toString('latin1');
          let def = variables.get(id);
          if (!def) {
            def = decode(key, VariableDefSchema, bytes);
            if (opts.variablesHaveTrainable === false) def.trainable = key === 'trainable_variables';
            def = rescopeVariableDef(def, scope);
            const name = def.variableName.replace(/:\d+$/, '');
            if (!graph.hasOperation(name)) throw fail(`${where(key)} holds variable '${def.variableName}', which is not in the graph`);
            variables.set(id, def);
          }
          graph.collections.add(key, def);
        } else if (proto === SaverDefSchema) {
          graph.collections.add(key, rescopeSaverDef(decode(key, SaverDefSchema, bytes), scope));
        } else {
          // A QueueRunner again, as Python's from_proto makes one; its ops must be in the graph.
          const qr = QueueRunner.fromProto(decode(key, QueueRunnerDefSchema, bytes), scope);
          for (const op of [qr.queueName, ...qr.enqueueOps, qr.closeOp ?? '', qr.cancelOp ?? '']) {
            if (op && !graph.hasOperation(op)) throw fail(`${where(key)} holds a queue runner naming '${op}', which is not in the graph`);
          }
          graph.collections.add(key, qr);
        }
      }
      continue;
    }
    switch (kind.case) {
      case 'nodeList':
        for (const name of kind.value.value) graph.collections.add(key, element(key, name));
        break;
      case 'bytesList':
        for (const b of kind.value.value) {
          graph.collections.add(key, scope ? utf8.encode(prependNameScope(Buffer.from(b).toString('utf8'), scope)) : b);
        }
        break;
      case 'int64List':
        for (const v of kind.value.value) graph.collections.add(key, BigInt(v));
        break;
      case 'floatList':
        for (const v of kind.value.value) graph.collections.add(key, v);
        break;
      case 'anyList':
        for (const v of kind.value.value) graph.collections.add(key, v);
        break;
    }
  }
}

/** A copy of a VariableDef with its names under `scope` (Python's Variable.from_proto(import_scope)). */
export function rescopeVariableDef(def: VariableDef, scope: string | undefined): VariableDef {
  if (!scope) return def;
  const d = clone(VariableDefSchema, def);
  d.variableName = prependNameScope(d.variableName, scope);
  if (d.initializerName) d.initializerName = prependNameScope(d.initializerName, scope);
  if (d.snapshotName) d.snapshotName = prependNameScope(d.snapshotName, scope);
  if (d.initialValueName) d.initialValueName = prependNameScope(d.initialValueName, scope);
  if (d.saveSliceInfoDef) d.saveSliceInfoDef.fullName = prependNameScope(d.saveSliceInfoDef.fullName, scope);
  return d;
}

/** A copy of a SaverDef with its names under `scope` (Python's Saver.from_proto(import_scope)). */
export function rescopeSaverDef(def: SaverDef, scope: string | undefined): SaverDef {
  if (!scope) return def;
  const d = clone(SaverDefSchema, def);
  d.filenameTensorName = prependNameScope(d.filenameTensorName, scope);
  d.saveTensorName = prependNameScope(d.saveTensorName, scope);
  d.restoreOpName = prependNameScope(d.restoreOpName, scope);
  return d;
}

/**
 * A QueueRunnerDef with its names under `scope`; an empty exception list becomes [OUT_OF_RANGE],
 * as Python's QueueRunner.from_proto/to_proto turn it.
 */
export function rescopeQueueRunnerDef(def: QueueRunnerDef, scope: string | undefined): QueueRunnerDef {
  const d = scope || !def.queueClosedExceptionTypes.length ? clone(QueueRunnerDefSchema, def) : def;
  if (!d.queueClosedExceptionTypes.length) d.queueClosedExceptionTypes = [Code.OUT_OF_RANGE];
  if (!scope) return d;
  d.queueName = prependNameScope(d.queueName, scope);
  d.enqueueOpName = d.enqueueOpName.map((n) => prependNameScope(n, scope));
  d.closeOpName = prependNameScope(d.closeOpName, scope);
  d.cancelOpName = prependNameScope(d.cancelOpName, scope);
  return d;
}
