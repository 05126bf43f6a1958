import { describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { Tensor } from '../../lib/core/tensor';
import { ARRAY_TYPES, type DType } from '../../lib/core/dtypes';
import { native } from '../../lib/native';
import { thrownParam as param } from '../support/errors';

// One graph: a Placeholder → Identity pair per dtype, fetched back through TF.
const graph = new Graph();
const DTYPES: DType[] = [
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'complex64',
  'complex128',
  'string',
];
for (const dt of DTYPES) {
  const p = graph.addOp({ type: 'Placeholder', name: `in_${dt}`, attrs: { dtype: dt, shape: null } });
  graph.addOp({ type: 'Identity', name: `out_${dt}`, inputs: [p] });
}
const session = new Session(graph);

async function roundTrip(t: Tensor): Promise<Tensor> {
  const r = await session.run(`out_${t.dtype}:0`, { [`in_${t.dtype}:0`]: t });
  const s = session.runSync(`out_${t.dtype}:0`, { [`in_${t.dtype}:0`]: t });
  expect(s!.dtype).toBe(t.dtype);
  expect(s!.shape).toEqual(t.shape);
  return r!;
}

describe('Tensor round trip through Identity', () => {
  const cases: Array<[DType, number[], ArrayLike<number | bigint>]> = [
    ['float32', [2, 2], new Float32Array([1.5, -0, Infinity, NaN])],
    ['float64', [3], new Float64Array([Math.PI, -1e308, 5e-324])],
    ['float16', [2], new Uint16Array([0x3c00, 0xfbff])],
    ['bfloat16', [2], new Uint16Array([0x3f80, 0x7f7f])],
    ['int8', [3], new Int8Array([-128, 0, 127])],
    ['int16', [2], new Int16Array([-32768, 32767])],
    ['int32', [2], new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
    ['int64', [3], new BigInt64Array([2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n])],
    ['uint8', [2], new Uint8Array([0, 255])],
    ['uint16', [2], new Uint16Array([0, 65535])],
    ['uint32', [2], new Uint32Array([0, 2 ** 32 - 1])],
    ['uint64', [2], new BigUint64Array([2n ** 64n - 1n, 2n ** 53n + 3n])],
    ['bool', [3], new Uint8Array([1, 0, 1])],
    ['complex64', [2], new Float32Array([1, -1, 0.5, 2])],
    ['complex128', [1], new Float64Array([Math.E, -Math.PI])],
  ];
  for (const [dtype, shape, values] of cases) {
    it(`keeps ${dtype} values exactly`, async () => {
      const out = await roundTrip(Tensor.from({ dtype, shape, data: values as never }));
      expect(out.dtype).toBe(dtype);
      expect(out.shape).toEqual(shape);
      // Compare bit patterns (NaN, -0 included).
      const a = new Uint8Array((values as unknown as ArrayBufferView).buffer);
      const d = out.data as unknown as ArrayBufferView;
      expect(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).toEqual(a);
    });
  }

  it('keeps int64 beyond 2^53 as BigInt', async () => {
    const out = await roundTrip(Tensor.from([2n ** 53n + 1n, -(2n ** 62n) - 7n], 'int64'));
    expect(out.data).toEqual(new BigInt64Array([2n ** 53n + 1n, -(2n ** 62n) - 7n]));
    expect(out.toArray()).toEqual([2n ** 53n + 1n, -(2n ** 62n) - 7n]);
  });

  it('keeps strings with NUL bytes and arbitrary bytes', async () => {
    const raw = new Uint8Array([0, 255, 0, 1, 0xc3]);
    const out = await roundTrip(Tensor.from({ dtype: 'string', shape: [2, 2], data: ['a\u0000b', '', 'üñí\u0000', raw] } as never));
    expect(out.shape).toEqual([2, 2]);
    expect((out.data as string[]).slice(0, 3)).toEqual(['a\u0000b', '', 'üñí\u0000']);
    expect(Array.from(out.bytes[3])).toEqual(Array.from(raw));
  });

  it('keeps scalars', async () => {
    expect((await roundTrip(Tensor.from(3.25))).scalar()).toBe(3.25);
    expect((await roundTrip(Tensor.from(true))).scalar()).toBe(true);
    expect((await roundTrip(Tensor.from('héllo'))).scalar()).toBe('héllo');
    expect((await roundTrip(Tensor.from(-5n))).scalar()).toBe(-5n);
  });

  for (const dtype of ['float32', 'int64', 'string', 'bool'] as DType[]) {
    it(`keeps empty ${dtype} tensors`, async () => {
      const data =
        dtype === 'string' ? [] : dtype === 'int64' ? new BigInt64Array(0) : dtype === 'bool' ? new Uint8Array(0) : new Float32Array(0);
      const out = await roundTrip(Tensor.from({ dtype, shape: [2, 0, 3], data: data as never }));
      expect(out.shape).toEqual([2, 0, 3]);
      expect(out.size).toBe(0);
      expect((out.data as ArrayLike<unknown>).length).toBe(0);
    });
  }

  it('feeds aligned native memory and reads large outputs without a copy', async () => {
    const n = 1 << 16; // 256 KiB of float32: above the zero-copy threshold
    const t = Tensor.alloc('float32', [n]);
    const d = t.data as Float32Array;
    expect(d.byteOffset % 64).toBe(0);
    for (let i = 0; i < n; i++) d[i] = i * 0.5;
    const out = await session.run('out_float32:0', { 'in_float32:0': t });
    expect(out!.shape).toEqual([n]);
    expect((out!.data as Float32Array)[n - 1]).toBe((n - 1) * 0.5);
    out!.dispose();
    expect(out!.isDisposed).toBe(true);
    expect(() => out!.data).toThrow(/disposed/);
    // The fed buffer is still valid after TF released its reference.
    expect(d[10]).toBe(5);
    t.dispose();
  });
});

describe('Small outputs (≤ 16 elements cross as values) and larger ones (an ArrayBuffer)', () => {
  const REAL = DTYPES.filter((d) => !d.startsWith('complex') && d !== 'string');
  const patterns: Record<string, (i: number) => number | bigint> = {
    float32: (i) => Math.fround(-1.5 + i * 0.37) * (i % 2 ? -1 : 1),
    float64: (i) => Math.PI * i - 1e300 * (i % 3 === 0 ? 1 : 0),
    float16: (i) => 0x3c00 + i,
    bfloat16: (i) => 0xff7f - i,
    int8: (i) => ((i * 37) % 256) - 128,
    int16: (i) => i * 4000 - 32768,
    int32: (i) => (i * 2 ** 27) | 0,
    int64: (i) => (2n ** 62n + BigInt(i)) * (i % 2 ? -1n : 1n),
    uint8: (i) => 255 - i,
    uint16: (i) => 65535 - i * 3,
    uint32: (i) => 2 ** 32 - 1 - i,
    uint64: (i) => 2n ** 64n - 1n - BigInt(i),
    bool: (i) => i % 2,
  };
  for (const dtype of REAL) {
    for (const n of [1, 16, 17]) {
      it(`${dtype}[${n}] comes back bit-exact from run and runSync, in the dtype's typed array`, async () => {
        const Ctor = ARRAY_TYPES[dtype]!;
        const data = new (Ctor as unknown as new (n: number) => ArrayLike<unknown> & Record<number, unknown>)(n);
        for (let i = 0; i < n; i++) data[i] = patterns[dtype]!(i);
        const t = Tensor.from({ dtype, shape: [n], data: data as never });
        const feeds = { [`in_${dtype}:0`]: t };
        for (const out of [await session.run(`out_${dtype}:0`, feeds), session.runSync(`out_${dtype}:0`, feeds)]) {
          expect(out!.dtype).toBe(dtype);
          expect(out!.shape).toEqual([n]);
          expect(out!.data).toBeInstanceOf(Ctor);
          expect(out!.data).toEqual(data);
        }
      });
    }
  }

  it('keeps NaN payloads and -0 in small float outputs', async () => {
    const bits = new Uint32Array([0x7f800001, 0xffc00123, 0x80000000, 0x7fc00000]); // signaling NaN, NaN with payload, -0, NaN
    const f32 = new Float32Array(bits.buffer);
    const out = session.runSync('out_float32:0', { 'in_float32:0': Tensor.from({ dtype: 'float32', shape: [4], data: f32 }) });
    const d = out!.data as Float32Array;
    expect(Array.from(new Uint32Array(d.buffer, d.byteOffset, 4))).toEqual(Array.from(bits));
    const zero = session.runSync('out_float64:0', {
      'in_float64:0': Tensor.from({ dtype: 'float64', shape: [], data: new Float64Array([-0]) }),
    });
    expect(Object.is((zero!.data as Float64Array)[0], -0)).toBe(true);
  });
});

describe('A Tensor.alloc feed is one TF tensor reused by every run (feed handle)', () => {
  it('sees in-place writes to its data in the next run, sync and async, also with runs in flight', async () => {
    const t = Tensor.alloc('float32', [3]);
    const d = t.data as Float32Array;
    const feeds = { 'in_float32:0': t };
    for (let k = 0; k < 3; k++) {
      d.set([k, k + 1, k + 2]);
      expect(Array.from(session.runSync('out_float32:0', feeds)!.data as Float32Array)).toEqual([k, k + 1, k + 2]);
      expect(Array.from((await session.run('out_float32:0', feeds))!.data as Float32Array)).toEqual([k, k + 1, k + 2]);
    }
    const many = await Promise.all(Array.from({ length: 16 }, () => session.run('out_float32:0', feeds)));
    for (const out of many) expect(Array.from(out!.data as Float32Array)).toEqual([2, 3, 4]);
    t.dispose();
    expect(() => session.runSync('out_float32:0', feeds)).toThrow(/disposed/);
  });

  it('a released handle, or an External of another kind, is a TypeError from the addon, not a crash', () => {
    const addon = native();
    const g = new Graph();
    g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [2] } });
    g.addOp({ type: 'Neg', name: 'y', inputs: ['x:0'] });
    const s = new addon.NativeSession(g.native, '', null);
    const plan = s.prepare(['x:0'], ['y:0'], []);
    const buf = new Float32Array(addon.allocAligned(8));
    buf.set([1, -2]);
    const handle = addon.feedHandle(addon.dtypes.TF_FLOAT!, [2], buf)!;
    expect(handle).not.toBeNull();
    expect(Array.from(s.runSync(plan, handle)[1] as number[])).toEqual([-1, 2]);
    // Memory that is not aligned native memory gets no handle (a copy would freeze its values).
    expect(addon.feedHandle(addon.dtypes.TF_FLOAT!, [2], new Float32Array([1, 2]))).toBeNull();
    // A plan where a feed handle is expected, and the other way round.
    expect(() => s.runSync(plan, plan as never)).toThrow(/not a live feed handle/);
    expect(() => s.runSync(handle as never, handle)).toThrow(/plan must come from session.prepare/);
    addon.releaseFeedHandle(handle);
    expect(() => s.runSync(plan, handle)).toThrow(/not a live feed handle/);
    expect(() => s.runSync(plan)).toThrow(/feeds do not match the plan/);
    // Raw parts checked by the addon itself (lib/ normally validates first).
    const F = addon.dtypes.TF_FLOAT!;
    expect(Array.from(s.runSync(plan, F, [2], new Float32Array([3, 4]))[1] as number[])).toEqual([-3, -4]);
    expect(() => s.runSync(plan, F, 2 as never, new Float32Array([3, 4]))).toThrow(/expected an array of dimensions/);
    expect(() => s.runSync(plan, F, ['2'] as never, new Float32Array([3, 4]))).toThrow(/dimension 0 is not a number/);
    expect(() => s.runSync(plan, F, [2], new Float32Array([3]))).toThrow(/data has 4 bytes, shape and dtype need 8/);
    expect(() => s.runSync(plan, F, [2], new DataView(new ArrayBuffer(8)) as never)).toThrow(/numeric data must be a TypedArray/);
  });
});

// A typed array wraps what does not fit its type: 2**31 in an int32 became -2**31 and 2n**70n in
// an int64 became 0, silently, and a bool tensor could hold the byte 2.
describe('Values that do not fit the dtype', () => {
  it('are ArgumentErrors naming the element; truncation of fractions stays (numpy feeds do it)', () => {
    expect(param(() => Tensor.from([1, 2 ** 31], 'int32'))).toBe('value[1]');
    expect(param(() => Tensor.from([-1], 'uint8'))).toBe('value[0]');
    expect(param(() => Tensor.from([Number.NaN], 'int16'))).toBe('value[0]');
    expect(param(() => Tensor.from([Infinity], 'uint32'))).toBe('value[0]');
    expect(param(() => Tensor.from([2n ** 70n], 'int64'))).toBe('value[0]');
    expect(param(() => Tensor.from([-1n], 'uint64'))).toBe('value[0]');
    expect(param(() => Tensor.from({ dtype: 'int8', shape: [2], data: [1, 300] }))).toBe('value.data[1]');
    // The limits themselves, and truncation toward zero.
    expect(Array.from(Tensor.from([-(2 ** 31), 2 ** 31 - 1, 2.9, -2.9], 'int32').data as Int32Array)).toEqual([
      -(2 ** 31),
      2 ** 31 - 1,
      2,
      -2,
    ]);
    expect(Array.from(Tensor.from([2n ** 64n - 1n], 'uint64').data as BigUint64Array)).toEqual([2n ** 64n - 1n]);
    expect(Array.from(Tensor.from([2n ** 63n - 1n, -(2n ** 63n)], 'int64').data as BigInt64Array)).toEqual([2n ** 63n - 1n, -(2n ** 63n)]);
    // A bool holds 0 or 1, whatever number it was given.
    expect(Array.from(Tensor.from([0, 2, -1, 0.5], 'bool').data as Uint8Array)).toEqual([0, 1, 1, 1]);
  });
});
