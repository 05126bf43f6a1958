/**
 * Data types: the names users see ('float32', 'int64', ... as in tf.dtypes) and the TF_DataType
 * numbers the addon uses. The numbers come from the addon (exported from the C headers), never
 * retyped here.
 */
import { invalidArgument } from './errors';
import { native } from '../native';

export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'
  | 'complex64'
  | 'complex128'
  | 'qint8'
  | 'quint8'
  | 'qint16'
  | 'quint16'
  | 'qint32'
  | 'resource'
  | 'variant';

// DType name → the C enum's name in tf_datatype.h.
const C_NAMES: Record<DType, string> = {
  float32: 'TF_FLOAT',
  float64: 'TF_DOUBLE',
  float16: 'TF_HALF',
  bfloat16: 'TF_BFLOAT16',
  int8: 'TF_INT8',
  int16: 'TF_INT16',
  int32: 'TF_INT32',
  int64: 'TF_INT64',
  uint8: 'TF_UINT8',
  uint16: 'TF_UINT16',
  uint32: 'TF_UINT32',
  uint64: 'TF_UINT64',
  bool: 'TF_BOOL',
  string: 'TF_STRING',
  complex64: 'TF_COMPLEX64',
  complex128: 'TF_COMPLEX128',
  qint8: 'TF_QINT8',
  quint8: 'TF_QUINT8',
  qint16: 'TF_QINT16',
  quint16: 'TF_QUINT16',
  qint32: 'TF_QINT32',
  resource: 'TF_RESOURCE',
  variant: 'TF_VARIANT',
};

export const DTYPES = Object.keys(C_NAMES) as DType[];

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

type TypedArrayCtor = {
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  new (length: number): TypedArray;
  BYTES_PER_ELEMENT: number;
};

/**
 * The TypedArray that holds each numeric dtype. float16/bfloat16 are raw 16-bit patterns;
 * complex numbers are interleaved (re, im) pairs; quantized types are their storage integers.
 */
export const ARRAY_TYPES: Partial<Record<DType, TypedArrayCtor>> = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
  complex64: Float32Array,
  complex128: Float64Array,
  qint8: Int8Array,
  quint8: Uint8Array,
  qint16: Int16Array,
  quint16: Uint16Array,
  qint32: Int32Array,
} as Partial<Record<DType, TypedArrayCtor>>;

/** Array elements per tensor element (2 for complex types). */
export function lanes(dtype: DType): number {
  return dtype === 'complex64' || dtype === 'complex128' ? 2 : 1;
}

let byNumber: Map<number, DType> | null = null;
let byName: Map<DType, number> | null = null;

export function dtypeToEnum(dtype: DType): number {
  if (!byName) {
    const table = native().dtypes;
    byName = new Map(DTYPES.map((d) => [d, table[C_NAMES[d]]!]));
  }
  const n = byName.get(dtype);
  if (n === undefined) throw invalidArgument('dtype', `one of ${DTYPES.join(', ')}`, dtype);
  return n;
}

export function dtypeFromEnum(n: number): DType {
  if (!byNumber) {
    byNumber = new Map();
    const table = native().dtypes;
    for (const d of DTYPES) byNumber.set(table[C_NAMES[d]]!, d);
  }
  // Reference types (a VariableV2's output) are DataType + 100 (types.proto): their dtype is the
  // base type, as the value read through them; `isRefType` tells them apart.
  const d = byNumber.get(n > 100 ? n - 100 : n);
  if (!d) throw new RangeError(`Unknown TF_DataType ${n}`);
  return d;
}

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && Object.hasOwn(C_NAMES, x);
}

export function checkDType(param: string, x: unknown): DType {
  if (!isDType(x)) throw invalidArgument(param, `a dtype (${DTYPES.join(', ')})`, x);
  return x;
}

/** True for reference dtypes (DataType values above 100, e.g. a VariableV2's output). */
export function isRefType(n: number): boolean {
  return n > 100;
}
