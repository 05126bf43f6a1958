/**
 * Python's `tf.compat.v1.train.GradientDescentOptimizer`: `var -= lr * grad` through
 * ApplyGradientDescent (`<name>/update_<var>/ApplyGradientDescent`), no slots.
 */
import type { Operation, Output } from '../core/graph';
import { addScopedOp } from '../ops/scope';
import { Optimizer, castTensor, checkHyperparameter, checkOptions, type Hyperparameter, type OptimizerOptions } from './optimizer';
import type { ResolvedVariable } from './slot-creator';

export class GradientDescentOptimizer extends Optimizer {
  private readonly learningRate: Hyperparameter;
  private lrTensor: Output | null = null;

  /** `learningRate`: a number, a float tensor (e.g. from `exponentialDecay`) or a function giving one. */
  constructor(learningRate: Hyperparameter, opts: OptimizerOptions = {}) {
    checkOptions(opts, ['useLocking', 'name'], 'GradientDescentOptimizer');
    super(opts, 'GradientDescent');
    this.learningRate = checkHyperparameter(learningRate, 'learningRate');
  }

  protected override prepare(): void {
    this.lrTensor = this.hyperTensor(this.learningRate, 'learning_rate');
  }

  protected applyDense(grad: Output, v: ResolvedVariable): Operation {
    return addScopedOp({
      type: 'ApplyGradientDescent',
      inputs: [v.ref, castTensor(this.lrTensor!, v.dtype), grad],
      attrs: { use_locking: this.useLocking },
    });
  }
}
