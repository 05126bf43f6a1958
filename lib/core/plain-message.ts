/**
 * Builds a protobuf message from a plain camelCase object, as users write options in JS:
 * `{ interOpParallelismThreads: 1, gpuOptions: { allowGrowth: true } }`. Unknown keys are errors
 * naming the key; numbers are accepted for 64-bit fields; enums accept their value names.
 * Used for ConfigProto and RunOptions (and anything else with the same need).
 */
import { create, ScalarType, type DescField, type DescMessage, type Message, type MessageShape } from '@bufbuild/protobuf';
import { ArgumentError, invalidArgument } from './errors';

const BIG = new Set([ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64]);

function scalar(field: { scalar: ScalarType }, v: unknown, param: string): unknown {
  if (BIG.has(field.scalar)) {
    const [lo, hi, what] = INT64_RANGES.get(field.scalar)!;
    const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : null;
    if (b === null || b < lo || b > hi) throw invalidArgument(param, what, v);
    return b;
  }
  if (field.scalar === ScalarType.STRING) {
    if (typeof v !== 'string') throw invalidArgument(param, 'a string', v);
    return v;
  }
  if (field.scalar === ScalarType.BOOL) {
    if (typeof v !== 'boolean') throw invalidArgument(param, 'a boolean', v);
    return v;
  }
  if (field.scalar === ScalarType.BYTES) {
    if (!(v instanceof Uint8Array)) throw invalidArgument(param, 'a Uint8Array', v);
    return v;
  }
  if (typeof v !== 'number') throw invalidArgument(param, 'a number', v);
  // The encoder would refuse these later with a message that names no parameter.
  const range = INT_RANGES.get(field.scalar);
  if (range && !(Number.isInteger(v) && v >= range[0] && v <= range[1])) throw invalidArgument(param, range[2], v);
  return v;
}

const INT32: [number, number, string] = [-(2 ** 31), 2 ** 31 - 1, 'a 32-bit integer'];
const UINT32: [number, number, string] = [0, 2 ** 32 - 1, 'an unsigned 32-bit integer'];
const INT_RANGES = new Map<ScalarType, [number, number, string]>([
  [ScalarType.INT32, INT32],
  [ScalarType.SINT32, INT32],
  [ScalarType.SFIXED32, INT32],
  [ScalarType.UINT32, UINT32],
  [ScalarType.FIXED32, UINT32],
]);

const INT64_RANGES = new Map<ScalarType, [bigint, bigint, string]>([
  [ScalarType.INT64, [-(2n ** 63n), 2n ** 63n - 1n, 'a 64-bit integer']],
  [ScalarType.SINT64, [-(2n ** 63n), 2n ** 63n - 1n, 'a 64-bit integer']],
  [ScalarType.SFIXED64, [-(2n ** 63n), 2n ** 63n - 1n, 'a 64-bit integer']],
  [ScalarType.UINT64, [0n, 2n ** 64n - 1n, 'an unsigned 64-bit integer']],
  [ScalarType.FIXED64, [0n, 2n ** 64n - 1n, 'an unsigned 64-bit integer']],
]);

function enumValue(field: DescField & { fieldKind: 'enum' }, v: unknown, param: string): number {
  // Open enums: any 32-bit value is kept (as the encoder would), not only the named ones.
  if (typeof v === 'number' && Number.isInteger(v) && v >= INT32[0] && v <= INT32[1]) return v;
  if (typeof v === 'string') {
    const e = field.enum.values.find((x) => x.name === v || x.localName === v);
    if (e) return e.number;
  }
  throw invalidArgument(param, `one of ${field.enum.values.map((x) => x.name).join(', ')}`, v);
}

function convert(desc: DescMessage, obj: unknown, param: string): Record<string, unknown> {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw invalidArgument(param, `an object for ${desc.typeName}`, obj);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(obj as Record<string, unknown>)) {
    if (v === undefined) continue;
    const field = desc.fields.find((f) => f.localName === key || f.name === key);
    const p = `${param}.${key}`;
    if (!field) {
      const known = desc.fields.map((f) => f.localName).join(', ');
      throw new ArgumentError(p, `Unknown field '${key}' for ${desc.typeName} in ${param} (known fields: ${known})`);
    }
    const one = (x: unknown, pp: string): unknown => {
      switch (field.fieldKind) {
        case 'scalar':
          return scalar(field, x, pp);
        case 'enum':
          return enumValue(field, x, pp);
        case 'message':
          return isMessage(x) ? x : convert(field.message, x, pp);
        case 'list':
          if (field.listKind === 'scalar') return scalar(field as unknown as { scalar: ScalarType }, x, pp);
          if (field.listKind === 'enum') return enumValue(field as never, x, pp);
          return isMessage(x) ? x : convert(field.message!, x, pp);
        case 'map':
          if (field.mapKind === 'message') return isMessage(x) ? x : convert(field.message!, x, pp);
          if (field.mapKind === 'enum') return enumValue(field as never, x, pp);
          return scalar(field as unknown as { scalar: ScalarType }, x, pp);
      }
    };
    if (field.fieldKind === 'list') {
      if (!Array.isArray(v)) throw invalidArgument(p, 'an array', v);
      out[field.localName] = v.map((x, i) => one(x, `${p}[${i}]`));
    } else if (field.fieldKind === 'map') {
      if (v === null || typeof v !== 'object') throw invalidArgument(p, 'an object', v);
      out[field.localName] = Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, one(x, `${p}.${k}`)]));
    } else {
      out[field.localName] = one(v, p);
    }
  }
  return out;
}

function isMessage(x: unknown): x is Message {
  return x !== null && typeof x === 'object' && typeof (x as { $typeName?: unknown }).$typeName === 'string';
}

/** A message from a plain object (or the message itself when one is given). */
export function messageFromPlain<Desc extends DescMessage>(schema: Desc, obj: unknown, param: string): MessageShape<Desc> {
  if (isMessage(obj)) {
    if (obj.$typeName !== schema.typeName) throw invalidArgument(param, `a ${schema.typeName}`, obj.$typeName);
    return obj as MessageShape<Desc>;
  }
  return create(schema, convert(schema, obj, param) as never);
}
