/**
 * The global step (Python's `training_util.py`): an int64 scalar variable named `global_step` in the
 * `global_step` collection, and the read tensor every step-driven hook fetches.
 *
 * @example
 * const gs = getOrCreateGlobalStep(graph);           // Output 'global_step:0' (the variable)
 * const read = globalStepReadTensor(graph);          // Output 'global_step/add:0' (its value + 0)
 * const step = (await sess.run(read)).scalar();
 */
import { GraphKeys } from './collections';
import { create, isMessage } from '@bufbuild/protobuf';
import { type DType, dtypeFromEnum } from './dtypes';
import { RuntimeError, ValueError, invalidArgument } from './errors';
import { andThen, type MaybePromise } from './maybe-promise';
import { Graph, Operation, Output } from './graph';
import { VariableAggregation, VariableDefSchema, type VariableDef } from '../proto/gen/tensorflow/core/framework/variable_pb';
import * as logging from './logging';
import { type FetchStructure, RUN_MAYBE_SYNC, type SessionLike } from './session-like';
import { checkOptionsObject } from './options';

/** The standard collection names (one table for the project: lib/core/collections.ts). */
export { GraphKeys };

const VARIABLE_OPS = new Set(['VariableV2', 'Variable', 'VarHandleOp']);
const INTEGER_DTYPES = new Set<DType>(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);

// ---------------------------------------------------------------------------------------------
// Collection members: a VariableDef message (what a loaded MetaGraphDef holds), an Output or
// Operation, or a name.

function tensorNameOf(item: unknown): string | null {
  if (typeof item === 'string') return item;
  if (item instanceof Output) return item.name;
  if (item instanceof Operation) return `${item.name}:0`;
  if (isMessage(item, VariableDefSchema)) return item.variableName;
  if (item !== null && typeof item === 'object') {
    const v = item as { variableName?: unknown; name?: unknown };
    if (typeof v.variableName === 'string') return v.variableName;
    if (typeof v.name === 'string') return v.name;
  }
  return null;
}

function shapeAttr(op: Operation): number[] | null {
  try {
    const a = op.attr('shape');
    if (a.value.case !== 'shape') return null;
    const s = a.value.value;
    if (s.unknownRank) return null;
    return s.dim.map((d) => Number(d.size));
  } catch {
    return op.graph.native.outputShape(`${op.name}:0`);
  }
}

/** The value dtype of a tensor: the `dtype` attr for variables (their outputs are ref/resource typed). */
function valueDType(t: Output): DType | null {
  const op = t.op;
  if (VARIABLE_OPS.has(op.type)) {
    const a = op.attr('dtype');
    return a.value.case === 'type' ? dtypeFromEnum(a.value.value) : null;
  }
  try {
    return t.dtype;
  } catch {
    return null; // a ref type of another op (RefIdentity ...)
  }
}

/** An op-valued collection item (Operation, Output, name) as an Operation. @internal */
export function opOf(graph: Graph, item: unknown, param: string): Operation {
  if (item instanceof Operation) return item;
  if (item instanceof Output) return item.op;
  if (typeof item === 'string') return graph.operation(item.replace(/:\d+$/, ''));
  throw invalidArgument(param, 'an Operation, an Output or an operation name', item);
}

/** A tensor-valued collection item as an Output. @internal */
export function outputOf(graph: Graph, item: unknown, param: string): Output {
  if (item instanceof Output) return item;
  if (item instanceof Operation || typeof item === 'string') return graph.tensor(item);
  throw invalidArgument(param, 'an Output or a tensor name', item);
}

/**
 * A name scope not used yet, as Python's `name_scope(base)`: `base` when no op is named `base` or
 * sits under `base/`, else `base_1`, `base_2`, ... @internal
 */
export function uniqueScope(graph: Graph, base: string): string {
  const names = graph.native.listOperations().map((o) => o.name);
  const used = (s: string) => names.some((n) => n === s || n.startsWith(`${s}/`));
  if (!used(base)) return base;
  for (let i = 1; ; i++) if (!used(`${base}_${i}`)) return `${base}_${i}`;
}

// ---------------------------------------------------------------------------------------------

/**
 * Python's `assert_global_step`: `tensor` must be a variable or tensor of an integer type, and scalar
 * (or of a shape that is not fully defined). TypeError with Python's messages otherwise.
 */
export function assertGlobalStep(tensor: unknown): void {
  if (!(tensor instanceof Output)) {
    throw new TypeError(`Existing "global_step" must be a Variable or Tensor: ${String(tensor)}.`);
  }
  const dtype = valueDType(tensor);
  if (dtype === null || !INTEGER_DTYPES.has(dtype)) {
    throw new TypeError(`Existing "global_step" does not have integer type: <dtype: '${dtype ?? 'unknown'}'>`);
  }
  const shape = VARIABLE_OPS.has(tensor.op.type) ? shapeAttr(tensor.op) : tensor.shape;
  if (shape !== null && shape.length !== 0 && shape.every((d) => d >= 0)) {
    throw new TypeError(`Existing "global_step" is not scalar: (${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  }
}

/**
 * The global step variable of `graph` (its tensor, `global_step:0`), or null: the single item of the
 * `global_step` collection, else the tensor named `global_step:0`. More than one item: logs an
 * ERROR and returns null, as Python. Throws TypeError when what it finds is not an integer scalar.
 */
export function getGlobalStep(graph: Graph): Output | null {
  if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
  const items = graph.getCollection(GraphKeys.GLOBAL_STEP);
  let tensor: Output;
  if (items.length === 1) {
    const name = tensorNameOf(items[0]);
    if (name === null) throw new TypeError(`Existing "global_step" must be a Variable or Tensor: ${String(items[0])}.`);
    tensor = graph.tensor(name);
  } else if (items.length === 0) {
    if (!graph.hasOperation('global_step')) return null;
    tensor = graph.tensor('global_step:0');
  } else {
    logging.error('Multiple tensors in global_step collection.');
    return null;
  }
  assertGlobalStep(tensor);
  return tensor;
}

export interface CreateGlobalStepOptions {
  /** Device of the variable (Python takes it from the surrounding `tf.device` scope). */
  device?: string;
}

/**
 * Creates the global step as Python does: a `VariableV2` named `global_step` (int64, shape [],
 * initializer `global_step/Initializer/zeros`, `global_step/Assign`, snapshot `global_step/read`),
 * not trainable, aggregation ONLY_FIRST_REPLICA, in the `variables` and `global_step` collections
 * (as VariableDefs). ValueError('"global_step" already exists.') when there is one.
 */
export function createGlobalStep(graph: Graph, opts: CreateGlobalStepOptions = {}): Output {
  checkOptionsObject(opts, 'opts', ['device'] satisfies Array<keyof CreateGlobalStepOptions>, 'createGlobalStep');
  if (getGlobalStep(graph) !== null) throw new ValueError('"global_step" already exists.');
  const device = opts.device;
  if (device !== undefined && typeof device !== 'string') throw invalidArgument('device', 'a device string', device);
  const zeros = graph.addOp({ type: 'Const', name: 'global_step/Initializer/zeros', device, attrs: { dtype: 'int64', value: 0n } });
  const v = graph.addOp({
    type: 'VariableV2',
    name: 'global_step',
    device,
    attrs: { dtype: 'int64', shape: [], container: '', shared_name: '' },
  });
  graph.addOp({
    type: 'Assign',
    name: 'global_step/Assign',
    device,
    inputs: [v, zeros],
    attrs: { use_locking: true, validate_shape: true },
  });
  graph.addOp({ type: 'Identity', name: 'global_step/read', device, inputs: [v] });
  const def: VariableDef = create(VariableDefSchema, {
    variableName: 'global_step:0',
    initializerName: 'global_step/Assign',
    snapshotName: 'global_step/read:0',
    initialValueName: 'global_step/Initializer/zeros:0',
    trainable: false,
    aggregation: VariableAggregation.ONLY_FIRST_REPLICA,
  });
  graph.addToCollection(GraphKeys.GLOBAL_VARIABLES, def);
  graph.addToCollection(GraphKeys.GLOBAL_STEP, def);
  return v.output(0);
}

/** The global step of `graph`, created first when there is none (Python's `get_or_create_global_step`). */
export function getOrCreateGlobalStep(graph: Graph, opts: CreateGlobalStepOptions = {}): Output {
  checkOptionsObject(opts, 'opts', ['device'] satisfies Array<keyof CreateGlobalStepOptions>, 'getOrCreateGlobalStep');
  return getGlobalStep(graph) ?? createGlobalStep(graph, opts);
}

export interface GlobalStepReadOptions {
  /**
   * Build Python's guarded read, `cond(is_initialized(gs), read(gs), initial_value) + 0` (ten ops,
   * about 13 µs per run on a CPU), instead of the plain `read(gs) + 0` (two ops). The guard only
   * matters when the tensor is run before the variables are initialized, which a monitored
   * session never does. Default false.
   */
  guarded?: boolean;
}

/**
 * The tensor hooks fetch to learn the global step (Python's `_get_or_create_global_step_read`):
 * `global_step/add:0` = the variable's value + 0 under the `global_step/` name scope, built once
 * and cached in the `global_step_read_op_cache` collection (a graph exported by Python brings its
 * own, which is used). The `+ 0` makes a copy, so the fetched value does not alias the variable.
 * Null when the graph has no global step. As in Python, the read has no control dependency on the
 * train op: fetched with it, the value may be from before or after the increment (hooks re-read
 * before they act).
 *
 * Unlike Python, the read is not guarded by a `cond` on the variable being initialized unless
 * `guarded` is set (docs/python-parity.md §6.3 allows the plain read): running it before initialization is a
 * FailedPreconditionError instead of the initial value.
 */
export function globalStepReadTensor(graph: Graph, opts: GlobalStepReadOptions = {}): Output | null {
  const cached = graph.getCollection(GraphKeys.GLOBAL_STEP_READ);
  if (cached.length > 1) {
    throw new RuntimeError('There are multiple items in collection global_step_read_op_cache. There should be only one.');
  }
  if (cached.length === 1) return outputOf(graph, cached[0], 'global_step_read_op_cache[0]');
  const gs = getGlobalStep(graph);
  if (gs === null) return null;
  const read = opts.guarded ? buildGuardedRead(graph, gs) : buildPlainRead(graph, gs);
  graph.addToCollection(GraphKeys.GLOBAL_STEP_READ, read);
  return read;
}

function initialValueOf(graph: Graph, gs: Output): Output | null {
  for (const key of [GraphKeys.GLOBAL_STEP, GraphKeys.GLOBAL_VARIABLES]) {
    for (const item of graph.getCollection(key)) {
      if (isMessage(item, VariableDefSchema) && item.variableName === gs.name && item.initialValueName) {
        if (graph.hasOperation(item.initialValueName.replace(/:\d+$/, ''))) return graph.tensor(item.initialValueName);
      }
    }
  }
  const guess = `${gs.op.name}/Initializer/zeros`;
  return graph.hasOperation(guess) ? graph.tensor(guess) : null;
}

/** `read(gs) + 0`: the variable's snapshot (or a new read) plus a zero, names under `<gs>/`. */
function buildPlainRead(graph: Graph, gs: Output): Output {
  const scope = `${gs.op.name}/`;
  const dtype = valueDType(gs) ?? 'int64';
  let value: Output;
  if (gs.op.type === 'VarHandleOp') {
    value = graph
      .addOp({ type: 'ReadVariableOp', name: graph.uniqueName(`${scope}ReadVariableOp`), inputs: [gs], attrs: { dtype } })
      .output(0);
  } else if (VARIABLE_OPS.has(gs.op.type)) {
    const snapshot = graph.tryOperation(`${gs.op.name}/read`);
    value =
      snapshot && snapshot.type === 'Identity' && snapshot.inputs[0]?.name === gs.name
        ? snapshot.output(0)
        : graph.addOp({ type: 'Identity', name: graph.uniqueName(`${scope}read`), inputs: [gs] }).output(0);
  } else {
    value = gs;
  }
  const addName = graph.uniqueName(`${scope}add`);
  const y = graph.addOp({ type: 'Const', name: `${addName}/y`, attrs: { dtype, value: dtype === 'int64' || dtype === 'uint64' ? 0n : 0 } });
  return graph.addOp({ type: 'AddV2', name: addName, inputs: [value, y] }).output(0);
}

/** Python's structure of the guarded read (v1 cond: Switch/Merge), names under `<gs>/`. */
function buildGuardedRead(graph: Graph, gs: Output): Output {
  const scope = `${gs.op.name}/`;
  const n = (s: string) => graph.uniqueName(`${scope}${s}`);
  const dtype = valueDType(gs) ?? 'int64';
  const isVariable = VARIABLE_OPS.has(gs.op.type);
  const initial = isVariable ? initialValueOf(graph, gs) : null;
  let value: Output;
  if (isVariable && initial !== null) {
    const resource = gs.op.type === 'VarHandleOp';
    const pred = resource
      ? graph.addOp({ type: 'VarIsInitializedOp', name: n('VarIsInitializedOp'), inputs: [gs] }).output(0)
      : graph.addOp({ type: 'IsVariableInitialized', name: n('IsVariableInitialized'), inputs: [gs], attrs: { dtype } }).output(0);
    const sw = graph.addOp({ type: 'Switch', name: n('cond/Switch'), inputs: [pred, pred] });
    graph.addOp({ type: 'Identity', name: n('cond/switch_t'), inputs: [sw.output(1)] });
    graph.addOp({ type: 'Identity', name: n('cond/switch_f'), inputs: [sw.output(0)] });
    const predId = graph.addOp({ type: 'Identity', name: n('cond/pred_id'), inputs: [pred] });
    let readValue: Output;
    if (resource) {
      const base = n('cond/Read/ReadVariableOp');
      const s = graph.addOp({ type: 'Switch', name: `${base}/Switch`, inputs: [gs, predId] });
      const r = graph.addOp({ type: 'ReadVariableOp', name: base, inputs: [s.output(1)], attrs: { dtype } });
      readValue = graph.addOp({ type: 'Identity', name: n('cond/Identity'), inputs: [r] }).output(0);
    } else {
      const base = n('cond/read');
      const s = graph.addOp({ type: 'RefSwitch', name: `${base}/Switch`, inputs: [gs, predId] });
      readValue = graph.addOp({ type: 'Identity', name: base, inputs: [s.output(1)] }).output(0);
    }
    const sw1 = graph.addOp({ type: 'Switch', name: n('cond/Switch_1'), inputs: [initial, predId] });
    value = graph.addOp({ type: 'Merge', name: n('cond/Merge'), inputs: [[sw1.output(0), readValue]] }).output(0);
  } else if (gs.op.type === 'VarHandleOp') {
    value = graph.addOp({ type: 'ReadVariableOp', name: n('ReadVariableOp'), inputs: [gs], attrs: { dtype } }).output(0);
  } else {
    // A plain tensor (or a variable whose initial value is unknown): read it as is.
    value = isVariable ? graph.addOp({ type: 'Identity', name: n('read_value'), inputs: [gs] }).output(0) : gs;
  }
  const addName = n('add');
  const y = graph.addOp({ type: 'Const', name: `${addName}/y`, attrs: { dtype, value: dtype === 'int64' || dtype === 'uint64' ? 0n : 0 } });
  return graph.addOp({ type: 'AddV2', name: addName, inputs: [value, y] }).output(0);
}

// ---------------------------------------------------------------------------------------------
// For hooks.

/**
 * What a step-driven hook needs in `begin()`: its graph (given, else the graph of the monitored
 * session being created) and the global step read tensor. RuntimeError
 * `Global step should be created to use <hookName>.` when the graph has none, as Python. @internal
 */
export function hookGlobalStep(hookName: string, graph: Graph | null | undefined, current: unknown): { graph: Graph; read: Output } {
  const g = hookGraph(hookName, graph, current);
  const read = globalStepReadTensor(g);
  if (read === null) throw new RuntimeError(`Global step should be created to use ${hookName}.`);
  return { graph: g, read };
}

/** The graph a hook works on: the one given, else the monitored session's. @internal */
export function hookGraph(hookName: string, graph: Graph | null | undefined, current: unknown): Graph {
  const g = graph ?? current;
  if (!(g instanceof Graph)) {
    throw new RuntimeError(
      `${hookName} needs a Graph: use it in a MonitoredSession/MonitoredTrainingSession created with { graph }, or pass { graph } to the hook.`,
    );
  }
  return g;
}

/** A fetched global step (int64 tensor, plain tensor-like, number or bigint) as a number. @internal */
/**
 * Runs the global-step read tensor on a hook's session: the value at once when the read ran on
 * the JS thread (run modes 'auto' and 'sync'), else a Promise of it. What Python's hooks do with
 * `session.run(read)`.
 */
export function readGlobalStep(session: SessionLike, read: FetchStructure): MaybePromise<number> {
  const runMaybeSync = (session as { [RUN_MAYBE_SYNC]?: (fetch: FetchStructure) => unknown })[RUN_MAYBE_SYNC];
  if (typeof runMaybeSync === 'function') return andThen(runMaybeSync(read), stepValue);
  return session.run(read).then(stepValue);
}

/**
 * Python's `tf.compat.v1.train.global_step(sess, global_step_tensor)`: the global step's value as
 * a number, read with one run of `session`.
 * @example const step = await globalStep(sess, getGlobalStep(graph)!);
 */
export async function globalStep(session: SessionLike, globalStepTensor: FetchStructure): Promise<number> {
  if (session === null || typeof session !== 'object' || typeof session.run !== 'function')
    throw invalidArgument('session', 'a session', session);
  if (globalStepTensor === null || globalStepTensor === undefined)
    throw invalidArgument('globalStepTensor', 'the global step tensor (name or Output)', globalStepTensor);
  return stepValue(await session.run(globalStepTensor));
}

export function stepValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const data = (value as { data?: ArrayLike<unknown> } | null)?.data;
  if (data && data.length > 0) return Number(data[0]);
  throw new TypeError(`Expected a fetched global step but received ${String(value)}`);
}
