// summaryIterator: streaming, CRC checks, and what happens at a corrupted or truncated record
// (DataLossError naming the file and the record's offset, after the good records before it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, DataLossError, NotFoundError } from '../../lib/core/errors';
import { toBinary } from '@bufbuild/protobuf';
import { EventSchema, type Event } from '../../lib/proto/gen/tensorflow/core/util/event_pb';
import {
  FileWriter,
  crc32c,
  maskedCrc32c,
  readEvents,
  scalarSummary,
  summaryIterator,
  textSummary,
  tfRecordIterator,
} from '../../lib/summary';

let root: string;
let file: string; // fileVersion + 20 summaries, one of them large
let offsets: number[];
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-iter-'));
  const w = new FileWriter(path.join(root, 'run'));
  for (let i = 0; i < 20; i++) {
    w.addSummary(i === 7 ? textSummary('big', 'x'.repeat(300_000)) : scalarSummary('v', i), i);
  }
  await w.close();
  file = fs.readdirSync(path.join(root, 'run')).map((f) => path.join(root, 'run', f))[0];
  offsets = [];
  for await (const r of tfRecordIterator(file)) offsets.push(r.offset);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function collect(p: string, opts = {}): Promise<{ events: Event[]; error: unknown }> {
  const events: Event[] = [];
  try {
    for await (const e of summaryIterator(p, opts)) events.push(e);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

const digest = (e: Event) => Buffer.from(toBinary(EventSchema, e)).toString('base64');

function copyWith(mutate: (b: Buffer) => Buffer): string {
  const p = path.join(root, `copy-${Math.random().toString(36).slice(2)}.tfevents`);
  fs.writeFileSync(p, mutate(fs.readFileSync(file)));
  return p;
}

describe('crc32c', () => {
  it('matches the CRC-32C check values and TFRecord masking', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    // docs/python-parity.md §8.3: the observed header 3e00000000000000 has the stored CRC d9d240e7 (LE).
    expect(maskedCrc32c(Uint8Array.from([0x3e, 0, 0, 0, 0, 0, 0, 0]))).toBe(0xe740d2d9);
  });
});

describe('summaryIterator', () => {
  it('streams every record, whatever the read size', async () => {
    const all = await readEvents(file);
    expect(all).toHaveLength(21);
    expect(all[0].what.case).toBe('fileVersion');
    expect(all.slice(1).map((e) => Number(e.step))).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (const chunkSize of [16, 100, 4096]) {
      const { events, error } = await collect(file, { chunkSize });
      expect(error).toBeUndefined();
      expect(events.map(digest)).toEqual(all.map(digest));
    }
  });

  it('reports a corrupted byte in the middle of the file as DataLossError at that record, after yielding the records before it', async () => {
    const k = 12; // a record in the middle (after the big one)
    // Flip a byte inside the data of record k.
    const bad = copyWith((b) => {
      b[offsets[k] + 12 + 3] ^= 0x40;
      return b;
    });
    const { events, error } = await collect(bad);
    expect(error).toBeInstanceOf(DataLossError);
    expect((error as Error).message).toContain(bad);
    expect((error as Error).message).toContain(`corrupted record at ${offsets[k]}`);
    expect((error as Error).message).toContain("data's CRC");
    expect(events).toHaveLength(k);
    expect(events.slice(1).map((e) => Number(e.step))).toEqual(Array.from({ length: k - 1 }, (_, i) => i));
  });

  it('checks the length field by its own CRC', async () => {
    const k = 5;
    const bad = copyWith((b) => {
      b[offsets[k] + 1] ^= 0x01;
      return b;
    });
    const { events, error } = await collect(bad);
    expect(error).toBeInstanceOf(DataLossError);
    expect((error as Error).message).toContain(`corrupted record at ${offsets[k]}: the length field's CRC`);
    expect(events).toHaveLength(k);
  });

  it('reports a truncated last record as DataLossError after the complete ones', async () => {
    const k = 20;
    for (const cut of [5, 14, 30]) {
      const bad = copyWith((b) => b.subarray(0, offsets[k] + cut));
      const { events, error } = await collect(bad);
      expect(error).toBeInstanceOf(DataLossError);
      expect((error as Error).message).toContain(`truncated record at ${offsets[k]}`);
      expect(events).toHaveLength(k);
    }
  });

  it('yields nothing for an empty file; NotFoundError for a missing one; ArgumentError for a bad path', async () => {
    const empty = path.join(root, 'empty');
    fs.writeFileSync(empty, '');
    expect((await collect(empty)).events).toEqual([]);
    const missing = await collect(path.join(root, 'nope'));
    expect(missing.error).toBeInstanceOf(NotFoundError);
    expect((missing.error as Error).message).toContain('nope');
    const badPath = await collect(42 as unknown as string);
    expect(badPath.error).toBeInstanceOf(ArgumentError);
    expect((badPath.error as ArgumentError).param).toBe('path');
  });

  it('closes the file when the caller stops early', async () => {
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 20; i++) {
      for await (const e of summaryIterator(file)) {
        if (e) break;
      }
    }
    expect(fs.readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fdsBefore + 2);
  });
});
