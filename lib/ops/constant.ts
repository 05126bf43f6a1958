/**
 * Constants and placeholders as Python's `tf.constant` and `tf.compat.v1.placeholder` make them
 * (op names 'Const' and 'Placeholder' by default), and the conversion of JS values to tensors that
 * the friendly op functions apply to their inputs (Python's `convert_to_tensor`).
 */
import { checkDType, type DType, type TypedArray } from '../core/dtypes';
import { ArgumentError, invalidArgument } from '../core/errors';
import { Operation, Output } from '../core/graph';
import { Tensor, checkShape, type TensorLike } from '../core/tensor';
import { addScopedOp } from './scope';

export interface ConstantOptions {
  /** The element type; from the value when omitted (numbers float32, bigints int64, booleans bool, strings string). */
  dtype?: DType;
  /** A shape: the value is reshaped (same element count) or a single value is repeated, as Python's. */
  shape?: number[];
  name?: string;
}

/** Python's `tf.constant(value, dtype, shape, name)`. */
export function constant(value: TensorLike, opts: ConstantOptions = {}): Output {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  if (opts.dtype !== undefined) checkDType('dtype', opts.dtype);
  let t =
    value instanceof Tensor && (opts.dtype === undefined || opts.dtype === value.dtype)
      ? value
      : Tensor.from(value instanceof Tensor ? (value.toArray() as TensorLike) : value, opts.dtype);
  if (opts.shape !== undefined) {
    const shape = checkShape('shape', opts.shape);
    const n = shape.reduce((a, b) => a * b, 1);
    const have = t.shape.reduce((a, b) => a * b, 1);
    if (have === n)
      t =
        t.dtype === 'string'
          ? Tensor.from({ dtype: 'string', shape, data: t.bytes })
          : Tensor.from({ dtype: t.dtype, shape, data: t.data as TypedArray });
    else if (have === 1 && t.dtype !== 'float16' && t.dtype !== 'bfloat16' && !t.dtype.startsWith('complex')) {
      let v: unknown = t.toArray();
      while (Array.isArray(v)) v = v[0];
      t = Tensor.from({ dtype: t.dtype, shape, data: new Array(n).fill(v) as Array<number | bigint | boolean | string> });
    } else {
      throw new ArgumentError('shape', `constant: a value of ${have} elements cannot take shape [${shape}] (${n} elements)`);
    }
  }
  return addScopedOp({ type: 'Const', name: opts.name ?? 'Const', attrs: { dtype: t.dtype, value: t } }).output(0);
}

export interface PlaceholderOptions {
  /** The shape to feed; -1 (or null) for a dimension of any size; omitted: any shape. */
  shape?: Array<number | null> | null;
  name?: string;
}

/** Python's `tf.compat.v1.placeholder(dtype, shape, name)`. */
export function placeholder(dtype: DType, opts: PlaceholderOptions = {}): Output {
  checkDType('dtype', dtype);
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  const shape =
    opts.shape === undefined || opts.shape === null
      ? null
      : checkShape(
          'shape',
          opts.shape.map((d) => (d === null ? -1 : d)),
          true,
        );
  return addScopedOp({ type: 'Placeholder', name: opts.name ?? 'Placeholder', attrs: { dtype, shape } }).output(0);
}

/** Anything with a `value()` Output, such as a Variable: used through its value, as Python converts variables. */
export interface HasValue {
  value(): Output;
}

/** What a friendly op function takes as a tensor input: an Output (or Operation), a Variable, or a JS value made a constant. */
export type TensorInput = Output | Operation | HasValue | TensorLike;

/** Whether `x` is used as a tensor as it is (an Output, an Operation or a Variable), not converted to a constant. */
export function isTensorLike(x: unknown): x is Output | Operation | HasValue {
  return (
    x instanceof Output ||
    x instanceof Operation ||
    (x !== null && typeof x === 'object' && !(x instanceof Tensor) && typeof (x as HasValue).value === 'function')
  );
}

/** An Output, Operation or Variable as an Output (output 0, the variable's value). */
export function asOutput(x: Output | Operation | HasValue): Output {
  if (x instanceof Output) return x;
  if (x instanceof Operation) return x.output(0);
  const v = x.value();
  if (!(v instanceof Output)) throw invalidArgument('value()', 'an Output', v);
  return v;
}

/**
 * An input as a tensor: Outputs as they are, anything else a Const named `name` in the current
 * scope with `dtype` (Python's `convert_to_tensor(value, dtype, name)`). Strings are string values,
 * not tensor names: pass `graph.tensor('x:0')` for a tensor by name.
 */
export function toTensor(x: TensorInput, dtype: DType | undefined, name: string, param = 'x'): Output {
  if (isTensorLike(x)) return asOutput(x);
  if (x === undefined || x === null) throw invalidArgument(param, 'a tensor (an Output) or a JS value', x);
  return constant(x as TensorLike, { dtype, name });
}
