/**
 * numpy's `.npy` format (docs/data.md): the magic `\x93NUMPY`, a version (1.0, 2.0, 3.0), a header
 * dict (`descr`, `fortran_order`, `shape`), then the values. Read into a {@link Tensor}: numbers,
 * bools, complex and byte/unicode strings, either byte order, C or Fortran order (made row-major).
 * Anything else (object arrays, structured or datetime dtypes, a short file) is a DataFormatError.
 */
import { endianness } from 'node:os';
import { readFile, writeFile } from '../core/file-io';
import { invalidArgument } from '../core/errors';
import { Tensor } from '../core/tensor';
import { ARRAY_TYPES, lanes, type DType, type TypedArray } from '../core/dtypes';
import { DataFormatError } from './errors';
import { parseNpyHeader } from './npy-header';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const HOST_ORDER = endianness() === 'LE' ? '<' : '>';

/** numpy's type code (kind + byte size, `descr` without the byte order) → the tensor dtype. */
const NUMERIC: Record<string, DType> = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  c8: 'complex64',
  c16: 'complex128',
};
const DESCR_OF = Object.fromEntries(Object.entries(NUMERIC).map(([code, dt]) => [dt, code])) as Partial<Record<DType, string>>;

interface ElementType {
  dtype: DType;
  /** Bytes per element. */
  itemsize: number;
  /** Bytes per value that a byte order applies to (a complex element has two). */
  laneBytes: number;
  /** Byte-string (`S`) or UCS-4 (`U`) elements, read into a string tensor. */
  text?: 'S' | 'U';
  swap: boolean;
}

function elementType(descr: string): ElementType | string {
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  if (!m)
    return `unsupported dtype '${descr}'${descr.includes('O') ? ' (object arrays hold Python objects, which have no tensor form)' : ''}`;
  const [, order, kind, digits] = m;
  const size = Number(digits);
  const fileOrder = order === '=' ? HOST_ORDER : order;
  if (kind === 'S' || kind === 'U') {
    const laneBytes = kind === 'U' ? 4 : 1;
    return {
      dtype: 'string',
      itemsize: size * laneBytes,
      laneBytes,
      text: kind,
      swap: kind === 'U' && fileOrder === (HOST_ORDER === '<' ? '>' : '<'),
    };
  }
  const dtype = NUMERIC[kind + digits];
  if (!dtype)
    return `unsupported dtype '${descr}' (numbers, bools and strings are read; this is ${kind === 'O' ? 'an object array' : `kind '${kind}'`})`;
  const laneBytes = size / lanes(dtype);
  return { dtype, itemsize: size, laneBytes, swap: laneBytes > 1 && order !== '|' && fileOrder !== HOST_ORDER };
}

/**
 * The tensor in `.npy` bytes. `name` is what errors call the input (a file name; `<bytes>` by
 * default). The values are copied out of `bytes` (the tensor owns aligned memory).
 * @throws DataFormatError for a truncated or corrupted file or an unsupported dtype.
 */
export function parseNpy(bytes: Uint8Array, name = '<bytes>'): Tensor {
  const bad = (reason: string): never => {
    throw new DataFormatError(name, reason);
  };
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('bytes', 'a Uint8Array (the contents of a .npy file)', bytes);
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    bad(
      bytes.length < MAGIC.length && MAGIC.slice(0, bytes.length).every((b, i) => bytes[i] === b)
        ? `truncated: ${bytes.length} bytes, too short for a .npy header`
        : 'not a .npy file (no \\x93NUMPY magic at the start)',
    );
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (![1, 2, 3].includes(major) || minor !== 0) bad(`unsupported .npy format version ${major}.${minor} (1.0, 2.0 and 3.0 are read)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) bad('truncated in the header length');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.length)
    bad(`truncated in the header: it claims ${headerLen} bytes, the file has ${bytes.length - 8 - lenBytes} after the length`);
  // Versions 1 and 2 write the header in latin1, version 3 in UTF-8.
  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(8 + lenBytes, dataStart));
  let header;
  try {
    header = parseNpyHeader(headerText);
  } catch (e) {
    return bad((e as Error).message);
  }
  const type = elementType(header.descr);
  if (typeof type === 'string') return bad(type);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const want = count * type.itemsize;
  const have = bytes.length - dataStart;
  if (have !== want) {
    bad(
      `${have < want ? 'truncated' : 'size mismatch'}: shape (${header.shape.join(', ')}) of '${header.descr}' needs ${want} bytes of data, the file has ${have}`,
    );
  }
  // A copy at offset 0 of its own buffer: aligned for any typed array, and free of the file's memory.
  let raw: Uint8Array = new Uint8Array(want);
  raw.set(bytes.subarray(dataStart, dataStart + want));
  if (type.swap) swapBytes(raw, type.laneBytes);
  if (header.fortranOrder && header.shape.length > 1) raw = fortranToC(raw, type.itemsize, header.shape);
  if (type.text) {
    let data: Uint8Array[];
    try {
      data = decodeText(raw, count, type);
    } catch (e) {
      return bad(`bad '${header.descr}' text: ${(e as Error).message}`); // a code point past U+10FFFF
    }
    return Tensor.from({ dtype: 'string', shape: header.shape, data });
  }
  const Ctor = ARRAY_TYPES[type.dtype]!;
  const data = new Ctor(raw.buffer, 0, want / Ctor.BYTES_PER_ELEMENT);
  return Tensor.from({ dtype: type.dtype, shape: header.shape, data });
}

/** Reverses the bytes of each `width`-byte value in place (big-endian file → host order). */
function swapBytes(raw: Uint8Array, width: number): void {
  for (let i = 0; i < raw.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = raw[a];
      raw[a] = raw[b];
      raw[b] = t;
    }
  }
}

/** Column-major elements (the first index varies fastest) reordered row-major. */
function fortranToC(raw: Uint8Array, itemsize: number, shape: number[]): Uint8Array {
  const out = new Uint8Array(raw.length);
  const rank = shape.length;
  const fStride: number[] = [];
  for (let k = 0, s = 1; k < rank; k++) {
    fStride.push(s);
    s *= shape[k];
  }
  const count = raw.length / itemsize;
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let c = 0; c < count; c++) {
    out.set(raw.subarray(src * itemsize, (src + 1) * itemsize), c * itemsize);
    // Next row-major index: the last axis moves fastest, carrying into the ones before it.
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      src += fStride[k];
      if (idx[k] < shape[k]) break;
      src -= idx[k] * fStride[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** Fixed-width byte strings or UCS-4 text, with the trailing NULs numpy pads with removed. */
function decodeText(raw: Uint8Array, count: number, type: ElementType): Uint8Array[] {
  const out: Uint8Array[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < count; i++) {
    const item = raw.subarray(i * type.itemsize, (i + 1) * type.itemsize);
    if (type.text === 'S') {
      let end = item.length;
      while (end > 0 && item[end - 1] === 0) end--;
      out.push(item.slice(0, end));
    } else {
      const units = new Uint32Array(item.slice().buffer);
      let end = units.length;
      while (end > 0 && units[end - 1] === 0) end--;
      let text = '';
      for (let k = 0; k < end; k++) text += String.fromCodePoint(units[k]);
      out.push(utf8.encode(text));
    }
  }
  return out;
}

/** The tensor in a `.npy` file (local, or any scheme TF's filesystem knows). */
export async function readNpy(path: string): Promise<Tensor> {
  if (typeof path !== 'string' || path === '') throw invalidArgument('path', 'a .npy file path', path);
  return parseNpy(await readFile(path), path);
}

/**
 * `.npy` bytes (version 1.0, or 2.0 for a header past 64 KiB) that `np.load` reads back: numeric,
 * bool and complex tensors in host byte order, string tensors as `|S<longest>`.
 */
export function encodeNpy(tensor: Tensor): Uint8Array {
  if (!(tensor instanceof Tensor)) throw invalidArgument('tensor', 'a Tensor', tensor);
  let descr: string;
  let body: Uint8Array;
  if (tensor.dtype === 'string') {
    const items = tensor.bytes;
    const width = items.reduce((w, b) => Math.max(w, b.length), 1);
    descr = `|S${width}`;
    body = new Uint8Array(items.length * width);
    items.forEach((b, i) => body.set(b, i * width));
  } else {
    const code = DESCR_OF[tensor.dtype];
    if (!code)
      throw invalidArgument('tensor', 'a numeric, bool or string tensor (numpy has no other of its dtypes)', `a ${tensor.dtype} tensor`);
    descr = `${Number(code.slice(1)) === 1 ? '|' : HOST_ORDER}${code}`;
    const data = tensor.data as TypedArray;
    body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const shape = tensor.shape.length === 1 ? `(${tensor.shape[0]},)` : `(${tensor.shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const v1 = dict.length + 11 < 65536;
  const prefix = v1 ? 10 : 12;
  // numpy pads the header with spaces and a newline so the data starts at a multiple of 64.
  dict = `${dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1)}\n`;
  const out = new Uint8Array(prefix + dict.length + body.length);
  out.set(MAGIC);
  out[6] = v1 ? 1 : 2;
  const view = new DataView(out.buffer);
  if (v1) view.setUint16(8, dict.length, true);
  else view.setUint32(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), prefix); // the header is ASCII here
  out.set(body, prefix + dict.length);
  return out;
}

/** Writes `tensor` as a `.npy` file ({@link encodeNpy}). */
export async function writeNpy(path: string, tensor: Tensor): Promise<void> {
  if (typeof path !== 'string' || path === '') throw invalidArgument('path', 'a .npy file path', path);
  await writeFile(path, encodeNpy(tensor));
}
