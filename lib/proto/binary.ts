// Binary wire format: decoding with errors that name the file and the type, and an encoder that
// writes map entries in the order Python writes them.
import { fromBinary, toBinary, ScalarType, type DescField, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

/** Bytes that are not a valid serialization of the expected message type. */
export class ProtoDecodeError extends Error {
  /** The file the bytes came from, when the caller named it. */
  readonly file?: string;
  /** Full name of the message type that was expected, e.g. `tensorflow.GraphDef`. */
  readonly typeName: string;
  /** What is wrong with the bytes, e.g. `premature EOF`. */
  readonly reason: string;

  constructor(typeName: string, reason: string, options: { file?: string; cause?: unknown } = {}) {
    super(
      `${options.file ? `${options.file}: ` : ''}cannot decode ${typeName}: ${reason}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'ProtoDecodeError';
    this.typeName = typeName;
    this.reason = reason;
    if (options.file !== undefined) this.file = options.file;
  }
}

/**
 * Parses the binary wire format. Unlike `fromBinary`, a failure is a {@link ProtoDecodeError} that
 * names the file (when given), the expected type and the problem (truncated input, bad wire type,
 * ...). Unknown fields are kept, so bytes written by a newer TF survive a decode/encode round trip.
 */
export function decodeBinary<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
  options: { file?: string } = {},
): MessageShape<Desc> {
  try {
    return fromBinary(schema, bytes);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new ProtoDecodeError(schema.typeName, reason, { file: options.file, cause: e });
  }
}

/**
 * Serializes like `toBinary`, then puts the entries of every map field in the order Python's
 * protobuf (upb) writes with `SerializeToString(deterministic=True)` — what `tf.io.write_graph` and
 * `tf.compat.v1.train.export_meta_graph` write. The result is byte-identical to Python's file for the
 * same message. (Plain `toBinary` writes map entries in insertion order: a message decoded from
 * Python's bytes re-encodes identically, one parsed from text format does not.)
 *
 * One difference remains: -0.0 in a proto3 float/double field without presence is written by
 * Python but omitted by @bufbuild/protobuf (it compares with 0).
 *
 * upb's order: string keys by bytes, where a key that is a prefix of another comes after it
 * ("Tidx" before "T"); integer keys descending as unsigned two's-complement values; `true` before
 * `false`.
 */
export function toBinaryDeterministic<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  const bytes = toBinary(schema, message);
  sortMapsInPlace(schema, bytes, 0, bytes.length, 0);
  return bytes;
}

const RECURSION_LIMIT = 100;

// Reorders map entries inside bytes[start, end) — a serialized `desc` — without changing any length,
// so the enclosing length prefixes stay valid. Map entries of one field are written consecutively
// by toBinary; each consecutive run is sorted.
function sortMapsInPlace(desc: DescMessage, bytes: Uint8Array, start: number, end: number, depth: number): void {
  if (depth > RECURSION_LIMIT) throw new Error(`recursion limit reached in ${desc.typeName}`);
  const reader = new BinaryReader(bytes.subarray(start, end));
  let run: { field: DescField & { fieldKind: 'map' }; entries: { begin: number; end: number; key: MapKey }[] } | undefined;
  const flush = () => {
    if (run && run.entries.length > 1) sortRun(bytes, start, run.field, run.entries);
    run = undefined;
  };
  while (reader.pos < reader.len) {
    const tagStart = reader.pos;
    const [no, wireType] = reader.tag();
    const field = desc.fields.find((f) => f.number === no);
    if (!field || wireType !== WireType.LengthDelimited) {
      flush();
      reader.skip(wireType, no);
      continue;
    }
    const len = reader.uint32();
    const valueStart = reader.pos;
    reader.pos += len;
    if (field.fieldKind === 'map') {
      if (run?.field !== field) flush();
      run ??= { field, entries: [] };
      const key = readMapEntry(field, bytes, start + valueStart, start + valueStart + len, depth);
      run.entries.push({ begin: tagStart, end: reader.pos, key });
      continue;
    }
    flush();
    if (field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message')) {
      sortMapsInPlace(field.message, bytes, start + valueStart, start + valueStart + len, depth + 1);
    }
  }
  flush();
}

type MapKey = { kind: 'bytes'; value: Uint8Array } | { kind: 'int'; value: bigint } | { kind: 'bool'; value: boolean };

function readMapEntry(field: DescField & { fieldKind: 'map' }, bytes: Uint8Array, start: number, end: number, depth: number): MapKey {
  const reader = new BinaryReader(bytes.subarray(start, end));
  let key: MapKey | undefined;
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    if (no === 1) {
      key = readKey(reader, field.mapKey);
    } else if (no === 2 && field.mapKind === 'message' && wireType === WireType.LengthDelimited) {
      const len = reader.uint32();
      sortMapsInPlace(field.message, bytes, start + reader.pos, start + reader.pos + len, depth + 1);
      reader.pos += len;
    } else {
      reader.skip(wireType, no);
    }
  }
  return key ?? zeroKey(field.mapKey);
}

function readKey(reader: BinaryReader, type: ScalarType): MapKey {
  switch (type) {
    case ScalarType.STRING:
      return { kind: 'bytes', value: reader.bytes() };
    case ScalarType.BOOL:
      return { kind: 'bool', value: reader.bool() };
    case ScalarType.INT32:
      return { kind: 'int', value: BigInt(reader.int32()) };
    case ScalarType.UINT32:
      return { kind: 'int', value: BigInt(reader.uint32()) };
    case ScalarType.SINT32:
      return { kind: 'int', value: BigInt(reader.sint32()) };
    case ScalarType.FIXED32:
      return { kind: 'int', value: BigInt(reader.fixed32()) };
    case ScalarType.SFIXED32:
      return { kind: 'int', value: BigInt(reader.sfixed32()) };
    case ScalarType.INT64:
      return { kind: 'int', value: BigInt(reader.int64()) };
    case ScalarType.UINT64:
      return { kind: 'int', value: BigInt(reader.uint64()) };
    case ScalarType.SINT64:
      return { kind: 'int', value: BigInt(reader.sint64()) };
    case ScalarType.FIXED64:
      return { kind: 'int', value: BigInt(reader.fixed64()) };
    case ScalarType.SFIXED64:
      return { kind: 'int', value: BigInt(reader.sfixed64()) };
    default:
      throw new Error(`invalid map key type ${ScalarType[type]}`);
  }
}

function zeroKey(type: ScalarType): MapKey {
  if (type === ScalarType.STRING) return { kind: 'bytes', value: new Uint8Array(0) };
  if (type === ScalarType.BOOL) return { kind: 'bool', value: false };
  return { kind: 'int', value: 0n };
}

/** upb's deterministic map order (see toBinaryDeterministic). */
export function compareUpbMapKeys(a: MapKey, b: MapKey): number {
  if (a.kind === 'bytes' && b.kind === 'bytes') {
    const n = Math.min(a.value.length, b.value.length);
    for (let i = 0; i < n; i++) if (a.value[i] !== b.value[i]) return a.value[i] - b.value[i];
    return b.value.length - a.value.length;
  }
  if (a.kind === 'int' && b.kind === 'int') {
    const x = BigInt.asUintN(64, a.value);
    const y = BigInt.asUintN(64, b.value);
    return x === y ? 0 : x > y ? -1 : 1;
  }
  if (a.kind === 'bool' && b.kind === 'bool') return Number(b.value) - Number(a.value);
  return 0;
}

function sortRun(bytes: Uint8Array, base: number, _field: DescField, entries: { begin: number; end: number; key: MapKey }[]): void {
  const from = base + entries[0].begin;
  const to = base + entries[entries.length - 1].end;
  const copy = bytes.slice(from, to);
  const sorted = entries.slice().sort((a, b) => compareUpbMapKeys(a.key, b.key));
  let at = from;
  for (const e of sorted) {
    bytes.set(copy.subarray(e.begin + base - from, e.end + base - from), at);
    at += e.end - e.begin;
  }
}
