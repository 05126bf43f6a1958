/**
 * Variable initializers as Python's `tf.compat.v1` ones (init_ops): the same ops under the same
 * names ('zeros', 'random_uniform/RandomUniform', ...) and the same seeds (lib/ops/random-seed.ts),
 * so a seeded initial value is bit for bit Python's. `getVariable` calls `build` inside the
 * variable's `Initializer` name scope.
 */
import type { DType } from '../core/dtypes';
import { ValueError, invalidArgument } from '../core/errors';
import type { Output } from '../core/graph';
import type { TensorLike } from '../core/tensor';
import { constant } from './constant';
import { filledTensor } from './fill';
import * as raw from './gen';
import { getSeed } from './random-seed';
import { nameScope } from './scope';

export interface Initializer {
  /** 'zeros', 'ones', 'constant', 'random_normal', 'truncated_normal', 'random_uniform', 'glorot_uniform'. */
  readonly kind: string;
  /** Adds the ops of an initial value of `shape` and `dtype` in the current name scope. */
  build(shape: number[], dtype: DType): Output;
}

const FLOAT_DTYPES: ReadonlySet<DType> = new Set(['float16', 'bfloat16', 'float32', 'float64'] as DType[]);
/** Whether `dtype` is a real floating point type (the random initializers' domain). */
export const isFloatDType = (dtype: DType): boolean => FLOAT_DTYPES.has(dtype);

/** Python's `tf.compat.v1.zeros_initializer()`. */
export function zerosInitializer(): Initializer {
  return { kind: 'zeros', build: (shape, dtype) => filledTensor('zeros', shape, dtype) };
}

/** Python's `tf.compat.v1.ones_initializer()`. */
export function onesInitializer(): Initializer {
  return { kind: 'ones', build: (shape, dtype) => filledTensor('ones', shape, dtype) };
}

/** Python's `tf.compat.v1.constant_initializer(value)`: a scalar repeated, or values of the variable's element count. */
export function constantInitializer(value: TensorLike): Initializer {
  return { kind: 'constant', build: (shape, dtype) => constant(value, { dtype, shape }) };
}

export interface RandomOptions {
  /** The op seed; combined with the graph seed as Python's (see setRandomSeed). */
  seed?: number;
}

function checkFloat(kind: string, dtype: DType): void {
  if (!isFloatDType(dtype)) throw new ValueError(`${kind} initializer: expected a floating point dtype, got ${dtype}`);
}

function checkNumber(param: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(param, 'a finite number', v);
  return v;
}

// random_ops.random_normal / truncated_normal: shape, mean, stddev; the draw; mul; add named as the scope.
function normal(
  kind: 'random_normal' | 'truncated_normal',
  shape: number[],
  dtype: DType,
  mean: number,
  stddev: number,
  seed?: number,
): Output {
  return nameScope(kind, (scope) => {
    const shapeT = constant(shape, { dtype: 'int32', name: 'shape' });
    const meanT = constant(mean, { dtype, name: 'mean' });
    const stddevT = constant(stddev, { dtype, name: 'stddev' });
    const [s1, s2] = getSeed(seed);
    const draw =
      kind === 'random_normal'
        ? raw.randomStandardNormal(shapeT, { dtype, seed: s1, seed2: s2 })
        : raw.truncatedNormal(shapeT, { dtype, seed: s1, seed2: s2 });
    return raw.addV2(raw.mul(draw, stddevT, { name: 'mul' }), meanT, { name: scope });
  });
}

// random_ops.random_uniform with float bounds: shape, min, max; RandomUniform; sub; mul; add named as the scope.
function uniform(shape: number[], dtype: DType, minval: number, maxval: number, seed?: number): Output {
  return nameScope('random_uniform', (scope) => {
    const shapeT = constant(shape, { dtype: 'int32', name: 'shape' });
    const minT = constant(minval, { dtype, name: 'min' });
    const maxT = constant(maxval, { dtype, name: 'max' });
    const [s1, s2] = getSeed(seed);
    const draw = raw.randomUniform(shapeT, { dtype, seed: s1, seed2: s2 });
    const range = raw.sub(maxT, minT, { name: 'sub' });
    return raw.addV2(raw.mul(draw, range, { name: 'mul' }), minT, { name: scope });
  });
}

/** Python's `tf.compat.v1.random_normal_initializer(mean=0, stddev=1, seed)`. */
export function randomNormalInitializer(opts: { mean?: number; stddev?: number } & RandomOptions = {}): Initializer {
  const mean = checkNumber('mean', opts.mean ?? 0);
  const stddev = checkNumber('stddev', opts.stddev ?? 1);
  return {
    kind: 'random_normal',
    build: (shape, dtype) => {
      checkFloat('random_normal', dtype);
      return normal('random_normal', shape, dtype, mean, stddev, opts.seed);
    },
  };
}

/** Python's `tf.compat.v1.truncated_normal_initializer(mean=0, stddev=1, seed)`. */
export function truncatedNormalInitializer(opts: { mean?: number; stddev?: number } & RandomOptions = {}): Initializer {
  const mean = checkNumber('mean', opts.mean ?? 0);
  const stddev = checkNumber('stddev', opts.stddev ?? 1);
  return {
    kind: 'truncated_normal',
    build: (shape, dtype) => {
      checkFloat('truncated_normal', dtype);
      return normal('truncated_normal', shape, dtype, mean, stddev, opts.seed);
    },
  };
}

/**
 * Python's `tf.compat.v1.random_uniform_initializer(minval=0, maxval=1, seed)` for float dtypes
 * (Python's shortcut for integer bounds 0 and 1, which skips min/max, is not taken: bounds are floats).
 */
export function randomUniformInitializer(opts: { minval?: number; maxval?: number } & RandomOptions = {}): Initializer {
  const minval = checkNumber('minval', opts.minval ?? 0);
  const maxval = checkNumber('maxval', opts.maxval ?? 1);
  return {
    kind: 'random_uniform',
    build: (shape, dtype) => {
      checkFloat('random_uniform', dtype);
      return uniform(shape, dtype, minval, maxval, opts.seed);
    },
  };
}

/** Python's `_compute_fans`: (fan in, fan out) of a weight shape. */
export function computeFans(shape: number[]): [number, number] {
  if (shape.length < 1) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  let receptive = 1;
  for (const d of shape.slice(0, -2)) receptive *= d;
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/**
 * Python's `tf.compat.v1.glorot_uniform_initializer(seed)` (get_variable's default for floats):
 * uniform in ±sqrt(3 / max(1, (fanIn + fanOut) / 2)), computed in the same order as Python.
 */
export function glorotUniformInitializer(opts: RandomOptions = {}): Initializer {
  return {
    kind: 'glorot_uniform',
    build: (shape, dtype) => {
      checkFloat('glorot_uniform', dtype);
      const [fanIn, fanOut] = computeFans(shape);
      const scale = 1.0 / Math.max(1, (fanIn + fanOut) / 2);
      const limit = Math.sqrt(3.0 * scale);
      return uniform(shape, dtype, -limit, limit, opts.seed);
    },
  };
}

export function isInitializer(x: unknown): x is Initializer {
  return (
    x !== null && typeof x === 'object' && typeof (x as Initializer).build === 'function' && typeof (x as Initializer).kind === 'string'
  );
}
