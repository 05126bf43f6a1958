/**
 * Python's `tf.zeros` / `tf.ones` (also what the zeros and ones initializers build): a Const named
 * after the scope below 1000 elements, else a Fill of a scalar 'Const' by a 'shape_as_tensor'
 * (array_ops._constant_if_small), so the ops and names are Python's.
 */
import type { DType } from '../core/dtypes';
import { checkShape } from '../core/tensor';
import type { Output } from '../core/graph';
import { constant } from './constant';
import * as raw from './gen';
import { nameScope } from './scope';

export function filledTensor(kind: 'zeros' | 'ones', shape: number[], dtype: DType, name?: string): Output {
  const dims = checkShape('shape', shape);
  const one = kind === 'ones';
  const value = dtype === 'bool' ? one : dtype === 'int64' || dtype === 'uint64' ? BigInt(one ? 1 : 0) : one ? 1 : 0;
  return nameScope(name ?? kind, (scope) => {
    if (dims.reduce((a, b) => a * b, 1) < 1000) return constant(value, { dtype, shape: dims, name: scope });
    const dimsT = constant(dims, { dtype: 'int32', name: 'shape_as_tensor' });
    return raw.fill(dimsT, constant(value, { dtype }), { name: scope });
  });
}
