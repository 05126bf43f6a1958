/**
 * Variables as `tf.compat.v1.get_variable` makes them in a TF1 graph: a ref variable (VariableV2)
 * `scope/name` with `scope/name/Initializer/...`, `scope/name/Assign` and `scope/name/read`, in the
 * graph's collections (so exportMetaGraph and the Saver find it), reused by name under a
 * `variableScope` with `reuse`. Initializers: lib/ops/initializers.ts.
 */
import { create } from '@bufbuild/protobuf';
import { VariableDefSchema, type VariableDef } from '../proto/gen/tensorflow/core/framework/variable_pb';
import { checkDType, type DType } from '../core/dtypes';
import { ArgumentError, ValueError, invalidArgument } from '../core/errors';
import { type Graph, Operation, Output } from '../core/graph';
import { checkShape, type TensorLike } from '../core/tensor';
import { GraphKeys } from '../core/collections';
import { constant, type TensorInput } from './constant';
import { glorotUniformInitializer, isFloatDType, isInitializer, zerosInitializer, type Initializer } from './initializers';
import { addScopedOp, controlDependencies, defaultGraph, nameScope } from './scope';

const stripIndex = (n: string) => n.replace(/:\d+$/, '');

/** A ref variable: Python's RefVariable. */
export class Variable {
  /** The VariableV2 operation ('dense/kernel'). */
  readonly op: Operation;
  /** Output 0 of the variable op, the reference ('dense/kernel:0'): what Assign and the Apply* ops take. */
  readonly ref: Output;
  /** The Assign op that sets the initial value. */
  readonly initializer: Operation;
  /** The initial value ('dense/kernel/Initializer/...:0'). */
  readonly initialValue: Output;
  readonly trainable: boolean;
  private readonly snapshot: Output;

  constructor(parts: { op: Operation; initializer: Operation; initialValue: Output; snapshot: Output; trainable: boolean }) {
    this.op = parts.op;
    this.ref = parts.op.output(0);
    this.initializer = parts.initializer;
    this.initialValue = parts.initialValue;
    this.snapshot = parts.snapshot;
    this.trainable = parts.trainable;
  }

  /** Python's `variable.name`: the tensor name, 'dense/kernel:0'. The op name is `variable.op.name`. */
  get name(): string {
    return this.ref.name;
  }
  get graph(): Graph {
    return this.op.graph;
  }
  get dtype(): DType {
    return this.ref.dtype;
  }
  /** The declared shape (-1 for an unknown dimension). */
  get shape(): number[] {
    return this.ref.shape ?? [];
  }
  /** The value read through `<name>/read` (Python's `variable.value()`): what a model uses. */
  value(): Output {
    return this.snapshot;
  }

  /** Python's `variable.assign(value)`: an Assign op ('Assign' in the current name scope); its output is the new value. */
  assign(value: TensorInput, opts: { useLocking?: boolean; name?: string } = {}): Output {
    return this.update('Assign', value, opts, { validate_shape: true });
  }
  /** Python's `variable.assign_add(delta)`. */
  assignAdd(delta: TensorInput, opts: { useLocking?: boolean; name?: string } = {}): Output {
    return this.update('AssignAdd', delta, opts);
  }
  /** Python's `variable.assign_sub(delta)`. */
  assignSub(delta: TensorInput, opts: { useLocking?: boolean; name?: string } = {}): Output {
    return this.update('AssignSub', delta, opts);
  }

  private update(
    type: string,
    value: TensorInput,
    opts: { useLocking?: boolean; name?: string },
    extra: Record<string, unknown> = {},
  ): Output {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
    if (opts.useLocking !== undefined && typeof opts.useLocking !== 'boolean')
      throw invalidArgument('opts.useLocking', 'a boolean', opts.useLocking);
    const attrs = { use_locking: opts.useLocking, ...extra };
    if (value instanceof Output || value instanceof Operation) {
      return addScopedOp({ type, name: opts.name ?? type, inputs: [this.ref, value], attrs }).output(0);
    }
    // A JS value becomes '<op>/value', inside the op's own scope, as Python's op wrappers convert inputs.
    return nameScope(
      opts.name ?? type,
      (scope) => {
        const v = constant(value as TensorLike, { dtype: this.dtype, name: 'value' });
        return addScopedOp({ type, name: scope, inputs: [this.ref, v], attrs }).output(0);
      },
      this.graph,
    );
  }

  /** The VariableDef of the collections and the MetaGraphDef (Python's `to_proto`). */
  toProto(exportScope?: string): VariableDef | null {
    const strip = (n: string) => (exportScope ? (n.startsWith(`${exportScope}/`) ? n.slice(exportScope.length + 1) : null) : n);
    const names = [this.ref.name, this.initializer.name, this.snapshot.name, this.initialValue.name].map(strip);
    if (names.some((n) => n === null)) return null;
    return create(VariableDefSchema, {
      variableName: names[0]!,
      initializerName: names[1]!,
      snapshotName: names[2]!,
      initialValueName: names[3]!,
      trainable: this.trainable,
    });
  }

  /** A Variable for a VariableDef of a loaded graph (a ref variable). */
  static fromDef(graph: Graph, def: VariableDef): Variable {
    if (def.isResource)
      throw new ValueError(`Variable ${def.variableName} is a resource variable; only ref variables (VariableV2) are handled here`);
    return new Variable({
      op: graph.operation(stripIndex(def.variableName)),
      initializer: graph.operation(def.initializerName),
      initialValue: graph.tensor(def.initialValueName || def.snapshotName),
      snapshot: graph.tensor(def.snapshotName),
      trainable: def.trainable,
    });
  }

  toString(): string {
    return `Variable(${this.name} shape=[${this.shape}] dtype=${this.dtype})`;
  }
}

export type Reuse = boolean | 'auto';

interface ScopeState {
  /** The current variable scope's name ('' at the top), and its reuse. */
  name: string;
  reuse: Reuse;
  /** Variables made by getVariable, by full name (Python's _VariableStore). */
  store: Map<string, Variable>;
}
const scopes = new WeakMap<Graph, ScopeState>();
function scopeOf(graph: Graph): ScopeState {
  let s = scopes.get(graph);
  if (!s) scopes.set(graph, (s = { name: '', reuse: false, store: new Map() }));
  return s;
}

/** What `variableScope` passes to its function. */
export interface VariableScope {
  /** The variable scope's full name ('outer/dense'). */
  readonly name: string;
  readonly reuse: Reuse;
  /** The name scope opened with it ('dense_1/' when 'dense' was used before), as Python's `original_name_scope`. */
  readonly originalNameScope: string;
}

/**
 * Python's `tf.compat.v1.variable_scope(name, reuse=...)`: variables made by `getVariable` in
 * `fn` are named `<scope>/<name>`; a name scope of the same name is opened too (made unique:
 * 'dense', 'dense_1'), so other ops are named as Python names them. `reuse: true` returns existing
 * variables (and is inherited by inner scopes), `'auto'` creates them when missing.
 */
export function variableScope<T>(
  name: string,
  fn: (scope: VariableScope) => T,
  opts: { reuse?: Reuse } = {},
  graph: Graph = defaultGraph(),
): T {
  if (typeof name !== 'string' || !name || name.includes('//') || name.endsWith('/'))
    throw invalidArgument('name', 'a variable scope name', name);
  if (typeof fn !== 'function') throw invalidArgument('fn', 'a function', fn);
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  const reuseOpt = opts.reuse;
  if (reuseOpt !== undefined && typeof reuseOpt !== 'boolean' && reuseOpt !== 'auto')
    throw invalidArgument('opts.reuse', "true, false or 'auto'", reuseOpt);
  const s = scopeOf(graph);
  const previous = { name: s.name, reuse: s.reuse };
  // Inner scopes inherit reuse=true (Python: reuse can be turned on, not off, inside a scope).
  const reuse: Reuse = s.reuse === true ? true : (reuseOpt ?? s.reuse);
  const full = s.name ? `${s.name}/${name}` : name;
  return nameScope(
    name,
    (ns) => {
      s.name = full;
      s.reuse = reuse;
      try {
        return fn({ name: full, reuse, originalNameScope: ns });
      } finally {
        s.name = previous.name;
        s.reuse = previous.reuse;
      }
    },
    graph,
  );
}

/** The current variable scope's name ('' at the top). */
export function currentVariableScope(graph: Graph = defaultGraph()): string {
  return scopeOf(graph).name;
}

export interface GetVariableOptions {
  /** Required unless the initializer is a value (an Output or a JS value) that has one. */
  shape?: number[];
  dtype?: DType;
  /** An initializer (glorot uniform for floats and zeros for integers/bools by default), or an initial value. */
  initializer?: Initializer | TensorInput;
  trainable?: boolean;
  /** The collections the variable goes into; ['variables'] by default ('trainable_variables' is added when trainable). */
  collections?: string[];
}

/**
 * Python's `tf.compat.v1.get_variable(name, shape, dtype, initializer, trainable, collections)`
 * under the current variableScope: a new variable, or the existing one when the scope reuses.
 * @example
 *   const w = variableScope('dense', () => getVariable('kernel', { shape: [784, 10] }));
 *   w.op.name; // 'dense/kernel'; w.value() is 'dense/kernel/read:0'
 */
export function getVariable(name: string, opts: GetVariableOptions = {}, graph: Graph = defaultGraph()): Variable {
  if (typeof name !== 'string' || !/^[A-Za-z0-9.][A-Za-z0-9_.\-/]*$/.test(name)) throw invalidArgument('name', 'a variable name', name);
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  const s = scopeOf(graph);
  const full = s.name ? `${s.name}/${name}` : name;
  const dtype = opts.dtype === undefined ? undefined : checkDType('opts.dtype', opts.dtype);
  const shape = opts.shape === undefined ? undefined : checkShape('opts.shape', opts.shape);
  const existing = s.store.get(full);
  if (existing) {
    if (s.reuse === false) {
      throw new ValueError(
        `Variable ${full} already exists, disallowed. Did you mean to set reuse: true or reuse: 'auto' in variableScope?`,
      );
    }
    if (shape && (shape.length !== existing.shape.length || shape.some((d, i) => d !== existing.shape[i]))) {
      throw new ValueError(`Trying to share variable ${full}, but specified shape [${shape}] and found shape [${existing.shape}].`);
    }
    if (dtype && dtype !== existing.dtype) {
      throw new ValueError(`Trying to share variable ${full}, but specified dtype ${dtype} and found dtype ${existing.dtype}.`);
    }
    return existing;
  }
  if (s.reuse === true) {
    throw new ValueError(
      `Variable ${full} does not exist, or was not created with getVariable(). Did you mean to set reuse: 'auto' in variableScope?`,
    );
  }
  if (graph.hasOperation(full)) throw new ValueError(`Variable ${full}: the graph already has an operation named '${full}'`);
  const trainable = opts.trainable ?? true;
  if (typeof trainable !== 'boolean') throw invalidArgument('opts.trainable', 'a boolean', trainable);
  const collections = opts.collections ?? [GraphKeys.GLOBAL_VARIABLES];
  if (!Array.isArray(collections) || collections.some((c) => typeof c !== 'string'))
    throw invalidArgument('opts.collections', 'an array of collection names', collections);

  const init = opts.initializer;
  let build: () => Output;
  let varDtype: DType;
  let varShape: number[] | undefined = shape;
  if (init === undefined || isInitializer(init)) {
    varDtype = dtype ?? 'float32';
    if (!varShape) throw new ArgumentError('opts.shape', `getVariable('${full}'): the shape is required with an initializer`);
    let initializer = init;
    if (!initializer) {
      if (isFloatDType(varDtype)) initializer = glorotUniformInitializer();
      else if (/^(u?int\d+|bool)$/.test(varDtype)) initializer = zerosInitializer();
      else throw new ValueError(`An initializer for variable ${full} of type ${varDtype} is required`);
    }
    const chosen = initializer;
    const s2 = varShape;
    build = () => chosen.build(s2, varDtype);
  } else if (init instanceof Output || init instanceof Operation) {
    const t = init instanceof Operation ? init.output(0) : init;
    varDtype = dtype ?? t.dtype;
    varShape = varShape ?? t.shape ?? undefined;
    if (!varShape || varShape.includes(-1))
      throw new ArgumentError('opts.shape', `getVariable('${full}'): the initial value's shape is not fully known; give opts.shape`);
    build = () => t;
  } else {
    const c = () => constant(init as TensorLike, { dtype, shape });
    varDtype = dtype ?? 'float32';
    build = () => c();
    varShape = undefined; // taken from the constant below
  }

  // Python creates variables at the top name scope (absolute names) and outside control scopes (init_scope).
  const v = controlDependencies(
    null,
    () =>
      nameScope(
        '',
        () =>
          nameScope(
            full,
            (scope) => {
              const initialValue = nameScope('Initializer', () => build());
              const dtype = init === undefined || isInitializer(init) ? varDtype : initialValue.dtype;
              return refVariableOps(scope, dtype, varShape ?? initialValue.shape ?? [], initialValue, trainable, graph);
            },
            graph,
          ),
        graph,
      ),
    graph,
  );
  s.store.set(full, v);
  const keys = [...collections];
  if (trainable && !keys.includes(GraphKeys.TRAINABLE_VARIABLES)) keys.push(GraphKeys.TRAINABLE_VARIABLES);
  graph.addToCollections(keys, v);
  return v;
}

/** The members of a variable collection as Variables (VariableDefs of a loaded graph wrapped). */
/**
 * The ops of a ref variable, made inside its name scope `scope` (with its '/'): `<scope>`
 * (VariableV2), `<scope>/Assign` of `initialValue` (Python's initializer op) and `<scope>/read`.
 * Adds it to no collection: `getVariable` and the optimizers' slots choose theirs.
 */
export function refVariableOps(
  scope: string,
  dtype: DType,
  shape: number[],
  initialValue: Output,
  trainable: boolean,
  graph: Graph,
): Variable {
  const op = addScopedOp({ type: 'VariableV2', name: scope, graph, attrs: { shape, dtype, container: '', shared_name: '' } });
  const assign = addScopedOp({
    type: 'Assign',
    name: 'Assign',
    graph,
    inputs: [op.output(0), initialValue],
    attrs: { use_locking: true, validate_shape: true },
  });
  const read = addScopedOp({ type: 'Identity', name: 'read', graph, inputs: [op.output(0)] });
  return new Variable({ op, initializer: assign, initialValue, snapshot: read.output(0), trainable });
}

function variablesOf(graph: Graph, key: string, scope?: string): Variable[] {
  return graph.getCollection(key, scope).map((m) => {
    if (m instanceof Variable) return m;
    const def = m as VariableDef;
    if (def && def.$typeName === 'tensorflow.VariableDef') return Variable.fromDef(graph, def);
    throw new ValueError(`Collection '${key}' holds something that is not a variable: ${String(m)}`);
  });
}

/** Python's `tf.compat.v1.global_variables(scope)`. */
export function globalVariables(scope?: string, graph: Graph = defaultGraph()): Variable[] {
  return variablesOf(graph, GraphKeys.GLOBAL_VARIABLES, scope);
}

/** Python's `tf.compat.v1.trainable_variables(scope)`. */
export function trainableVariables(scope?: string, graph: Graph = defaultGraph()): Variable[] {
  return variablesOf(graph, GraphKeys.TRAINABLE_VARIABLES, scope);
}

/** Python's `tf.compat.v1.local_variables(scope)`. */
export function localVariables(scope?: string, graph: Graph = defaultGraph()): Variable[] {
  return variablesOf(graph, GraphKeys.LOCAL_VARIABLES, scope);
}

/** Python's `tf.compat.v1.variables_initializer(vars, name='init')`: a NoOp after every variable's initializer. */
export function variablesInitializer(vars: Variable[], name = 'init'): Operation {
  if (!Array.isArray(vars) || vars.some((v) => !(v instanceof Variable))) throw invalidArgument('vars', 'an array of Variables', vars);
  const graph = vars[0]?.graph ?? defaultGraph();
  return addScopedOp({ type: 'NoOp', name, controlInputs: vars.map((v) => v.initializer), graph });
}

/** Python's `tf.compat.v1.global_variables_initializer()` ('init'). */
export function globalVariablesInitializer(graph: Graph = defaultGraph()): Operation {
  return addScopedOp({ type: 'NoOp', name: 'init', controlInputs: globalVariables(undefined, graph).map((v) => v.initializer), graph });
}

/** Python's `tf.compat.v1.local_variables_initializer()` ('init' made unique). */
export function localVariablesInitializer(graph: Graph = defaultGraph()): Operation {
  return addScopedOp({ type: 'NoOp', name: 'init', controlInputs: localVariables(undefined, graph).map((v) => v.initializer), graph });
}

export { createGlobalStep, getGlobalStep, getOrCreateGlobalStep } from '../core/global-step';
