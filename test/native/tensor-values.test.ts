/**
 * Tensor values as JS sees them: `toArray()`/`scalar()` give complex numbers as [re, im] pairs
 * and float16/bfloat16 as numbers (`data` keeps the storage); handle dtypes have no values (a
 * typed error); a tensor sharing another's memory never frees it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { Tensor, numberToFloat16, numberToBfloat16, float16ToNumber, bfloat16ToNumber } from '../../lib/core/tensor';
import type { DType } from '../../lib/core/dtypes';
import { ArgumentError } from '../../lib/core/errors';
import { catchErrorSync } from '../support/errors';

const graph = new Graph();
for (const dt of ['float32', 'float16', 'bfloat16', 'complex64', 'complex128'] as DType[]) {
  const p = graph.addOp({ type: 'Placeholder', name: `in_${dt}`, attrs: { dtype: dt, shape: null } });
  graph.addOp({ type: 'Identity', name: `out_${dt}`, inputs: [p] });
}
graph.addOp({ type: 'VarHandleOp', name: 'handle', attrs: { dtype: 'float32', shape: [] } });
const session = new Session(graph);
afterAll(() => session.close());

async function roundTrip(t: Tensor): Promise<Tensor> {
  return (await session.run(`out_${t.dtype}:0`, { [`in_${t.dtype}:0`]: t }))!;
}

describe('Tensor#toArray() and #scalar() of complex tensors', () => {
  it('gives each element as an [re, im] pair, one level below the shape', async () => {
    const t = await roundTrip(Tensor.from({ dtype: 'complex64', shape: [2], data: new Float32Array([1, 2, 3, -4]) }));
    expect(t.toArray()).toEqual([
      [1, 2],
      [3, -4],
    ]);
    const m = Tensor.from({ dtype: 'complex128', shape: [2, 1], data: new Float64Array([1, 2, 3, 4]) });
    expect(m.toArray()).toEqual([[[1, 2]], [[3, 4]]]);
  });

  it('scalar() gives the [re, im] pair', async () => {
    const t = await roundTrip(Tensor.from({ dtype: 'complex128', shape: [], data: new Float64Array([5, 7]) }));
    expect(t.scalar()).toEqual([5, 7]);
  });

  it('Tensor.from takes [re, im] pairs back (toArray round trip)', async () => {
    const t = Tensor.from(
      [
        [1, 2],
        [3, -4],
      ],
      'complex64',
    );
    expect(t.shape).toEqual([2]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, -4]);
    const back = await roundTrip(Tensor.from(t.toArray() as never, 'complex64'));
    expect(back.toArray()).toEqual([
      [1, 2],
      [3, -4],
    ]);
    expect(Tensor.from([5, 7], 'complex128').shape).toEqual([]);
  });

  it('refuses nested arrays that are not pairs, naming the parameter', () => {
    const e = catchErrorSync<ArgumentError>(() => Tensor.from([1, 2, 3], 'complex64'));
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.param).toBe('value');
    expect(e.message).toMatch(/\[re, im\] pairs/);
  });
});

describe('Tensor#toArray() and #scalar() of float16/bfloat16 tensors', () => {
  it('decode the 16-bit patterns to numbers; data keeps the bits', async () => {
    // float16 1.5, NaN, Infinity, -0, 65504 (max), 2^-24 (smallest subnormal), -2
    const f16 = await roundTrip(
      Tensor.from({ dtype: 'float16', shape: [7], data: new Uint16Array([0x3e00, 0x7e00, 0x7c00, 0x8000, 0x7bff, 0x0001, 0xc000]) }),
    );
    expect(f16.toArray()).toEqual([1.5, NaN, Infinity, -0, 65504, 2 ** -24, -2]);
    expect(Object.is((f16.toArray() as number[])[3], -0)).toBe(true);
    expect(Array.from(f16.data as Uint16Array)).toEqual([0x3e00, 0x7e00, 0x7c00, 0x8000, 0x7bff, 0x0001, 0xc000]);
    const bf16 = await roundTrip(Tensor.from({ dtype: 'bfloat16', shape: [4], data: new Uint16Array([0x3f80, 0x4000, 0xbfc0, 0x7f80]) }));
    expect(bf16.toArray()).toEqual([1, 2, -1.5, Infinity]);
    expect(Tensor.from({ dtype: 'float16', shape: [], data: new Uint16Array([0x3c00]) }).scalar()).toBe(1);
    expect(Tensor.from({ dtype: 'bfloat16', shape: [1], data: new Uint16Array([0xc040]) }).scalar()).toBe(-3);
  });

  it('Tensor.from encodes numbers (nested arrays, scalars, other TypedArrays) with round half to even', async () => {
    expect(
      Array.from(Tensor.from([1.5, NaN, Infinity, -0, 65504, 1e6, 2 ** -24, 2 ** -25, 3 * 2 ** -25], 'float16').data as Uint16Array),
    ).toEqual([0x3e00, 0x7e00, 0x7c00, 0x8000, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0002]);
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: to even (1); 1 + 3*2^-11: to 1 + 2^-9.
    expect(numberToFloat16(1 + 2 ** -11)).toBe(0x3c00);
    expect(numberToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(numberToFloat16(65519)).toBe(0x7bff);
    expect(numberToFloat16(65520)).toBe(0x7c00);
    expect(numberToFloat16(2 ** -14)).toBe(0x0400);
    expect(Array.from(Tensor.from(new Float32Array([1, 2, -1.5]), 'bfloat16').data as Uint16Array)).toEqual([0x3f80, 0x4000, 0xbfc0]);
    expect(numberToBfloat16(1 + 2 ** -8)).toBe(0x3f80); // halfway: to even
    expect(numberToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(Tensor.from(0.1, 'float16').scalar()).toBe(float16ToNumber(0x2e66));
    // Every float16 pattern that is a number encodes back to itself.
    const wrong: number[] = [];
    for (let b = 0; b < 0x10000; b++) {
      if ((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0) continue; // NaN
      if (numberToFloat16(float16ToNumber(b)) !== b) wrong.push(b);
    }
    expect(wrong).toEqual([]);
    for (const b of [0x0001, 0x007f, 0x3f80, 0x7f7f, 0x8000, 0xff80]) expect(numberToBfloat16(bfloat16ToNumber(b))).toBe(b);
    const fed = await roundTrip(Tensor.from([[0.5, -3]], 'float16'));
    expect(fed.toArray()).toEqual([[0.5, -3]]);
  });
});

describe('Tensor#toArray() and #scalar() of handle tensors', () => {
  it('are ArgumentErrors saying the dtype has no JS values', async () => {
    const r = (await session.run('handle:0'))!;
    expect(r.dtype).toBe('resource');
    for (const f of [() => r.toArray(), () => r.scalar()]) {
      const e = catchErrorSync<ArgumentError>(f);
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.param).toBe('tensor');
      expect(e.message).toMatch(/resource tensor is a handle with no JS values/);
    }
    const v = Tensor.fromParts('variant', [2], null);
    expect(catchErrorSync<ArgumentError>(() => v.toArray()).message).toMatch(/variant tensor is a handle with no JS values/);
  });
});

describe('Tensor#dispose() of a tensor sharing memory', () => {
  it('does not free the memory another tensor owns', async () => {
    const n = 1 << 20; // above the zero-copy threshold: the output owns native memory
    const o = (await session.run('out_float32:0', { 'in_float32:0': Tensor.from(new Float32Array(n).fill(2)) }))!;
    const alias = Tensor.from(o.data as Float32Array);
    alias.dispose();
    expect(alias.isDisposed).toBe(true);
    expect(o.isDisposed).toBe(false);
    expect((o.data as Float32Array).length).toBe(n);
    expect((o.data as Float32Array)[n - 1]).toBe(2);
    const again = (await session.run('out_float32:0', { 'in_float32:0': o }))!;
    expect((again.data as Float32Array)[n - 1]).toBe(2);
    again.dispose();
    o.dispose();
  });

  it('makes a tensor whose shared memory its owner freed fail with an ArgumentError', async () => {
    const n = 1 << 20;
    const o = (await session.run('out_float32:0', { 'in_float32:0': Tensor.from(new Float32Array(n).fill(3)) }))!;
    const alias = Tensor.from({ dtype: 'float32', shape: [n], data: o.data as Float32Array });
    o.dispose();
    for (const f of [() => alias.toArray(), () => alias.data, () => alias.scalar()]) {
      const e = catchErrorSync<ArgumentError>(f);
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.param).toBe('tensor');
    }
    expect(catchErrorSync<ArgumentError>(() => alias.data).message).toMatch(/memory was freed/);
    const fed = await session.run('out_float32:0', { 'in_float32:0': alias }).then(
      () => null,
      (e: Error) => e,
    );
    expect(fed).toBeInstanceOf(ArgumentError);
  });

  it('still frees alloc memory when the owner is disposed', () => {
    const t = Tensor.alloc('float32', [1024]);
    const d = t.data as Float32Array;
    t.dispose();
    expect(d.length).toBe(0); // detached: freed now
  });
});
