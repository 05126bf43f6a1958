/**
 * Tensor: a dtype, a shape and the values, in a TypedArray (numeric types) or an array of byte
 * strings (TF_STRING). What `Session.run` returns and what feeds accept. Native memory of large
 * outputs is freed at garbage collection, or at once by `dispose()` (do so in tight loops).
 */
import { formatTensorValue } from './numpy-format';
import { ArgumentError, invalidArgument } from './errors';
import { ARRAY_TYPES, type DType, type TypedArray, checkDType, dtypeFromEnum, dtypeToEnum, lanes } from './dtypes';
import { native, type FeedHandle, type RawTensor } from '../native';

export type NestedArray<T> = T | NestedArray<T>[];
/** A complex number as `toArray()`/`scalar()` give it: `[re, im]`. */
export type ComplexPair = [number, number];
/** One element's value as `toArray()`/`scalar()` give it. */
export type ElementValue = number | bigint | boolean | string | ComplexPair;
/** What a feed or `Tensor.from` accepts. */
export type TensorLike =
  | Tensor
  | number
  | bigint
  | boolean
  | string
  | Uint8Array
  | TypedArray
  | NestedArray<number | bigint | boolean | string>
  | { dtype: DType; shape: number[]; data: TypedArray | ArrayLike<number | bigint | boolean | string> | Uint8Array[] };

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** TF's TensorShape holds at most this many dimensions; more aborts the process inside TF. */
export const MAX_RANK = 254;
const INT64_MAX = 2 ** 63;
/** The largest `Tensor.alloc` (the addon's allocAligned limit, 1 TiB). */
const MAX_ALLOC_BYTES = 2 ** 40;

/**
 * A tensor shape: at most {@link MAX_RANK} non-negative integer dimensions (`-1` too when
 * `partial`, for an unknown dimension) whose running product of known dimensions fits in int64
 * (TF multiplies them in order and aborts on overflow, even when a later dimension is 0). The
 * rank is checked first and the dimensions by index, so a sparse array claiming 2^32-1
 * dimensions fails at once, and holes are not dimensions.
 */
export function checkShape(param: string, shape: unknown, partial = false): number[] {
  const expected = partial ? 'a shape (array of integers >= -1, -1 = unknown) or null (unknown rank)' : 'an array of non-negative integers';
  if (!Array.isArray(shape)) throw invalidArgument(param, expected, shape);
  if (shape.length > MAX_RANK) throw invalidArgument(param, `${expected} of rank at most ${MAX_RANK} (TensorFlow's maximum)`, shape);
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (!Number.isInteger(d) || (d as number) < (partial ? -1 : 0)) {
      throw invalidArgument(`${param}[${i}]`, partial ? 'an integer >= -1' : 'a non-negative integer', i in shape ? d : undefined);
    }
    if ((d as number) >= 0) {
      known *= d as number;
      if (known >= INT64_MAX) {
        throw new ArgumentError(
          param,
          `Expected ${expected} for ${param} but the product of its dimensions overflows int64 at dimension ${i} ([${shape.slice(0, i + 1)}${i + 1 < shape.length ? ', ...' : ''}])`,
        );
      }
    }
  }
  return shape as number[];
}

function inferDType(x: unknown, param: string): DType {
  if (typeof x === 'number') return 'float32';
  if (typeof x === 'bigint') return 'int64';
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'string' || x instanceof Uint8Array) return 'string';
  throw invalidArgument(param, 'a number, bigint, boolean or string', x);
}

function typedArrayDType(a: ArrayBufferView, param: string): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof BigUint64Array) return 'uint64';
  if (a instanceof Uint8ClampedArray) return 'uint8';
  throw invalidArgument(param, 'a TypedArray of a TF dtype (Float32Array, Int32Array, BigInt64Array, ...)', a);
}

/**
 * Shape and flat values of nested arrays; ragged input is an error naming the position. Nesting
 * deeper than {@link MAX_RANK} (TF's maximum rank) is an error, which also stops a self-containing
 * array; holes are errors too (`[1, , 3]` has no second value).
 */
function flatten(value: unknown, param: string): { shape: number[]; flat: unknown[] } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_RANK) {
      throw invalidArgument(
        param,
        `nested arrays at most ${MAX_RANK} deep (TensorFlow's maximum rank; a self-containing array never ends)`,
        value,
      );
    }
    shape.push(probe.length);
    probe = probe[0];
  }
  checkShape(param, shape);
  const flat: unknown[] = [];
  const walk = (v: unknown, depth: number, where: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(v))
        throw new ArgumentError(
          param,
          `Ragged nested array for ${param}: ${where} has more dimensions than ${where.replace(/\[\d+\]$/, '')}[0]`,
        );
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ArgumentError(
        param,
        `Ragged nested array for ${param}: expected ${shape[depth]} elements at ${where || 'the top level'} but received ${Array.isArray(v) ? v.length : 'a scalar'}`,
      );
    }
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) throw invalidArgument(`${param}${where}[${i}]`, 'a value (the array has a hole here)', undefined);
      walk(v[i], depth + 1, `${where}[${i}]`);
    }
  };
  walk(value, 0, '');
  return { shape, flat };
}

// Integer dtypes' ranges: a typed array would wrap a value outside them silently (2**31 in an
// int32 becomes -2**31, 2n**70n in an int64 becomes 0). Non-integers are truncated, as numpy does
// for a feed; NaN and ±Infinity have no integer value and are refused.
const INT_RANGE: Partial<Record<DType, readonly [number, number]>> = {
  int8: [-(2 ** 7), 2 ** 7 - 1],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint8: [0, 2 ** 8 - 1],
  uint16: [0, 2 ** 16 - 1],
  uint32: [0, 2 ** 32 - 1],
  qint8: [-(2 ** 7), 2 ** 7 - 1],
  quint8: [0, 2 ** 8 - 1],
  qint16: [-(2 ** 15), 2 ** 15 - 1],
  quint16: [0, 2 ** 16 - 1],
  qint32: [-(2 ** 31), 2 ** 31 - 1],
};
const BIG_RANGE: Partial<Record<DType, readonly [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

// float16 (IEEE binary16) and bfloat16 (the top half of a float32) ↔ JS numbers.
const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

/** The number a float16 bit pattern stands for. */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The number a bfloat16 bit pattern stands for. */
export function bfloat16ToNumber(bits: number): number {
  f32Bits[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** The float16 bit pattern nearest to `x` (round half to even, overflow to ±Infinity, as numpy). */
export function numberToFloat16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp rounds up to Infinity
  if (a < 2 ** -14) {
    // Subnormal: units of 2^-24, rounded half to even.
    const q = a / 2 ** -24;
    let m = Math.round(q);
    if (m - q === 0.5 && m % 2 === 1) m -= 1;
    return sign | m; // m = 1024 is the smallest normal, which the bits express as well
  }
  let exp = Math.floor(Math.log2(a));
  if (2 ** exp > a) exp -= 1;
  else if (2 ** (exp + 1) <= a) exp += 1;
  const q = (a / 2 ** exp - 1) * 1024;
  let m = Math.round(q);
  if (m - q === 0.5 && m % 2 === 1) m -= 1;
  return sign | (((exp + 15) << 10) + m); // m = 1024 carries into the exponent
}

/** The bfloat16 bit pattern nearest to `x` (round half to even from float32, as TF and numpy). */
export function numberToBfloat16(x: number): number {
  if (Number.isNaN(x)) return 0x7fc0;
  f32[0] = x;
  const b = f32Bits[0];
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

function fillTyped(dtype: DType, flat: ArrayLike<unknown>, param: string, encodeHalf = false): TypedArray {
  const Ctor = ARRAY_TYPES[dtype];
  if (!Ctor) throw invalidArgument(param, 'a numeric, bool or string dtype', dtype);
  const out = new Ctor(flat.length);
  const bigRange = BIG_RANGE[dtype];
  const intRange = INT_RANGE[dtype];
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (bigRange) {
      const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : null;
      if (b === null || b < bigRange[0] || b > bigRange[1]) throw invalidArgument(`${param}[${i}]`, `an integer in ${dtype}'s range`, v);
      (out as BigInt64Array)[i] = b;
    } else if (intRange && (typeof v === 'number' || typeof v === 'bigint')) {
      const n = typeof v === 'bigint' ? Number(v) : Math.trunc(v);
      if (!(n >= intRange[0] && n <= intRange[1]))
        throw invalidArgument(`${param}[${i}]`, `a number in ${dtype}'s range [${intRange[0]}, ${intRange[1]}]`, v);
      (out as Int32Array)[i] = n;
    } else if (dtype === 'bool' && (typeof v === 'number' || typeof v === 'bigint')) {
      (out as Uint8Array)[i] = v ? 1 : 0; // TF's bool is one byte holding 0 or 1 (NaN and 0 are false)
    } else if (encodeHalf && (dtype === 'float16' || dtype === 'bfloat16') && (typeof v === 'number' || typeof v === 'bigint')) {
      (out as Uint16Array)[i] = (dtype === 'float16' ? numberToFloat16 : numberToBfloat16)(Number(v));
    } else if (typeof v === 'number') {
      (out as Float64Array)[i] = v;
    } else if (typeof v === 'boolean') {
      (out as Uint8Array)[i] = v ? 1 : 0;
    } else if (typeof v === 'bigint') {
      (out as Float64Array)[i] = Number(v);
    } else {
      throw invalidArgument(`${param}[${i}]`, `a number for dtype ${dtype}`, v);
    }
  }
  return out;
}

/**
 * A dtype, a shape and the values.
 *
 * Memory: `Tensor.alloc` gives 64-byte-aligned native memory that TF uses without a copy when the
 * tensor is fed. Large outputs of async runs arrive without a copy; `dispose()` frees their
 * native memory at once instead of at garbage collection (do so in tight loops).
 *
 * Values: `data` is the storage (float16/bfloat16 as raw 16-bit patterns, complex as interleaved
 * (re, im) parts); `toArray()`/`scalar()` give the values (float16/bfloat16 decoded to numbers,
 * each complex number as a `[re, im]` pair), and `Tensor.from` of nested arrays takes them back.
 */
export class Tensor {
  readonly dtype: DType;
  readonly shape: number[];
  private values: TypedArray | Uint8Array[] | null;
  private disposed = false;
  /**
   * True when `values` is memory this tensor owns (an `alloc` buffer, an output's buffer) and
   * `dispose()` may free. A tensor made from the caller's TypedArray (possibly another tensor's
   * `data`) shares it and never frees it.
   */
  private ownsBuffer = false;
  /**
   * For tensors in aligned native memory (`alloc`): the addon's feed made once from this memory
   * and reused by every run (undefined until first fed; null when the addon declined).
   */
  private feedHandle: FeedHandle | null | undefined = null;

  private constructor(dtype: DType, shape: number[], values: TypedArray | Uint8Array[] | null) {
    this.dtype = dtype;
    this.shape = shape;
    this.values = values;
  }

  /**
   * Builds a tensor from a JS value. `dtype` converts numbers (default float32 for numbers,
   * int64 for bigints, bool, string). Nested arrays and scalars are values, as `toArray()` gives
   * them: numbers are encoded for float16/bfloat16, complex elements are `[re, im]` pairs. A
   * `{ dtype, shape, data }` object's `data` is storage, as the `data` property gives it (16-bit
   * patterns for float16/bfloat16, interleaved parts for complex). A TypedArray of the dtype's
   * storage type is used as is, shared, not copied.
   * @example Tensor.from([[1, 2], [3, 4]], 'int32')
   * @example Tensor.from([[1, 2], [3, -4]], 'complex64') // shape [2]: 1+2i, 3-4i
   */
  static from(value: TensorLike, dtype?: DType, param = 'value'): Tensor {
    if (dtype !== undefined) checkDType('dtype', dtype);
    if (value instanceof Tensor) {
      if (dtype && dtype !== value.dtype) throw invalidArgument(param, `a ${dtype} tensor`, `${value.dtype} tensor`);
      return value;
    }
    if (
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      !ArrayBuffer.isView(value) &&
      'shape' in value &&
      'data' in value
    ) {
      const spec = value as { dtype: DType; shape: number[]; data: ArrayLike<unknown> };
      const dt = checkDType(`${param}.dtype`, spec.dtype ?? dtype);
      const shape = checkShape(`${param}.shape`, spec.shape);
      const n = elementCount(shape);
      const dataLength = (spec.data as ArrayLike<unknown> | null | undefined)?.length;
      if (typeof dataLength !== 'number') throw invalidArgument(`${param}.data`, 'a TypedArray or an array of values', spec.data);
      if (dt === 'string') {
        if (dataLength !== n)
          throw new ArgumentError(`${param}.data`, `${param}.data has ${dataLength} elements but shape [${shape}] needs ${n}`);
        const arr = Array.from(spec.data as ArrayLike<string | Uint8Array>);
        if (arr.length !== n)
          throw new ArgumentError(`${param}.data`, `${param}.data has ${arr.length} elements but shape [${shape}] needs ${n}`);
        return new Tensor(
          dt,
          shape,
          arr.map((s, i) => toBytes(s, `${param}.data[${i}]`)),
        );
      }
      const Ctor = ARRAY_TYPES[dt];
      if (!Ctor) throw invalidArgument(`${param}.dtype`, 'a dtype with JS values', dt);
      const want = n * lanes(dt);
      let data: TypedArray;
      if (ArrayBuffer.isView(spec.data) && spec.data instanceof Ctor) data = spec.data as TypedArray;
      else if (ArrayBuffer.isView(spec.data) && !(spec.data instanceof DataView))
        throw invalidArgument(`${param}.data`, `a ${Ctor.name} for dtype ${dt}`, spec.data);
      else if (dataLength !== want)
        throw new ArgumentError(
          `${param}.data`,
          `${param}.data has ${dataLength} elements but shape [${shape}] and dtype ${dt} need ${want}`,
        );
      else data = fillTyped(dt, spec.data, `${param}.data`);
      if (data.length !== want)
        throw new ArgumentError(
          `${param}.data`,
          `${param}.data has ${data.length} elements but shape [${shape}] and dtype ${dt} need ${want}`,
        );
      return new Tensor(dt, shape, data);
    }
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const dt = dtype ?? typedArrayDType(value, param);
      if (dt === 'string') return new Tensor('string', [], [value as Uint8Array]);
      const Ctor = ARRAY_TYPES[dt];
      if (!Ctor) throw invalidArgument('dtype', 'a dtype with JS values', dt);
      // Another TypedArray's numbers are values (a Float32Array given for float16 is encoded).
      const data = value instanceof Ctor ? (value as TypedArray) : fillTyped(dt, Array.from(value as ArrayLike<number>), param, true);
      if (data.length % lanes(dt) !== 0) {
        throw invalidArgument(param, `an even number of elements for dtype ${dt} (real and imaginary parts)`, value);
      }
      return new Tensor(dt, [data.length / lanes(dt)], data);
    }
    const { shape, flat } = Array.isArray(value) ? flatten(value, param) : { shape: [], flat: [value] };
    const dt = dtype ?? (flat.length ? inferDType(flat[0], Array.isArray(value) ? `${param}[0]` : param) : 'float32');
    if (dt === 'string')
      return new Tensor(
        dt,
        shape,
        flat.map((s, i) => toBytes(s, `${param}[${i}]`)),
      );
    if (lanes(dt) !== 1) {
      // Complex values as toArray() gives them: [re, im] pairs at the innermost level.
      if (shape.length === 0 || shape[shape.length - 1] !== 2) {
        throw invalidArgument(param, `nested arrays of [re, im] pairs for dtype ${dt} (innermost dimension 2)`, value);
      }
      return new Tensor(dt, shape.slice(0, -1), fillTyped(dt, flat, param));
    }
    return new Tensor(dt, shape, fillTyped(dt, flat, param, true));
  }

  /**
   * A zero-filled tensor in 64-byte-aligned native memory: fed without a copy. Fill `data` in
   * place, then feed it; do not change it while a run that uses it is in flight.
   */
  static alloc(dtype: DType, shape: number[]): Tensor {
    checkDType('dtype', dtype);
    checkShape('shape', shape);
    const Ctor = ARRAY_TYPES[dtype];
    if (!Ctor) throw invalidArgument('dtype', 'a numeric or bool dtype', dtype);
    const n = elementCount(shape) * lanes(dtype);
    if (n * Ctor.BYTES_PER_ELEMENT > MAX_ALLOC_BYTES) {
      throw new ArgumentError(
        'shape',
        `Tensor.alloc: shape [${shape}] of ${dtype} needs ${n * Ctor.BYTES_PER_ELEMENT} bytes, more than the ${MAX_ALLOC_BYTES} allowed`,
      );
    }
    const buffer = native().allocAligned(n * Ctor.BYTES_PER_ELEMENT);
    const t = new Tensor(dtype, shape, new Ctor(buffer, 0, n));
    t.feedHandle = undefined; // made on first feed
    t.ownsBuffer = true;
    return t;
  }

  /** @internal From the addon's representation. */
  static fromRaw(raw: RawTensor): Tensor {
    return Tensor.fromParts(dtypeFromEnum(raw.dtype), raw.shape, raw.data);
  }

  /** @internal From the addon's positional (shape, data) form; the dtype is the graph's. */
  static fromParts(dtype: DType, shape: number[], data: RawTensor['data']): Tensor {
    if (data === null) return new Tensor(dtype, shape, null);
    if (dtype === 'string') return new Tensor(dtype, shape, data as Uint8Array[]);
    const Ctor = ARRAY_TYPES[dtype]!;
    if (data instanceof ArrayBuffer) {
      const t = new Tensor(dtype, shape, new Ctor(data, 0, data.byteLength / Ctor.BYTES_PER_ELEMENT));
      t.ownsBuffer = true;
      return t;
    }
    // Small outputs arrive as their values (native/tensor.cc, InlineValues): a typed array made
    // here lives on V8's heap, with no backing store to allocate and sweep.
    if (Array.isArray(data)) return new Tensor(dtype, shape, (Ctor as unknown as { from(a: unknown[]): TypedArray }).from(data));
    const one = new Ctor(1);
    one[0] = data as never;
    return new Tensor(dtype, shape, one);
  }

  /** @internal To the addon's representation. */
  toRaw(): RawTensor {
    this.checkAlive();
    return { dtype: dtypeToEnum(this.dtype), shape: this.shape, data: this.values };
  }

  /** @internal Appends (dtype, shape, data), or its feed handle, to a flat feed list for the addon. */
  pushParts(out: unknown[]): void {
    this.checkAlive();
    if (this.feedHandle === undefined)
      this.feedHandle = native().feedHandle(dtypeToEnum(this.dtype), this.shape, this.values as TypedArray);
    if (this.feedHandle) out.push(this.feedHandle);
    else out.push(dtypeToEnum(this.dtype), this.shape, this.values);
  }

  private checkAlive(): void {
    if (this.disposed) throw new ArgumentError('tensor', 'The tensor was disposed');
    const v = this.values;
    // A TypedArray whose buffer was freed reads as length 0: the tensor shares memory (made with
    // Tensor.from(other.data)) whose owner was disposed.
    if (v !== null && !Array.isArray(v) && v.length === 0 && this.size !== 0) {
      throw new ArgumentError('tensor', `The tensor's memory was freed: it shares the data of another tensor that was disposed`);
    }
  }

  /** The values as a flat array of JS values (see toArray). */
  private elementValues(): ElementValue[] {
    const dt = this.dtype;
    if (dt === 'string') return (this.values as Uint8Array[]).map((b) => utf8Decoder.decode(b));
    if (this.values === null) {
      throw new ArgumentError(
        'tensor',
        `A ${dt} tensor is a handle with no JS values (toArray() and scalar() are for numeric, bool and string tensors)`,
      );
    }
    const v = this.values as TypedArray;
    if (dt === 'bool') return Array.from(v as Uint8Array, (x) => x !== 0);
    if (dt === 'float16') return Array.from(v as Uint16Array, float16ToNumber);
    if (dt === 'bfloat16') return Array.from(v as Uint16Array, bfloat16ToNumber);
    if (lanes(dt) === 2) {
      const f = v as Float32Array | Float64Array;
      return Array.from({ length: f.length / 2 }, (_, i): ComplexPair => [f[2 * i], f[2 * i + 1]]);
    }
    return Array.from(v as ArrayLike<number | bigint>);
  }

  /** Number of elements. */
  get size(): number {
    return elementCount(this.shape);
  }

  /**
   * The values: a TypedArray for numeric and bool dtypes (BigInt64Array for int64), `string[]`
   * (UTF-8 decoded) for strings, null for resource/variant handles.
   */
  get data(): TypedArray | string[] | null {
    this.checkAlive();
    if (this.dtype === 'string') return (this.values as Uint8Array[]).map((b) => utf8Decoder.decode(b));
    return this.values as TypedArray | null;
  }

  /** The raw bytes of each element of a string tensor (exact, whatever the encoding). */
  get bytes(): Uint8Array[] {
    this.checkAlive();
    if (this.dtype !== 'string') throw new ArgumentError('tensor', `bytes is for string tensors; this one is ${this.dtype}`);
    return this.values as Uint8Array[];
  }

  /**
   * The single value of a one-element tensor (a scalar, or shape [1], ...), as in `toArray()`:
   * a number (float16/bfloat16 decoded), a bigint (int64/uint64), a boolean, a string, or for a
   * complex tensor its `[re, im]` pair. Resource/variant tensors have no JS value (ArgumentError).
   * @example Tensor.from({ dtype: 'complex64', shape: [], data: new Float32Array([5, 7]) }).scalar() // [5, 7]
   */
  scalar(): ElementValue {
    this.checkAlive();
    if (this.size !== 1) throw new ArgumentError('tensor', `scalar() needs exactly one element; shape is [${this.shape}]`);
    return this.elementValues()[0];
  }

  /**
   * The values as nested arrays following the shape: numbers (float16/bfloat16 decoded from
   * their bit patterns; `data` keeps the bits), bigints for int64/uint64, booleans, strings, and
   * for complex dtypes a `[re, im]` pair per element, one level below the shape's innermost
   * (`[1+2i, 3+4i]` → `[[1, 2], [3, 4]]`; `Tensor.from` of that with the complex dtype gives the
   * tensor back). Resource/variant tensors have no JS values (ArgumentError).
   */
  toArray(): NestedArray<ElementValue> {
    this.checkAlive();
    const flat = this.elementValues();
    const build = (dim: number, offset: number): NestedArray<ElementValue> => {
      if (dim === this.shape.length) return flat[offset];
      const stride = elementCount(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /**
   * Frees the native memory this tensor owns now (outputs of async runs, `alloc` tensors), and
   * marks it disposed. Memory it shares (a TypedArray given to `Tensor.from`, such as another
   * tensor's `data`) is left to its owner. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const v = this.values;
    this.values = null;
    if (this.feedHandle) native().releaseFeedHandle(this.feedHandle);
    this.feedHandle = null;
    if (v && !Array.isArray(v) && this.ownsBuffer) native().disposeBuffer(v.buffer as ArrayBuffer);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * The values as numpy's `str()` prints them (`42.0`, `[1.5  2.25]`, long tensors elided), so a
   * tensor in a template string or a log line reads as it does in Python.
   */
  toString(): string {
    const view = this.printable();
    return view === null ? this.describe() : formatTensorValue(view);
  }

  /** What numpy-style printing reads: half floats decoded; null for handles, complex and disposed tensors. */
  private printable(): { dtype: string; shape: number[]; data: ArrayLike<unknown> } | null {
    if (this.disposed || this.dtype === 'resource' || this.dtype === 'variant' || this.dtype.startsWith('complex')) return null;
    if (this.dtype === 'float16' || this.dtype === 'bfloat16') {
      const flat = [this.toArray()].flat(Infinity as 1) as number[];
      return { dtype: this.dtype, shape: this.shape, data: flat };
    }
    const data = this.data;
    return data === null ? null : { dtype: this.dtype, shape: this.shape, data };
  }

  /** `Tensor<float32 [2, 3]>`: dtype and shape. */
  private describe(): string {
    return `Tensor<${this.dtype} [${this.shape.join(', ')}]>${this.disposed ? ' (disposed)' : ''}`;
  }

  /** What `console.log` and `util.inspect` show: dtype, shape and the values (numpy-style). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const head = this.describe();
    const view = this.printable();
    if (view === null) return head;
    const values = formatTensorValue(view);
    return values.includes('\n') ? `${head}\n${values}` : `${head} ${values}`;
  }
}

function toBytes(s: unknown, param: string): Uint8Array {
  if (typeof s === 'string') return utf8.encode(s);
  if (s instanceof Uint8Array) return s;
  throw invalidArgument(param, 'a string or Uint8Array', s);
}
