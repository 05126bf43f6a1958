/**
 * Where a new op goes and what it is called: Python's default graph, name scopes, control-dependency
 * scopes and device scopes, kept per graph. Every op function of the building API adds its op
 * through {@link addScopedOp}, so a model written in TypeScript gets the names Python would give it.
 */
import { currentGraph, inGraph } from '../core/current-graph';
import { ArgumentError, ValueError, invalidArgument } from '../core/errors';
import { Graph, Operation, Output, type AddOpSpec, type OpRef, type TensorRef } from '../core/graph';

/** What Python keeps on a tf.Graph for naming and scoping ops. */
interface BuildState {
  /** Lower-cased name → how many times it was handed out (Python's `_names_in_use`). */
  namesInUse: Map<string, number>;
  /** The current name scope, '' at the top ('a/b' inside `nameScope('a', () => nameScope('b', ...))`). */
  nameStack: string;
  /** The enclosing `controlDependencies` scopes, outermost first; a level with `ops: null` clears. */
  controlStack: ControlLevel[];
  device: string | undefined;
}

/** One `controlDependencies` scope: its control inputs, and the ops created while it was active. */
interface ControlLevel {
  ops: Operation[] | null;
  /**
   * Names of the ops created inside the scope (Python's controller `_seen_nodes`): a new op that
   * reads one of them already runs after the scope's ops, so it gets no control input from it.
   */
  seen: Set<string>;
}

const states = new WeakMap<Graph, BuildState>();

function stateOf(graph: Graph): BuildState {
  let s = states.get(graph);
  if (!s) {
    s = { namesInUse: new Map(), nameStack: '', controlStack: [], device: undefined };
    states.set(graph, s);
  }
  return s;
}

/** Runs `fn` with `graph` as the default graph (Python's `with graph.as_default():`). */
export function asDefault<T>(graph: Graph, fn: () => T): T {
  if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
  if (typeof fn !== 'function') throw invalidArgument('fn', 'a function', fn);
  return inGraph(graph, fn);
}

/** The default graph set by {@link asDefault} (or by a monitored session's hooks), or a ValueError. */
export function defaultGraph(): Graph {
  const g = currentGraph();
  if (g instanceof Graph) return g;
  throw new ValueError('No graph to build in: build inside asDefault(graph, () => ...), or pass an Output of the graph as an input.');
}

/**
 * The graph an op goes into: the graph of its first tensor input, else the default graph. Inputs
 * from two graphs are an error naming the parameter, as Python's "must be from the same graph".
 */
export function graphFor(inputs: ReadonlyArray<unknown>, param = 'inputs'): Graph {
  let graph: Graph | undefined;
  const visit = (x: unknown, where: string) => {
    const g = x instanceof Output || x instanceof Operation ? x.graph : undefined;
    if (!g) return;
    if (graph && g !== graph) throw new ArgumentError(where, `${where} is from another graph than the op's other inputs`);
    graph = g;
  };
  inputs.forEach((x, i) => (Array.isArray(x) ? x.forEach((y, j) => visit(y, `${param}[${i}][${j}]`)) : visit(x, `${param}[${i}]`)));
  const current = currentGraph();
  if (graph && current instanceof Graph && current !== graph) {
    // Python builds in the inputs' graph only when it is the default one; silently building into
    // another graph than the one in scope hides mistakes.
    throw new ValueError(`The op's inputs are from another graph than the default graph set by asDefault().`);
  }
  return graph ?? defaultGraph();
}

/**
 * A name not handed out yet under the current name scope: Python's `Graph.unique_name` (names
 * compared case-insensitively; 'a', 'a_1', 'a_2', ...). Names of ops added by other means (an
 * imported GraphDef, `graph.addOp`) are never reused either.
 */
export function uniqueName(graph: Graph, name: string, markAsUsed = true): string {
  const s = stateOf(graph);
  const full = s.nameStack ? `${s.nameStack}/${name}` : name;
  const baseKey = full.toLowerCase();
  let i = s.namesInUse.get(baseKey) ?? 0;
  if (markAsUsed) s.namesInUse.set(baseKey, i + 1);
  let key = baseKey;
  let result = full;
  if (i > 0 || graph.native.hasOperation(full)) {
    if (i === 0) i = 1;
    while (s.namesInUse.has(key) || graph.native.hasOperation(result)) {
      key = `${baseKey}_${i}`;
      result = `${full}_${i}`;
      i++;
    }
    if (markAsUsed) s.namesInUse.set(key, 1);
  }
  return result;
}

/** The current name scope of `graph` ('' at the top). */
export function currentNameScope(graph: Graph = defaultGraph()): string {
  return stateOf(graph).nameStack;
}

/**
 * Python's `tf.name_scope(name)`: ops created by `fn` get names under the scope, made unique
 * ('dense', then 'dense_1'). A name ending in '/' re-enters that exact scope; '' returns to the top.
 * `fn` receives the scope with its trailing '/' ('dense/'), as Python's `as scope` does.
 */
export function nameScope<T>(name: string, fn: (scope: string) => T, graph: Graph = defaultGraph()): T {
  if (typeof name !== 'string') throw invalidArgument('name', 'a scope name (string)', name);
  if (typeof fn !== 'function') throw invalidArgument('fn', 'a function', fn);
  if (name && !/^[A-Za-z0-9.][A-Za-z0-9_.\-/]*$/.test(name)) throw new ValueError(`'${name}' is not a valid scope name`);
  const s = stateOf(graph);
  const previous = s.nameStack;
  let stack: string;
  if (!name) stack = '';
  else if (name.endsWith('/')) stack = name.slice(0, -1);
  else stack = uniqueName(graph, name);
  s.nameStack = stack;
  try {
    return inGraph(graph, () => fn(stack ? `${stack}/` : ''));
  } finally {
    s.nameStack = previous;
  }
}

/**
 * Python's `tf.control_dependencies(ops)`: every op `fn` creates runs after `ops`. `null` clears
 * the enclosing scopes' dependencies for `fn`, as Python's `control_dependencies(None)`.
 */
export function controlDependencies<T>(ops: OpRef[] | null, fn: () => T, graph?: Graph): T {
  if (ops !== null && !Array.isArray(ops)) throw invalidArgument('ops', 'an array of operations or tensors, or null', ops);
  if (typeof fn !== 'function') throw invalidArgument('fn', 'a function', fn);
  const g = graph ?? (ops?.length ? graphFor(ops, 'ops') : defaultGraph());
  const resolved =
    ops?.map((o, i) => (typeof o === 'string' ? g.operation(o) : o instanceof Output ? o.op : checkOp(o, `ops[${i}]`))) ?? null;
  const s = stateOf(g);
  s.controlStack.push({ ops: resolved, seen: new Set() });
  try {
    return inGraph(g, fn);
  } finally {
    s.controlStack.pop();
  }
}

function checkOp(o: unknown, param: string): Operation {
  if (!(o instanceof Operation)) throw invalidArgument(param, 'an Operation, an Output or an op name', o);
  return o;
}

/** Python's `tf.device(name)`: ops created by `fn` are placed on `device` ('' clears it). */
export function device<T>(deviceName: string, fn: () => T, graph: Graph = defaultGraph()): T {
  if (typeof deviceName !== 'string') throw invalidArgument('device', "a device name such as '/device:CPU:0'", deviceName);
  const s = stateOf(graph);
  const previous = s.device;
  s.device = deviceName || undefined;
  try {
    return inGraph(graph, fn);
  } finally {
    s.device = previous;
  }
}

/** The scopes in effect: those after the innermost `controlDependencies(null)`. */
function activeLevels(s: BuildState): ControlLevel[] {
  let active: ControlLevel[] = [];
  for (const level of s.controlStack) active = level.ops === null ? [] : [...active, level];
  return active;
}

/**
 * The control inputs the enclosing scopes give a new op (Python's `_control_dependencies_for_inputs`):
 * none from a scope one of whose own ops the new op reads (it already runs after that scope's
 * inputs), and never an op it takes as data.
 */
function scopedControlInputs(levels: ControlLevel[], inputs: ReadonlyArray<TensorRef | TensorRef[]>): Operation[] {
  if (!levels.length) return [];
  const dataOps = new Set<string>();
  for (const x of inputs.flat()) {
    if (x instanceof Output) dataOps.add(x.op.name);
    else if (x instanceof Operation) dataOps.add(x.name);
    else if (typeof x === 'string') dataOps.add(x.replace(/^\^/, '').replace(/:\d+$/, ''));
  }
  const out: Operation[] = [];
  const added = new Set<string>();
  for (const level of levels) {
    if ([...dataOps].some((n) => level.seen.has(n))) continue;
    for (const op of level.ops!) {
      if (!dataOps.has(op.name) && !added.has(op.name)) {
        added.add(op.name);
        out.push(op);
      }
    }
  }
  return out;
}

export interface ScopedOpSpec extends Omit<AddOpSpec, 'name'> {
  /**
   * The op's name before scoping and uniquing; defaults to the op type, as Python's op wrappers.
   * A name ending in '/' (a scope's name, as `nameScope` hands it out) is the op's full name, as is.
   */
  name?: string;
  /** The graph, when no input tells it and no default graph is set. */
  graph?: Graph;
}

/**
 * Adds an op the way Python's op wrappers do: in the inputs' (or the default) graph, named
 * `<scope>/<name>` made unique, with the enclosing scopes' control inputs and device.
 */
export function addScopedOp(spec: ScopedOpSpec): Operation {
  if (spec === null || typeof spec !== 'object') throw invalidArgument('spec', 'an op description object', spec);
  const inputs = spec.inputs ?? [];
  const graph = spec.graph ?? graphFor(inputs);
  const s = stateOf(graph);
  // A name ending in '/' is a scope's own name, used as is: Python names an op created with
  // `name=scope` after the scope ('train/loss/' → 'train/loss'), without making it unique again.
  const name = spec.name?.endsWith('/') ? spec.name.slice(0, -1) : uniqueName(graph, spec.name ?? spec.type);
  const levels = activeLevels(s);
  const controlInputs = [...scopedControlInputs(levels, inputs), ...(spec.controlInputs ?? [])];
  const op = graph.addOp({
    type: spec.type,
    name,
    inputs,
    attrs: spec.attrs,
    controlInputs,
    device: spec.device ?? s.device,
  });
  for (const level of levels) level.seen.add(op.name);
  return op;
}
