/**
 * Python's `tf.compat.v1.train.AdamOptimizer`: ApplyAdam with slots `<var>/Adam` (m) and
 * `<var>/Adam_1` (v), and the non-slot variables `beta1_power` / `beta2_power`, multiplied by
 * beta1 / beta2 after every update (`Adam/mul`, `Adam/Assign`, ...).
 */
import type { Operation, Output } from '../core/graph';
import { invalidArgument } from '../core/errors';
import { addScopedOp, controlDependencies, device } from '../ops/scope';
import {
  Optimizer,
  castTensor,
  castVariable,
  checkHyperparameter,
  checkOptions,
  type Hyperparameter,
  type OptimizerOptions,
} from './optimizer';
import { group, type ResolvedVariable } from './slot-creator';

export interface AdamOptimizerOptions extends OptimizerOptions {
  /** Default 0.9. A number: it is also `beta1_power`'s initial value. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: Hyperparameter;
}

export class AdamOptimizer extends Optimizer {
  private readonly learningRate: Hyperparameter;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: Hyperparameter;
  private t: { lr: Output; beta1: Output; beta2: Output; epsilon: Output } | null = null;

  /** `learningRate` default 0.001, as Python's. */
  constructor(learningRate: Hyperparameter = 0.001, opts: AdamOptimizerOptions = {}) {
    checkOptions(opts, ['useLocking', 'name', 'beta1', 'beta2', 'epsilon'], 'AdamOptimizer');
    super(opts, 'Adam');
    this.learningRate = checkHyperparameter(learningRate, 'learningRate');
    const beta = (x: unknown, name: string, dflt: number) => {
      if (x === undefined) return dflt;
      if (typeof x !== 'number' || !Number.isFinite(x)) throw invalidArgument(name, 'a finite number', x);
      return x;
    };
    this.beta1 = beta(opts.beta1, 'beta1', 0.9);
    this.beta2 = beta(opts.beta2, 'beta2', 0.999);
    this.epsilon = checkHyperparameter(opts.epsilon ?? 1e-8, 'epsilon');
  }

  protected override createSlots(vars: ResolvedVariable[]): void {
    // Python colocates the beta powers with the variable whose name sorts first.
    const first = vars.reduce((a, b) => (b.ref.name < a.ref.name ? b : a));
    this.nonSlot(first, 'beta1_power', this.beta1);
    this.nonSlot(first, 'beta2_power', this.beta2);
    for (const v of vars) {
      this.slot(v, 'm');
      this.slot(v, 'v');
    }
  }

  protected override prepare(): void {
    this.t = {
      lr: this.hyperTensor(this.learningRate, 'learning_rate'),
      beta1: this.hyperTensor(this.beta1, 'beta1'),
      beta2: this.hyperTensor(this.beta2, 'beta2'),
      epsilon: this.hyperTensor(this.epsilon, 'epsilon'),
    };
  }

  private powers(graph: Output['graph']): [ResolvedVariable, ResolvedVariable] {
    return [this.getNonSlot(graph, 'beta1_power'), this.getNonSlot(graph, 'beta2_power')];
  }

  protected applyDense(grad: Output, v: ResolvedVariable): Operation {
    const t = this.t!;
    const [b1p, b2p] = this.powers(v.ref.graph);
    return addScopedOp({
      type: 'ApplyAdam',
      inputs: [
        v.ref,
        this.getSlotOf(v, 'm').ref,
        this.getSlotOf(v, 'v').ref,
        castVariable(b1p.read, v.dtype),
        castVariable(b2p.read, v.dtype),
        castTensor(t.lr, v.dtype),
        castTensor(t.beta1, v.dtype),
        castTensor(t.beta2, v.dtype),
        castTensor(t.epsilon, v.dtype),
        grad,
      ],
      attrs: { use_locking: this.useLocking, use_nesterov: false },
    });
  }

  protected override finish(updateOps: Operation[], scope: string): Operation {
    const t = this.t!;
    const graph = updateOps[0].graph;
    const [b1p, b2p] = this.powers(graph);
    const [u1, u2] = controlDependencies(
      updateOps,
      () => {
        const make = () => {
          const assign = (p: ResolvedVariable, beta: Output) => {
            const mul = addScopedOp({ type: 'Mul', name: 'mul', inputs: [p.read, beta] }).output(0);
            return addScopedOp({
              type: 'Assign',
              name: 'Assign',
              inputs: [p.ref, mul],
              attrs: { use_locking: this.useLocking, validate_shape: true },
            });
          };
          return [assign(b1p, t.beta1), assign(b2p, t.beta2)];
        };
        return b1p.device ? device(b1p.device, make, graph) : make();
      },
      graph,
    );
    return group([...updateOps, u1, u2], scope);
  }
}
