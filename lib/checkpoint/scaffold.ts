/**
 * `Scaffold` (Python's `tf.compat.v1.train.Scaffold`): the ops a training session needs besides the
 * model, taken from the constructor, else from the graph's collections, else built by `finalize()`
 * as Python builds them (docs/python-parity.md §4). `finalize()` then finalizes the graph.
 */
import { initFromCheckpoint, type AssignmentMap } from './init-from-checkpoint';
import { isMessage } from '@bufbuild/protobuf';
import { RuntimeError, ValueError, invalidArgument } from '../core/errors';
import { checkOptionNames, checkOptionsObject } from '../core/options';
import { Graph, Operation, Output, type OpRef, type TensorRef } from '../core/graph';
import type { Session } from '../core/session';
import { SaverDefSchema } from '../proto/gen/tensorflow/core/protobuf/saver_pb';
import { GraphKeys, opOf, outputOf, uniqueScope } from '../core/global-step';
import * as logging from '../core/logging';
import { currentGraph } from '../core/current-graph';
import { Saver } from './saver';
import type { Feeds } from '../core/session';
import { type GraphVariable, findVariables, resolveVariable, type VariableRef } from '../core/variables';

/** Python's `init_fn(scaffold, session)`. */
export type ScaffoldInitFn = (scaffold: Scaffold, session: Session) => void | Promise<void>;

export interface ScaffoldOptions {
  /** Initializes the model when nothing is restored. */
  initOp?: OpRef | null;
  initFeedDict?: Feeds | null;
  /** Called after `initOp` when nothing is restored, as `initFn(scaffold, session)`. */
  initFn?: ScaffoldInitFn | null;
  /** A 1-D string tensor listing what is not initialized (empty when ready); an op means "ready". */
  readyOp?: TensorRef | null;
  /** The same, for what `localInitOp` needs (global variables). */
  readyForLocalInitOp?: TensorRef | null;
  localInitOp?: OpRef | null;
  localInitFeedDict?: Feeds | null;
  /** A string tensor holding a serialized Summary, or an array of them. */
  summaryOp?: TensorRef | readonly TensorRef[] | null;
  saver?: Saver | null;
  /** Fields not given here are taken from this scaffold (Python's `copy_from_scaffold`). */
  copyFromScaffold?: Scaffold | null;
  /**
   * Warm start: before the default init op is built, the variables the map names are set to load
   * their initial values from another run's checkpoint (Python's `init_from_checkpoint` called
   * while building the model; see lib/checkpoint/init-from-checkpoint.ts). It applies when the run
   * starts from scratch: a checkpoint of the run's own directory still wins, as in Python.
   * @example new Scaffold({ initFromCheckpoint: { ckptDirOrFile: 'runs/pretrain', assignmentMap: { 'encoder/': 'encoder/' } } })
   */
  initFromCheckpoint?: WarmStart | null;
}

/** Where a warm start loads from, and which variables: `initFromCheckpoint`'s arguments. */
export interface WarmStart {
  ckptDirOrFile: string;
  assignmentMap: AssignmentMap;
}

type SummaryOp = Output | Operation | readonly (Output | Operation)[];

const SCAFFOLD_OPTIONS = [
  'initOp',
  'initFeedDict',
  'initFn',
  'readyOp',
  'readyForLocalInitOp',
  'localInitOp',
  'localInitFeedDict',
  'summaryOp',
  'saver',
  'copyFromScaffold',
  'initFromCheckpoint',
] satisfies Array<keyof ScaffoldOptions>;

/**
 * The init, ready, local-init and summary ops and the saver of a training session (see
 * {@link finalize}).
 *
 * @example
 * const scaffold = new Scaffold({ initFn: async (scaffold, sess) => { await scaffold.saver!.restore(sess, 'pretrained/model.ckpt-100'); } });
 * const sess = await MonitoredTrainingSession({ graph, scaffold, checkpointDir: 'runs/a' });
 */
export class Scaffold {
  private initOpValue: OpRef | null;
  private readonly initFeedDictValue: Feeds | null;
  private readonly userInitFn: ScaffoldInitFn | null;
  private readonly boundInitFn: ((session: Session) => Promise<void>) | null;
  private readyOpValue: TensorRef | null;
  private readyForLocalInitOpValue: TensorRef | null;
  private localInitOpValue: OpRef | null;
  private readonly localInitFeedDictValue: Feeds | null;
  private summaryOpValue: TensorRef | readonly TensorRef[] | null;
  private saverValue: Saver | null;
  private graphValue: Graph | null = null;
  private readonly warmStart: WarmStart | null;

  constructor(opts: ScaffoldOptions = {}) {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('options', 'an object', opts);
    checkOptionNames(opts, SCAFFOLD_OPTIONS, 'Scaffold');
    let {
      initOp = null,
      initFeedDict = null,
      initFn = null,
      readyOp = null,
      readyForLocalInitOp = null,
      localInitOp = null,
      localInitFeedDict = null,
      summaryOp = null,
      saver = null,
      initFromCheckpoint: warmStart = null,
    } = opts;
    const from = opts.copyFromScaffold ?? null;
    if (from !== null) {
      if (!(from instanceof Scaffold)) throw new TypeError('copy_from_scaffold is not a Scaffold instance.');
      initOp ??= from.initOpValue;
      initFeedDict ??= from.initFeedDictValue;
      initFn ??= from.userInitFn;
      readyOp ??= from.readyOpValue;
      readyForLocalInitOp ??= from.readyForLocalInitOpValue;
      localInitOp ??= from.localInitOpValue;
      localInitFeedDict ??= from.localInitFeedDictValue;
      summaryOp ??= from.summaryOpValue;
      saver ??= from.saverValue;
      warmStart ??= from.warmStart;
    }
    if (initFn !== null && typeof initFn !== 'function') throw invalidArgument('initFn', 'a function (scaffold, session) => void', initFn);
    if (saver !== null && !(saver instanceof Saver)) throw invalidArgument('saver', 'a Saver', saver);
    if (warmStart !== null) {
      const o = checkOptionsObject<WarmStart>(
        warmStart,
        'initFromCheckpoint',
        ['ckptDirOrFile', 'assignmentMap'],
        'Scaffold initFromCheckpoint',
      );
      if (typeof o.ckptDirOrFile !== 'string' || o.ckptDirOrFile === '') {
        throw invalidArgument('initFromCheckpoint.ckptDirOrFile', 'a checkpoint directory or prefix', o.ckptDirOrFile);
      }
      if (o.assignmentMap === null || typeof o.assignmentMap !== 'object') {
        throw invalidArgument('initFromCheckpoint.assignmentMap', "an assignment map ({ 'scope/': 'scope/' })", o.assignmentMap);
      }
    }
    this.warmStart = warmStart;
    this.initOpValue = initOp;
    this.initFeedDictValue = initFeedDict;
    this.userInitFn = initFn;
    this.boundInitFn = initFn
      ? async (session: Session) => {
          await initFn(this, session);
        }
      : null;
    this.readyOpValue = readyOp;
    this.readyForLocalInitOpValue = readyForLocalInitOp;
    this.localInitOpValue = localInitOp;
    this.localInitFeedDictValue = localInitFeedDict;
    this.summaryOpValue = summaryOp;
    this.saverValue = saver;
  }

  /**
   * Builds what is missing, then finalizes `graph`. Runs on every session
   * (re-)creation; repeated calls only finalize again. `graph` defaults to the graph this scaffold
   * was finalized with before, else the graph of the monitored session being created.
   *
   * | field | collection | built when missing |
   * |---|---|---|
   * | initOp | `init_op` | `group_deps`: NoOp after `init` (every global variable's initializer) and `init_1` (shared resources: none in TS) and the `saved_model_initializers` |
   * | readyOp | `ready_op` | `concat`: names of uninitialized global and local variables (1-D string) |
   * | readyForLocalInitOp | `ready_for_local_init_op` | `concat_1`: the same for global variables only |
   * | localInitOp | `local_init_op` | `group_deps_1`: NoOp after `init_2` (local variables), `init_all_tables` (`table_initializer` collection), `init_3` (local resources: none) |
   * | summaryOp | `summary_op` | `Merge/MergeSummary` of the `summaries` collection; none when it is empty |
   * | saver | `savers` | `Saver({ sharded: true, allowEmpty: true })` (max_to_keep 5, V2) |
   *
   * Then the graph is finalized (`graph.finalize('Scaffold.finalize()')`; adding ops afterwards
   * throws an error naming it) and "Graph was finalized." is logged at INFO.
   */
  finalize(graph?: Graph | null): this {
    const g = graph ?? this.graphValue ?? (currentGraph() as Graph | null);
    if (!(g instanceof Graph)) throw invalidArgument('graph', 'a Graph (Scaffold.finalize(graph))', g);
    if (this.graphValue !== null && this.graphValue !== g) {
      throw new ValueError('This Scaffold was finalized with another graph; use a new Scaffold for each graph.');
    }
    // Once per graph: the variables' initializers then load from the checkpoint, and the default
    // init op built below runs them.
    if (this.warmStart !== null && this.graphValue === null) {
      initFromCheckpoint(g, this.warmStart.ckptDirOrFile, this.warmStart.assignmentMap);
    }
    this.graphValue = g;
    this.initOpValue = resolveOp(g, this.initOpValue ?? getOrDefault(g, 'init_op', GraphKeys.INIT_OP, () => defaultInitOp(g)), 'initOp');
    this.readyOpValue = resolveReady(
      g,
      this.readyOpValue ?? getOrDefault(g, 'ready_op', GraphKeys.READY_OP, () => defaultReadyOp(g, false)),
      'readyOp',
    );
    this.readyForLocalInitOpValue = resolveReady(
      g,
      this.readyForLocalInitOpValue ??
        getOrDefault(g, 'ready_for_local_init_op', GraphKeys.READY_FOR_LOCAL_INIT_OP, () => defaultReadyOp(g, true)),
      'readyForLocalInitOp',
    );
    this.localInitOpValue = resolveOp(
      g,
      this.localInitOpValue ?? getOrDefault(g, 'local_init_op', GraphKeys.LOCAL_INIT_OP, () => defaultLocalInitOp(g)),
      'localInitOp',
    );
    if (this.summaryOpValue === null) {
      this.summaryOpValue = getOrDefault(g, 'summary_op', GraphKeys.SUMMARY_OP, () => mergeAllSummaries(g)) as TensorRef | null;
    }
    if (this.summaryOpValue !== null) this.summaryOpValue = resolveSummary(g, this.summaryOpValue);
    this.saverValue ??= saverOrDefault(g);
    g.finalize('Scaffold.finalize()');
    logging.info('Graph was finalized.');
    return this;
  }

  /** The graph of the last `finalize()`, or null. */
  get graph(): Graph | null {
    return this.graphValue;
  }

  /** `session => initFn(this, session)`, or null (Python's `scaffold.init_fn`). */
  get initFn(): ((session: Session) => Promise<void>) | null {
    return this.boundInitFn;
  }

  get initOp(): OpRef | null {
    return this.initOpValue;
  }
  get initFeedDict(): Feeds | null {
    return this.initFeedDictValue;
  }
  get readyOp(): TensorRef | null {
    return this.readyOpValue;
  }
  get readyForLocalInitOp(): TensorRef | null {
    return this.readyForLocalInitOpValue;
  }
  get localInitOp(): OpRef | null {
    return this.localInitOpValue;
  }
  get localInitFeedDict(): Feeds | null {
    return this.localInitFeedDictValue;
  }
  /** The summary tensor (or array of them) after `finalize()`; null when the graph has no summaries. */
  get summaryOp(): SummaryOp | TensorRef | readonly TensorRef[] | null {
    return this.summaryOpValue as SummaryOp | null;
  }
  get saver(): Saver | null {
    return this.saverValue;
  }
}

// ---------------------------------------------------------------------------------------------
// Lookups.

/**
 * Python's `Scaffold.get_or_default`: the single item of the collection, or what `ctor` builds
 * (added to the collection). More than one item: RuntimeError with Python's (unformatted) message.
 */
function getOrDefault(graph: Graph, argName: string, key: string, ctor: () => unknown): unknown {
  const items = graph.getCollection(key);
  if (items.length > 1) {
    throw new RuntimeError(
      `('More than one item in the collection "%s". Please indicate which one to use by passing it to ` +
        `the tf.Scaffold constructor as:  tf.Scaffold(%s=item to use)', '${key}', '${argName}')`,
    );
  }
  if (items.length === 1) return items[0];
  const made = ctor();
  if (made !== null && made !== undefined) graph.addToCollection(key, made);
  return made ?? null;
}

function resolveOp(graph: Graph, item: unknown, param: string): Operation | null {
  return item === null || item === undefined ? null : opOf(graph, item, param);
}

/** A ready op is a tensor (its value lists what is not ready) or an op (running it means "ready"). */
function resolveReady(graph: Graph, item: unknown, param: string): Output | Operation | null {
  if (item === null || item === undefined) return null;
  if (item instanceof Output || item instanceof Operation) return item;
  if (typeof item === 'string') return /:\d+$/.test(item) ? graph.tensor(item) : graph.operation(item);
  return outputOf(graph, item, param);
}

function resolveSummary(graph: Graph, item: unknown): SummaryOp {
  if (Array.isArray(item)) return item.map((x, i) => outputOf(graph, x, `summaryOp[${i}]`));
  return outputOf(graph, item, 'summaryOp');
}

/**
 * Python's `_get_saver_or_default` (also CheckpointSaverHook's lookup): the single item of the
 * `savers` collection, else a new `Saver({ sharded: true, allowEmpty: true })` added to it.
 */
function saverOrDefault(graph: Graph): Saver {
  const items = graph.getCollection(GraphKeys.SAVERS);
  if (items.length > 1) {
    throw new RuntimeError('More than one item in collection savers. Please indicate which one to use by passing it to the constructor.');
  }
  if (items.length === 1) return saverFromCollectionItem(graph, items[0]);
  const saver = new Saver({ graph, sharded: true, allowEmpty: true });
  graph.addToCollection(GraphKeys.SAVERS, saver);
  return saver;
}

/** A `savers` collection item (a Saver, or the SaverDef a loaded MetaGraphDef holds) as a Saver. @internal */
export function saverFromCollectionItem(graph: Graph, item: unknown): Saver {
  if (item instanceof Saver) return item;
  if (isMessage(item, SaverDefSchema)) {
    // Python's Saver.from_proto: the saver ops are already in the graph.
    const cached = fromProtoCache.get(item);
    if (cached) return cached;
    const saver = new Saver({ graph, saverDef: item });
    fromProtoCache.set(item, saver);
    return saver;
  }
  throw invalidArgument('savers collection item', 'a Saver or a SaverDef', item);
}

const fromProtoCache = new WeakMap<object, Saver>();

// ---------------------------------------------------------------------------------------------
// Default ops, with Python's names and structure.

/** Global variables: the `variables` collection, or every variable op not in `local_variables`. */
function globalVariables(graph: Graph): Array<{ v: GraphVariable; item: unknown }> {
  const listed = graph.getCollection(GraphKeys.GLOBAL_VARIABLES);
  if (listed.length) return listed.map((item, i) => ({ v: resolveVariable(graph, item as VariableRef, `variables[${i}]`), item }));
  const local = new Set(localVariables(graph).map(({ v }) => v.name));
  return findVariables(graph)
    .filter((v) => !local.has(v.name))
    .map((v) => ({ v, item: v.op }));
}

function localVariables(graph: Graph): Array<{ v: GraphVariable; item: unknown }> {
  return graph
    .getCollection(GraphKeys.LOCAL_VARIABLES)
    .map((item, i) => ({ v: resolveVariable(graph, item as VariableRef, `local_variables[${i}]`), item }));
}

/**
 * A variable's initializer: the VariableDef's `initializer_name` (an op, or a tensor of it), else `<name>/Assign`, else the
 * first Assign/AssignVariableOp of the variable outside the saver's ops.
 */
function initializerOf(graph: Graph, v: GraphVariable, item: unknown): Operation {
  const given = (item as { initializerName?: unknown })?.initializerName;
  // Python may record the initializer as a tensor ('Assign:0', what init_from_checkpoint writes): its op.
  const fromDef = typeof given === 'string' ? given.replace(/:\d+$/, '') : '';
  if (fromDef && graph.hasOperation(fromDef)) return graph.operation(fromDef);
  const conventional = graph.tryOperation(`${v.name}/Assign`);
  if (conventional) return conventional;
  for (const op of graph.operations()) {
    if ((op.type === 'Assign' || op.type === 'AssignVariableOp') && !/^save(_\d+)?\//.test(op.name) && op.inputs[0]?.op.name === v.name)
      return op;
  }
  throw new ValueError(
    `No initializer found for variable '${v.name}': give it a VariableDef with initializer_name in the ` +
      `'variables' collection, name it '${v.name}/Assign', or pass Scaffold({ initOp }).`,
  );
}

/** Python's `control_flow_ops.group`: one NoOp after `deps` (a NoOp per device first, when on several). */
function group(graph: Graph, base: string, deps: readonly Operation[]): Operation {
  const name = uniqueScope(graph, base);
  if (deps.length === 0) return graph.addOp({ type: 'NoOp', name });
  const byDevice = new Map<string, Operation[]>();
  for (const d of deps) {
    const list = byDevice.get(d.device) ?? [];
    list.push(d);
    byDevice.set(d.device, list);
  }
  if (byDevice.size === 1) {
    const [device] = byDevice.keys();
    return graph.addOp({ type: 'NoOp', name, device: device || undefined, controlInputs: [...deps] });
  }
  const perDevice = [...byDevice.keys()].sort().map((device) =>
    graph.addOp({
      type: 'NoOp',
      name: graph.uniqueName(`${name}/NoOp`),
      device: device || undefined,
      controlInputs: byDevice.get(device)!,
    }),
  );
  return graph.addOp({ type: 'NoOp', name, controlInputs: perDevice });
}

function defaultInitOp(graph: Graph): Operation {
  const init = group(
    graph,
    'init',
    globalVariables(graph).map(({ v, item }) => initializerOf(graph, v, item)),
  );
  const resources = group(graph, 'init', []);
  const savedModel = graph
    .getCollection(GraphKeys.SAVED_MODEL_INITIALIZERS)
    .map((x, i) => opOf(graph, x, `saved_model_initializers[${i}]`));
  return group(graph, 'group_deps', [init, resources, ...savedModel]);
}

function defaultLocalInitOp(graph: Graph): Operation {
  const locals = group(
    graph,
    'init',
    localVariables(graph).map(({ v, item }) => initializerOf(graph, v, item)),
  );
  const tables = group(
    graph,
    'init_all_tables',
    graph.getCollection(GraphKeys.TABLE_INITIALIZERS).map((x, i) => opOf(graph, x, `table_initializer[${i}]`)),
  );
  const resources = group(graph, 'init', []);
  return group(graph, 'group_deps', [locals, tables, resources]);
}

function defaultReadyOp(graph: Graph, globalOnly: boolean): Output {
  const vars = globalOnly ? globalVariables(graph) : [...globalVariables(graph), ...localVariables(graph)];
  const uninitVars = reportUninitializedVariables(
    graph,
    vars.map(({ v }) => v),
  );
  const uninitResources = emptyStrings(graph, `${uniqueScope(graph, 'report_uninitialized_resources')}/Const`);
  const concat = uniqueScope(graph, 'concat');
  const axis = graph.addOp({ type: 'Const', name: `${concat}/axis`, attrs: { dtype: 'int32', value: 0 } });
  return graph.addOp({ type: 'ConcatV2', name: concat, inputs: [[uninitVars, uninitResources], axis] }).output(0);
}

const CPU0 = '/device:CPU:0';

function emptyStrings(graph: Graph, name: string): Output {
  return graph
    .addOp({ type: 'Const', name, device: CPU0, attrs: { dtype: 'string', value: { dtype: 'string', shape: [0], data: [] } } })
    .output(0);
}

/**
 * Python's `report_uninitialized_variables`: the names (op names, no ':0') of the variables that
 * are not initialized, as `boolean_mask(names, logical_not(stack(is_initialized(v) for v)))`, on
 * the CPU, with Python's op names under `report_uninitialized_variables/`.
 */
function reportUninitializedVariables(graph: Graph, vars: readonly GraphVariable[]): Output {
  const scope = uniqueScope(graph, 'report_uninitialized_variables');
  if (vars.length === 0) return emptyStrings(graph, `${scope}/Const`);
  const n = (s: string) => graph.uniqueName(`${scope}/${s}`);
  const initialized = vars.map((v) =>
    (v.kind === 'resource'
      ? graph.addOp({ type: 'VarIsInitializedOp', name: n('VarIsInitializedOp'), inputs: [v.op.output(0)] })
      : graph.addOp({
          type: 'IsVariableInitialized',
          name: n('IsVariableInitialized'),
          inputs: [v.op.output(0)],
          attrs: { dtype: v.dtype },
        })
    ).output(0),
  );
  const dev = { device: CPU0 };
  const stack = graph.addOp({ type: 'Pack', name: n('stack'), ...dev, inputs: [initialized], attrs: { axis: 0 } });
  const mask = graph.addOp({ type: 'LogicalNot', name: n('LogicalNot'), ...dev, inputs: [stack] });
  const names = graph.addOp({ type: 'Const', name: n('Const'), ...dev, attrs: { dtype: 'string', value: vars.map((v) => v.name) } });
  // boolean_mask(names, mask), as Python builds it for a 1-D mask on axis 0.
  const bm = `${scope}/boolean_mask`;
  const i32 = (name: string, value: number | number[]) =>
    graph.addOp({ type: 'Const', name: `${bm}/${name}`, ...dev, attrs: { dtype: 'int32', value } });
  const count = vars.length;
  const slice = (suffix: string, begin: number, end: number, masks: { begin_mask?: number; end_mask?: number }) => {
    const shape = i32(`Shape${suffix}`, [count]);
    const ss = `strided_slice${suffix}`;
    return graph.addOp({
      type: 'StridedSlice',
      name: `${bm}/${ss}`,
      ...dev,
      inputs: [shape, i32(`${ss}/stack`, [begin]), i32(`${ss}/stack_1`, [end]), i32(`${ss}/stack_2`, [1])],
      attrs: {
        Index: 'int32',
        begin_mask: masks.begin_mask ?? 0,
        end_mask: masks.end_mask ?? 0,
        ellipsis_mask: 0,
        new_axis_mask: 0,
        shrink_axis_mask: 0,
      },
    });
  };
  const leading = slice('', 0, 1, {});
  const prod = graph.addOp({
    type: 'Prod',
    name: `${bm}/Prod`,
    ...dev,
    inputs: [leading, i32('Prod/reduction_indices', [0])],
    attrs: { keep_dims: false },
  });
  const before = slice('_1', 0, 0, { begin_mask: 1 });
  const after = slice('_2', 1, 0, { end_mask: 1 });
  const values1 = graph.addOp({ type: 'Pack', name: `${bm}/concat/values_1`, ...dev, inputs: [[prod]], attrs: { axis: 0 } });
  const shape = graph.addOp({ type: 'ConcatV2', name: `${bm}/concat`, ...dev, inputs: [[before, values1, after], i32('concat/axis', 0)] });
  const reshaped = graph.addOp({ type: 'Reshape', name: `${bm}/Reshape`, ...dev, inputs: [names, shape] });
  const flatMask = graph.addOp({ type: 'Reshape', name: `${bm}/Reshape_1`, ...dev, inputs: [mask, i32('Reshape_1/shape', [-1])] });
  const where = graph.addOp({ type: 'Where', name: `${bm}/Where`, ...dev, inputs: [flatMask] });
  const indices = graph.addOp({ type: 'Squeeze', name: `${bm}/Squeeze`, ...dev, inputs: [where], attrs: { squeeze_dims: [1] } });
  return graph
    .addOp({
      type: 'GatherV2',
      name: `${bm}/GatherV2`,
      ...dev,
      inputs: [reshaped, indices, i32('GatherV2/axis', 0)],
      attrs: { batch_dims: 0 },
    })
    .output(0);
}

/** Python's `summary.merge_all()`: `Merge/MergeSummary` of the `summaries` collection, or null. */
function mergeAllSummaries(graph: Graph): Output | null {
  const items = graph.getCollection(GraphKeys.SUMMARIES);
  if (items.length === 0) return null;
  const inputs = items.map((x, i) => outputOf(graph, x, `summaries[${i}]`));
  return graph.addOp({ type: 'MergeSummary', name: `${uniqueScope(graph, 'Merge')}/MergeSummary`, inputs: [inputs] }).output(0);
}
