/**
 * The MLP benches' feeds (784 inputs, batch 128, 10 classes), in aligned native memory: fed
 * without a copy, as raw C feeds one tensor per input. Fixed values: the benches time steps, not
 * learning.
 */
import { Tensor } from '../../lib/core/tensor';

export function mlpFeeds(): { 'x:0': Tensor; 'y:0': Tensor } {
  const x = Tensor.alloc('float32', [128, 784]);
  const xs = x.data as Float32Array;
  for (let i = 0; i < xs.length; i++) xs[i] = (i % 251) / 251;
  const y = Tensor.alloc('int32', [128]);
  const ys = y.data as Int32Array;
  for (let i = 0; i < ys.length; i++) ys[i] = i % 10;
  return { 'x:0': x, 'y:0': y };
}
