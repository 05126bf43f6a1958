/**
 * Python's `tf.compat.v1.train.RMSPropOptimizer`: ApplyRMSProp (or ApplyCenteredRMSProp) with slots
 * `<var>/RMSProp` (rms, ones), for `centered` `<var>/RMSProp_1` (mg, zeros), then the momentum slot
 * (zeros; `<var>/RMSProp_1`, or `_2` when centered).
 */
import type { Operation, Output } from '../core/graph';
import { invalidArgument } from '../core/errors';
import { addScopedOp } from '../ops/scope';
import { Optimizer, castTensor, checkHyperparameter, checkOptions, type Hyperparameter, type OptimizerOptions } from './optimizer';
import type { ResolvedVariable } from './slot-creator';

export interface RMSPropOptimizerOptions extends OptimizerOptions {
  /** Discounting factor of the history (Python's `decay`). Default 0.9. */
  decay?: Hyperparameter;
  /** Default 0. */
  momentum?: Hyperparameter;
  /** Default 1e-10. */
  epsilon?: Hyperparameter;
  /** Normalise by the estimated variance instead of the second moment. Default false. */
  centered?: boolean;
}

export class RMSPropOptimizer extends Optimizer {
  private readonly hyper: { lr: Hyperparameter; decay: Hyperparameter; momentum: Hyperparameter; epsilon: Hyperparameter };
  readonly centered: boolean;
  private t: { lr: Output; decay: Output; momentum: Output; epsilon: Output } | null = null;

  constructor(learningRate: Hyperparameter, opts: RMSPropOptimizerOptions = {}) {
    checkOptions(opts, ['useLocking', 'name', 'decay', 'momentum', 'epsilon', 'centered'], 'RMSPropOptimizer');
    super(opts, 'RMSProp');
    this.hyper = {
      lr: checkHyperparameter(learningRate, 'learningRate'),
      decay: checkHyperparameter(opts.decay ?? 0.9, 'decay'),
      momentum: checkHyperparameter(opts.momentum ?? 0, 'momentum'),
      epsilon: checkHyperparameter(opts.epsilon ?? 1e-10, 'epsilon'),
    };
    const centered = opts.centered ?? false;
    if (typeof centered !== 'boolean') throw invalidArgument('centered', 'a boolean', centered);
    this.centered = centered;
  }

  protected override createSlots(vars: ResolvedVariable[]): void {
    for (const v of vars) {
      this.slot(v, 'rms', 1);
      if (this.centered) this.slot(v, 'mg');
      this.slot(v, 'momentum');
    }
  }

  protected override prepare(): void {
    this.t = {
      lr: this.hyperTensor(this.hyper.lr, 'learning_rate'),
      decay: this.hyperTensor(this.hyper.decay, 'decay'),
      momentum: this.hyperTensor(this.hyper.momentum, 'momentum'),
      epsilon: this.hyperTensor(this.hyper.epsilon, 'epsilon'),
    };
  }

  protected applyDense(grad: Output, v: ResolvedVariable): Operation {
    const t = this.t!;
    const hyper = [
      castTensor(t.lr, v.dtype),
      castTensor(t.decay, v.dtype),
      castTensor(t.momentum, v.dtype),
      castTensor(t.epsilon, v.dtype),
    ];
    const rms = this.getSlotOf(v, 'rms').ref;
    const mom = this.getSlotOf(v, 'momentum').ref;
    const attrs = { use_locking: this.useLocking };
    if (this.centered) {
      return addScopedOp({ type: 'ApplyCenteredRMSProp', inputs: [v.ref, this.getSlotOf(v, 'mg').ref, rms, mom, ...hyper, grad], attrs });
    }
    return addScopedOp({ type: 'ApplyRMSProp', inputs: [v.ref, rms, mom, ...hyper, grad], attrs });
  }
}
