/**
 * TF1 graph-mode optimizers and learning-rate schedules, with Python's variable, slot and op names
 * (see docs/optimizers.md).
 */
export {
  Optimizer,
  type Hyperparameter,
  type GradAndVar,
  type ComputeGradientsOptions,
  type ApplyGradientsOptions,
  type MinimizeOptions,
  type OptimizerOptions,
} from './optimizer';
export { GradientDescentOptimizer } from './gradient-descent';
export { MomentumOptimizer, type MomentumOptimizerOptions } from './momentum';
export { AdamOptimizer, type AdamOptimizerOptions } from './adam';
export { RMSPropOptimizer, type RMSPropOptimizerOptions } from './rmsprop';
export { exponentialDecay, piecewiseConstant, type ExponentialDecayOptions, type StepLike } from './learning-rate';
export type { VariableLike } from './slot-creator';
