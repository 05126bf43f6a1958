/**
 * Serializes `tensorflow.Event` envelopes by hand, the writer's hot path: `wall_time` (1, double),
 * `step` (2, int64) and one length-delimited member of the `what` oneof whose payload is already
 * serialized. The same bytes as `toBinary(EventSchema, ...)` up to field order (a zero wall_time
 * or step is left out, as proto3 and Python's Event do), at a fraction of the cost.
 *
 * @internal
 */
import { toBinary } from '@bufbuild/protobuf';
import { SummarySchema, type Summary } from '../proto/gen/tensorflow/core/framework/summary_pb';

/** Field numbers of the `what` oneof members that carry bytes or a message. */
export const EventField = {
  graphDef: 4,
  summary: 5,
  sessionLog: 7,
  taggedRunMetadata: 8,
  metaGraphDef: 9,
} as const;

const utf8 = new TextEncoder();

// Tags repeat (the same few names every step): keep their UTF-8 bytes.
const tagBytesCache = new Map<string, Uint8Array>();
function tagBytes(tag: string): Uint8Array {
  let b = tagBytesCache.get(tag);
  if (!b) {
    b = utf8.encode(tag);
    if (tagBytesCache.size >= 4096) tagBytesCache.clear();
    tagBytesCache.set(tag, b);
  }
  return b;
}
const f64 = new Float64Array(1);
const f64bytes = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32bytes = new Uint8Array(f32.buffer);

function varintSize(n: number): number {
  let s = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

function writeVarint64(out: Uint8Array, at: number, v: bigint): number {
  let u = BigInt.asUintN(64, v);
  while (u >= 0x80n) {
    out[at++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  out[at++] = Number(u);
  return at;
}

function varint64Size(v: bigint): number {
  let u = BigInt.asUintN(64, v);
  let s = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    s++;
  }
  return s;
}

/**
 * An Event with `wall_time`, `step` (left out when null or 0) and `field` = `payload` (a serialized
 * sub-message or bytes value).
 */
export function encodeEvent(wallTime: number, step: bigint | null, field: number, payload: Uint8Array): Uint8Array {
  const hasStep = step !== null && step !== 0n;
  const size = (wallTime !== 0 ? 9 : 0) + (hasStep ? 1 + varint64Size(step!) : 0) + 1 + varintSize(payload.length) + payload.length;
  const out = new Uint8Array(size);
  let at = 0;
  if (wallTime !== 0) {
    out[at++] = 0x09; // field 1, wire type 1 (64-bit)
    f64[0] = wallTime;
    out.set(f64bytes, at);
    at += 8;
  }
  if (hasStep) {
    out[at++] = 0x10; // field 2, varint
    at = writeVarint64(out, at, step!);
  }
  out[at++] = (field << 3) | 2;
  at = writeVarint(out, at, payload.length);
  out.set(payload, at);
  return out;
}

/**
 * Serialized Summary. Values with only `tag` and `simple_value` (the commonest summary) are encoded
 * by hand, without reflection; anything else goes through `@bufbuild/protobuf`.
 */
export function encodeSummary(summary: Summary): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const v of summary.value) {
    if (v.value.case !== 'simpleValue' || v.metadata !== undefined || v.nodeName !== '' || v.$unknown?.length) {
      return toBinary(SummarySchema, summary);
    }
    const tag = tagBytes(v.tag);
    // Summary.Value: tag (1, len), simple_value (2, float32).
    const inner = (tag.length ? 1 + varintSize(tag.length) + tag.length : 0) + 5;
    const buf = new Uint8Array(1 + varintSize(inner) + inner);
    let at = 0;
    buf[at++] = 0x0a; // Summary.value (1, len)
    at = writeVarint(buf, at, inner);
    if (tag.length) {
      buf[at++] = 0x0a;
      at = writeVarint(buf, at, tag.length);
      buf.set(tag, at);
      at += tag.length;
    }
    buf[at++] = 0x15; // simple_value (2, 32-bit)
    f32[0] = v.value.value;
    buf.set(f32bytes, at);
    parts.push(buf);
    total += buf.length;
  }
  if (summary.$unknown?.length) return toBinary(SummarySchema, summary);
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
