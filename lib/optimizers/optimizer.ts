/**
 * The base of the TF1 graph-mode optimizers (Python's `tf.compat.v1.train.Optimizer`):
 * `computeGradients` → `applyGradients` (slots first, then one `update_<var>` scope per variable
 * under the optimizer's name scope, then the optimizer's finish, then the global step's AssignAdd),
 * and `minimize` doing both. Names, slots and collections follow Python so a checkpoint written by
 * either side restores in the other.
 */
import { GraphKeys } from '../core/collections';
import type { DType } from '../core/dtypes';
import { ValueError, invalidArgument } from '../core/errors';
import { type Graph, Operation, Output } from '../core/graph';
import { gradients } from '../ops/gradients';
import { addScopedOp, asDefault, controlDependencies, device, nameScope } from '../ops/scope';
import type { Variable } from '../ops/variables';
import { constant } from '../ops/constant';
import {
  createNonSlot,
  createSlot,
  group,
  resolveVariable,
  type OptimizerVariable,
  type ResolvedVariable,
  type VariableLike,
} from './slot-creator';

/** A hyperparameter: a number (a float32 constant), a tensor, or a function giving either. */
export type Hyperparameter = number | Output | (() => number | Output);

/** One (gradient, variable) pair, as Python's `compute_gradients` returns; null: no gradient. */
export type GradAndVar<V = VariableLike> = [Output | null, V];

export interface ComputeGradientsOptions {
  /** The variables to differentiate for; default the `trainable_variables` collection. */
  varList?: VariableLike[];
  /** The gradient of the loss itself (Python's `grad_loss`); ones by default. */
  gradLoss?: Output;
}

export interface ApplyGradientsOptions {
  /** A global step variable (e.g. `getOrCreateGlobalStep(graph)`): incremented after the updates. */
  globalStep?: VariableLike | null;
  /** The name scope of the update ops; default the optimizer's name, made unique. */
  name?: string;
}

export interface MinimizeOptions extends ComputeGradientsOptions, ApplyGradientsOptions {}

export interface OptimizerOptions {
  /** Apply ops lock their variables (Python's `use_locking`). Default false. */
  useLocking?: boolean;
  /** The name scope of the update ops. */
  name?: string;
}

// Python's Optimizer._valid_dtypes.
const FLOAT_DTYPES: ReadonlySet<string> = new Set(['float16', 'bfloat16', 'float32', 'float64', 'complex64', 'complex128']);

export function checkOptions(opts: unknown, allowed: readonly string[], fn: string): void {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', `an options object for ${fn}`, opts);
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw invalidArgument(`opts.${k}`, `one of ${allowed.join(', ')} (an option of ${fn})`, k);
  }
}

export function checkHyperparameter(value: unknown, param: string): Hyperparameter {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value instanceof Output || typeof value === 'function') return value as Hyperparameter;
  throw invalidArgument(param, 'a finite number, a float tensor (Output) or a function giving one', value);
}

export abstract class Optimizer {
  readonly name: string;
  readonly useLocking: boolean;
  /** slot name ('m') → variable name ('w') → slot variable ('w/Adam'). */
  private readonly slots = new Map<string, Map<string, OptimizerVariable>>();
  /** Per graph: name ('beta1_power') → variable, as Python keys them by (name, graph). */
  private readonly nonSlots = new WeakMap<Graph, Map<string, OptimizerVariable>>();
  /** Every variable made, slots and non-slots. */
  private readonly created: OptimizerVariable[] = [];

  protected constructor(opts: OptimizerOptions, defaultName: string) {
    const name = opts.name ?? defaultName;
    if (typeof name !== 'string' || !name) throw new ValueError('Must specify the optimizer name');
    const useLocking = opts.useLocking ?? false;
    if (typeof useLocking !== 'boolean') throw invalidArgument('useLocking', 'a boolean', useLocking);
    this.name = name;
    this.useLocking = useLocking;
  }

  /** Creates the slots of the variables (Python's `_create_slots`). */
  protected createSlots(_vars: ResolvedVariable[]): void {}
  /** Converts the hyperparameters to tensors, in the optimizer's name scope (`_prepare`). */
  protected prepare(): void {}
  /** The update op of one variable, in its `update_<var>` scope (`_apply_dense`). */
  protected abstract applyDense(grad: Output, v: ResolvedVariable): Operation;
  /** The op that runs after every update (`_finish`): by default a NoOp named `scope`. */
  protected finish(updateOps: Operation[], scope: string): Operation {
    return group(updateOps, scope);
  }

  /** Python's `compute_gradients`: a (gradient, variable) pair per variable, null when the loss does not depend on it. */
  computeGradients(loss: Output, opts: ComputeGradientsOptions = {}): GradAndVar[] {
    checkOptions(opts, ['varList', 'gradLoss'], 'computeGradients');
    if (!(loss instanceof Output)) throw invalidArgument('loss', 'the loss tensor (an Output)', loss);
    checkFloat(loss);
    if (opts.gradLoss !== undefined) {
      if (!(opts.gradLoss instanceof Output)) throw invalidArgument('gradLoss', 'an Output', opts.gradLoss);
      checkFloat(opts.gradLoss);
    }
    const graph = loss.graph;
    let varList: VariableLike[];
    if (opts.varList === undefined || opts.varList === null) {
      varList = [
        ...graph.getCollection<VariableLike>(GraphKeys.TRAINABLE_VARIABLES),
        ...graph.getCollection<VariableLike>(GraphKeys.TRAINABLE_RESOURCE_VARIABLES),
      ];
    } else {
      if (!Array.isArray(opts.varList)) throw invalidArgument('varList', 'an array of variables', opts.varList);
      varList = opts.varList;
    }
    if (!varList.length) throw new ValueError('No variables to optimize.');
    const vars = varList.map((v, i) => resolveVariable(v, `varList[${i}]`, graph));
    const grads = gateGradients(
      gradients(
        loss,
        vars.map((v) => v.ref),
        opts.gradLoss ? { gradYs: [opts.gradLoss] } : {},
      ),
    );
    vars.forEach((v, i) => {
      if (grads[i] !== null && !FLOAT_DTYPES.has(v.dtype))
        throw new ValueError(`Invalid type ${v.dtype} for ${v.name}, expected: ${[...FLOAT_DTYPES].join(', ')}.`);
    });
    return varList.map((v, i) => [grads[i], v]);
  }

  /**
   * Python's `apply_gradients`: the update op of each variable with a gradient, then the finish op;
   * with `globalStep`, an AssignAdd of 1 to it after them, which is then the returned op (named after
   * the scope, 'Adam'). The returned op is added to the `train_op` collection.
   */
  applyGradients(gradsAndVars: GradAndVar[], opts: ApplyGradientsOptions = {}): Operation {
    checkOptions(opts, ['globalStep', 'name'], 'applyGradients');
    if (!Array.isArray(gradsAndVars) || !gradsAndVars.length) throw new ValueError('No variables provided.');
    const pairs = gradsAndVars.map((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw invalidArgument(`gradsAndVars[${i}]`, 'a [gradient, variable] pair', p);
      const [g, v] = p;
      if (g !== null && g !== undefined && !(g instanceof Output)) {
        throw invalidArgument(`gradsAndVars[${i}][0]`, 'a gradient tensor (Output) or null', g);
      }
      const graph = g instanceof Output ? g.graph : undefined;
      return { grad: g ?? null, v: resolveVariable(v, `gradsAndVars[${i}][1]`, graph) };
    });
    const withGrad = pairs.filter((p) => p.grad !== null) as Array<{ grad: Output; v: ResolvedVariable }>;
    if (!withGrad.length) throw new ValueError(`No gradients provided for any variable: ${JSON.stringify(pairs.map((p) => p.v.name))}.`);
    const graph = withGrad[0].v.ref.graph;
    const name = opts.name ?? this.name;
    if (typeof name !== 'string' || !name) throw invalidArgument('name', 'a name scope', name);
    const globalStep =
      opts.globalStep === undefined || opts.globalStep === null ? null : resolveVariable(opts.globalStep, 'globalStep', graph);

    // Python creates slots under init_scope: no control dependencies, the name scope kept.
    controlDependencies(null, () => this.createSlots(withGrad.map((p) => p.v)), graph);
    const train = nameScope(
      name,
      (scope) => {
        this.prepare();
        const updateOps: Operation[] = [];
        for (const { grad, v } of withGrad) {
          if (grad.dtype !== v.dtype) throw new ValueError(`Gradient ${grad.name} is ${grad.dtype} but variable ${v.name} is ${v.dtype}.`);
          const update = () => this.applyDense(grad, v);
          updateOps.push(nameScope(`update_${v.name}`, () => (v.device ? device(v.device, update, graph) : update()), graph));
        }
        if (!globalStep) return this.finish(updateOps, scope);
        const finished = this.finish(updateOps, 'update');
        return controlDependencies(
          [finished],
          () => {
            const inc = () =>
              addScopedOp({
                type: 'AssignAdd',
                name: scope,
                inputs: [globalStep.ref, constant(1, { dtype: globalStep.dtype, name: 'value' })],
                attrs: { use_locking: false },
              });
            return globalStep.device ? device(globalStep.device, inc, graph) : inc();
          },
          graph,
        );
      },
      graph,
    );
    const trainOps = graph.getCollection<unknown>(GraphKeys.TRAIN_OP);
    if (!trainOps.some((o) => o instanceof Operation && o.name === train.name)) graph.addToCollection(GraphKeys.TRAIN_OP, train);
    return train;
  }

  /** Python's `minimize`: `computeGradients` then `applyGradients`. */
  minimize(loss: Output, opts: MinimizeOptions = {}): Operation {
    checkOptions(opts, ['varList', 'gradLoss', 'globalStep', 'name'], 'minimize');
    const gv = this.computeGradients(loss, { varList: opts.varList, gradLoss: opts.gradLoss });
    if (!gv.some(([g]) => g !== null)) {
      const names = gv.map(([, v], i) => resolveVariable(v, `varList[${i}]`, loss.graph).name);
      throw new ValueError(
        `No gradients provided for any variable, check your graph for ops that do not support gradients, between variables ${JSON.stringify(names)} and loss ${loss.name}.`,
      );
    }
    return this.applyGradients(gv, { globalStep: opts.globalStep, name: opts.name });
  }

  /** The names of the slots this optimizer makes ('m', 'v' for Adam). */
  getSlotNames(): string[] {
    return [...this.slots.keys()].sort();
  }

  /** `variable`'s slot `name` (Adam's 'm' of 'w' is the Variable 'w/Adam'), or null. */
  getSlot(variable: VariableLike, name: string): Variable | null {
    const v = resolveVariable(variable, 'variable', graphOf(variable));
    return this.slots.get(name)?.get(v.name)?.variable ?? null;
  }

  /** Every variable the optimizer made (in `graph`, when given), sorted by name as Python's `variables()`. */
  variables(graph?: Graph): Variable[] {
    return this.created
      .filter((v) => !graph || v.ref.graph === graph)
      .map((v) => v.variable)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Python's `_zeros_slot` (fill 0) and `_get_or_make_slot_with_initializer` (fill 1). */
  protected slot(v: ResolvedVariable, slotName: string, fill: 0 | 1 = 0): OptimizerVariable {
    let perVar = this.slots.get(slotName);
    if (!perVar) this.slots.set(slotName, (perVar = new Map()));
    let s = perVar.get(v.name);
    if (!s) {
      perVar.set(v.name, (s = createSlot(v, this.name, fill)));
      this.created.push(s);
    }
    return s;
  }

  protected getSlotOf(v: ResolvedVariable, slotName: string): ResolvedVariable {
    const s = this.slots.get(slotName)?.get(v.name);
    if (!s) throw new ValueError(`No slot '${slotName}' for variable ${v.name}.`);
    return s;
  }

  /** Python's `_create_non_slot_variable`: one per (name, graph). */
  protected nonSlot(colocateWith: ResolvedVariable, name: string, value: number): OptimizerVariable {
    const graph = colocateWith.ref.graph;
    let m = this.nonSlots.get(graph);
    if (!m) this.nonSlots.set(graph, (m = new Map()));
    let v = m.get(name);
    if (!v) {
      m.set(name, (v = createNonSlot(colocateWith, name, value, 'float32')));
      this.created.push(v);
    }
    return v;
  }

  protected getNonSlot(graph: Graph, name: string): ResolvedVariable {
    const v = this.nonSlots.get(graph)?.get(name);
    if (!v) throw new ValueError(`No variable '${name}' made by ${this.name} in this graph.`);
    return v;
  }

  /** Python's `convert_to_tensor(hyper, name=...)` in `_prepare` (a number becomes a float32 Const). */
  protected hyperTensor(h: Hyperparameter, name: string): Output {
    const value = typeof h === 'function' ? h() : h;
    if (value instanceof Output) return value;
    if (typeof value !== 'number') throw invalidArgument(name, 'a number or a tensor', value);
    return constant(value, { dtype: 'float32', name });
  }
}

/** Python's `math_ops.cast(tensor, dtype)`: the tensor itself when it already has the dtype. */
export function castTensor(t: Output, dtype: DType): Output {
  if (t.dtype === dtype) return t;
  return nameScope('Cast', (scope) =>
    addScopedOp({ type: 'Cast', name: scope, inputs: [t], attrs: { DstT: dtype, Truncate: false } }).output(0),
  );
}

/** `math_ops.cast` of a Variable: Python opens the 'Cast' scope even when no op is needed. */
export function castVariable(read: Output, dtype: DType): Output {
  return nameScope('Cast', (scope) =>
    read.dtype === dtype
      ? read
      : addScopedOp({ type: 'Cast', name: scope, inputs: [read], attrs: { DstT: dtype, Truncate: false } }).output(0),
  );
}

/**
 * Every gradient behind one gate (Python's `control_flow_ops.tuple`): an update op may change its
 * variable in place while another gradient still reads the variable's snapshot (a ref variable's
 * `read` aliases its buffer), so no update may start before every gradient is computed. Python's
 * default GATE_OP gates each op's gradients inside `tf.gradients`; TF's C++ gradients have no gates,
 * so the whole list is gated here (Python's GATE_GRAPH), which computes the same values. The gate
 * ops go under the gradients' own scope ('gradients/tuple/group_deps', '.../control_dependency').
 */
function gateGradients(grads: Array<Output | null>): Array<Output | null> {
  const present = grads.filter((g): g is Output => g !== null);
  if (present.length < 2) return grads;
  const m = /^(.*?gradients(?:_\d+)?)\//.exec(present[0].op.name);
  const build = () =>
    nameScope('tuple', () => {
      const seen = new Set<string>();
      const gatingOps = present.map((g) => g.op).filter((op) => !seen.has(op.name) && seen.add(op.name));
      const gate = group(gatingOps, 'group_deps');
      return grads.map((g) =>
        g === null
          ? null
          : nameScope('control_dependency', (scope) =>
              addScopedOp({ type: 'Identity', name: scope, inputs: [g], controlInputs: [gate] }).output(0),
            ),
      );
    });
  return m ? nameScope(`${m[1]}/`, build, present[0].graph) : asDefault(present[0].graph, build);
}

function checkFloat(t: Output): void {
  if (!FLOAT_DTYPES.has(t.dtype)) throw new ValueError(`Invalid type ${t.dtype} for ${t.name}, expected: ${[...FLOAT_DTYPES].join(', ')}.`);
}

function graphOf(v: unknown): Graph | undefined {
  if (v instanceof Output || v instanceof Operation) return v.graph;
  const r = (v as { ref?: unknown } | null)?.ref;
  const o = typeof r === 'function' ? (r as () => unknown).call(v) : r;
  return o instanceof Output ? o.graph : undefined;
}
