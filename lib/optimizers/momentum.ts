/**
 * Python's `tf.compat.v1.train.MomentumOptimizer`: ApplyMomentum with one slot per variable,
 * `<var>/Momentum` (zeros), optionally Nesterov's update.
 */
import type { Operation, Output } from '../core/graph';
import { invalidArgument } from '../core/errors';
import { addScopedOp } from '../ops/scope';
import { Optimizer, castTensor, checkHyperparameter, checkOptions, type Hyperparameter, type OptimizerOptions } from './optimizer';
import type { ResolvedVariable } from './slot-creator';

export interface MomentumOptimizerOptions extends OptimizerOptions {
  /** Nesterov momentum (Python's `use_nesterov`). Default false. */
  useNesterov?: boolean;
}

export class MomentumOptimizer extends Optimizer {
  private readonly learningRate: Hyperparameter;
  private readonly momentum: Hyperparameter;
  readonly useNesterov: boolean;
  private lrTensor: Output | null = null;
  private momentumTensor: Output | null = null;

  constructor(learningRate: Hyperparameter, momentum: Hyperparameter, opts: MomentumOptimizerOptions = {}) {
    checkOptions(opts, ['useLocking', 'name', 'useNesterov'], 'MomentumOptimizer');
    super(opts, 'Momentum');
    this.learningRate = checkHyperparameter(learningRate, 'learningRate');
    this.momentum = checkHyperparameter(momentum, 'momentum');
    const nesterov = opts.useNesterov ?? false;
    if (typeof nesterov !== 'boolean') throw invalidArgument('useNesterov', 'a boolean', nesterov);
    this.useNesterov = nesterov;
  }

  protected override createSlots(vars: ResolvedVariable[]): void {
    for (const v of vars) this.slot(v, 'momentum');
  }

  protected override prepare(): void {
    this.lrTensor = this.hyperTensor(this.learningRate, 'learning_rate');
    this.momentumTensor = this.hyperTensor(this.momentum, 'momentum');
  }

  protected applyDense(grad: Output, v: ResolvedVariable): Operation {
    const accum = this.getSlotOf(v, 'momentum');
    return addScopedOp({
      type: 'ApplyMomentum',
      inputs: [v.ref, accum.ref, castTensor(this.lrTensor!, v.dtype), grad, castTensor(this.momentumTensor!, v.dtype)],
      attrs: { use_locking: this.useLocking, use_nesterov: this.useNesterov },
    });
  }
}
