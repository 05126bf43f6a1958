/**
 * Learning-rate schedules of `tf.compat.v1.train`: `exponentialDecay` builds the ops Python builds
 * (same names, same kernels, so the same float32 values bit for bit); `piecewiseConstant` gives
 * Python's values with a smaller graph than Python's `tf.case` (see docs/optimizers.md).
 */
import type { DType } from '../core/dtypes';
import { ValueError, invalidArgument } from '../core/errors';
import { Operation, Output } from '../core/graph';
import { addScopedOp, graphFor, nameScope } from '../ops/scope';
import { castTensor } from './optimizer';
import { constant } from '../ops/constant';

/** A step: a tensor (a global step's ref or read Output), or a variable object with `value()`. */
export type StepLike = Output | Operation | { value(): Output };

function stepTensor(x: unknown, param: string): Output {
  let t: Output | undefined;
  if (x instanceof Output) t = x;
  else if (x instanceof Operation) t = x.output(0);
  else if (x !== null && typeof x === 'object' && typeof (x as { value?: unknown }).value === 'function') {
    const v = (x as { value(): unknown }).value();
    if (v instanceof Output) t = v;
  }
  if (!t) throw invalidArgument(param, 'the step as a tensor (e.g. the global step)', x);
  // Python reads a ref variable through its snapshot (`global_step/read`).
  if (t.op.type === 'VariableV2' || t.op.type === 'Variable') {
    const read = t.graph.tryOperation(`${t.op.name}/read`);
    if (read && read.type === 'Identity') return read.output(0);
  }
  return t;
}

/** A number as Python converts it: an integer is an int32 constant, any other number a float32 one. */
function numberTensor(x: unknown, param: string, name: string): Output {
  if (x instanceof Output) return x;
  if (typeof x !== 'number' || !Number.isFinite(x)) throw invalidArgument(param, 'a finite number or a tensor', x);
  return constant(x, { dtype: Number.isInteger(x) ? 'int32' : 'float32', name });
}

/** Python's `math_ops.cast(x, dtype)` of a value converted as `x` inside the 'Cast' scope. */
function castNumber(x: unknown, dtype: DType, param: string): Output {
  if (x instanceof Output) return castTensor(x, dtype);
  return nameScope('Cast', (scope) => {
    const t = numberTensor(x, param, 'x');
    return t.dtype === dtype
      ? t
      : addScopedOp({ type: 'Cast', name: scope, inputs: [t], attrs: { DstT: dtype, Truncate: false } }).output(0);
  });
}

export interface ExponentialDecayOptions {
  /** Decay at whole multiples of `decaySteps` only. Default false. */
  staircase?: boolean;
  /** The name scope (default 'ExponentialDecay'); the result is the op named after it. */
  name?: string;
}

/**
 * `tf.compat.v1.train.exponential_decay`: `learningRate * decayRate ^ (globalStep / decaySteps)`
 * (the exponent floored with `staircase`), as a float tensor named 'ExponentialDecay:0'.
 * Integer `decaySteps` are int32 constants cast to float, as Python's ints.
 */
export function exponentialDecay(
  learningRate: number | Output,
  globalStep: StepLike,
  decaySteps: number | Output,
  decayRate: number | Output,
  opts: ExponentialDecayOptions = {},
): Output {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  for (const k of Object.keys(opts)) if (k !== 'staircase' && k !== 'name') throw invalidArgument(`opts.${k}`, 'staircase or name', k);
  if (globalStep === undefined || globalStep === null) throw new ValueError('global_step is required for exponential_decay.');
  const step = stepTensor(globalStep, 'globalStep');
  const staircase = opts.staircase ?? false;
  if (typeof staircase !== 'boolean') throw invalidArgument('staircase', 'a boolean', staircase);
  if (!(learningRate instanceof Output) && (typeof learningRate !== 'number' || !Number.isFinite(learningRate)))
    throw invalidArgument('learningRate', 'a finite number or a float tensor', learningRate);
  if (!(decaySteps instanceof Output) && (typeof decaySteps !== 'number' || !(decaySteps > 0)))
    throw invalidArgument('decaySteps', 'a positive number or a tensor', decaySteps);
  if (!(decayRate instanceof Output) && (typeof decayRate !== 'number' || !Number.isFinite(decayRate)))
    throw invalidArgument('decayRate', 'a finite number or a tensor', decayRate);
  const graph = graphFor([step], 'globalStep');
  return nameScope(
    opts.name ?? 'ExponentialDecay',
    (scope) => {
      // Python: convert_to_tensor(initial_learning_rate) — a number is a float32 constant.
      const lr =
        learningRate instanceof Output ? learningRate : constant(learningRate, { dtype: 'float32', name: 'initial_learning_rate' });
      const dtype = lr.dtype;
      const steps = castNumber(decaySteps, dtype, 'decaySteps');
      const rate = castNumber(decayRate, dtype, 'decayRate');
      const stepF = castTensor(step, dtype);
      let p = addScopedOp({ type: 'RealDiv', name: 'truediv', inputs: [stepF, steps] }).output(0);
      if (staircase) p = addScopedOp({ type: 'Floor', inputs: [p] }).output(0);
      const pow = addScopedOp({ type: 'Pow', inputs: [rate, p] }).output(0);
      return addScopedOp({ type: 'Mul', name: scope, inputs: [lr, pow] }).output(0);
    },
    graph,
  );
}

const INTEGER_DTYPES: ReadonlySet<string> = new Set(['int32', 'int64', 'int16', 'int8', 'uint8']);
const FLOAT_DTYPES: ReadonlySet<string> = new Set(['float32', 'float64']);

/**
 * A boundary in the step's dtype: for an integer step an int32 constant (cast to int64 for an int64
 * step, the one promotion Python makes); for a float step a constant of its dtype (JS numbers do
 * not tell 2 from 2.0, where Python would refuse an int boundary against a float step).
 */
function boundaryTensor(b: number, dtype: DType): Output {
  if (FLOAT_DTYPES.has(dtype)) return constant(b, { dtype, name: 'Const' });
  const t = constant(b, { dtype: 'int32', name: 'Const' });
  return dtype === 'int32' ? t : castTensor(t, dtype);
}

/**
 * `tf.compat.v1.train.piecewise_constant`: `values[0]` while `x <= boundaries[0]`, `values[i]` while
 * `boundaries[i-1] < x <= boundaries[i]`, the last value after the last boundary. Values are float32.
 * Boundaries take the step's dtype; a fractional boundary for an integer step is a ValueError, as in
 * Python.
 */
export function piecewiseConstant(x: StepLike, boundaries: number[], values: number[], opts: { name?: string } = {}): Output {
  const step = stepTensor(x, 'x');
  if (!Array.isArray(boundaries) || !boundaries.length || boundaries.some((b) => typeof b !== 'number' || !Number.isFinite(b))) {
    throw invalidArgument('boundaries', 'a non-empty array of finite numbers', boundaries);
  }
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'number' || !Number.isFinite(v)))
    throw invalidArgument('values', 'an array of finite numbers', values);
  if (values.length !== boundaries.length + 1) throw new ValueError('The length of boundaries should be 1 less than the length of values');
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  if (INTEGER_DTYPES.has(step.dtype)) {
    const bad = boundaries.find((b) => !Number.isInteger(b));
    // Python: a float boundary against an integer step is refused rather than truncated.
    if (bad !== undefined)
      throw new ValueError(`Boundaries (float32) must have the same dtype as x (${step.dtype}): ${bad} is not an integer.`);
  } else if (!FLOAT_DTYPES.has(step.dtype)) {
    throw invalidArgument('x', 'a float or integer step tensor', `a ${step.dtype} tensor`);
  }
  const graph = graphFor([step], 'x');
  return nameScope(
    opts.name ?? 'PiecewiseConstant',
    () => {
      const b = boundaries.map((v) => boundaryTensor(v, step.dtype));
      const vals = values.map((v) => constant(v, { dtype: 'float32', name: 'Const' }));
      // The intervals are exclusive and cover every x: the value of the one x falls in.
      let out = vals[0];
      const last = b.length - 1;
      const pick = (pred: Output, v: Output) => {
        out = addScopedOp({ type: 'SelectV2', inputs: [pred, v, out] }).output(0);
      };
      for (let i = 0; i < last; i++) {
        const gt = addScopedOp({ type: 'Greater', inputs: [step, b[i]] }).output(0);
        const le = addScopedOp({ type: 'LessEqual', inputs: [step, b[i + 1]] }).output(0);
        pick(addScopedOp({ type: 'LogicalAnd', inputs: [gt, le] }).output(0), vals[i + 1]);
      }
      pick(addScopedOp({ type: 'Greater', inputs: [step, b[last]] }).output(0), vals[last + 1]);
      return out;
    },
    graph,
  );
}
