// FileWriter / FileWriterCache over TF's own writer: file name and first record, every add*
// method, record order, metadata stripping, flush/close/reopen, the cache's identity, no loss
// under many concurrent async writers, the exit-time flush, and typed errors for bad inputs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, FailedPreconditionError, ValueError } from '../../lib/core/errors';
import { Graph } from '../../lib/core/graph';
import { Tensor } from '../../lib/core/tensor';
import { captureLogs } from '../../lib/core/logging';
import { EventSchema, SessionLog_SessionStatus, type Event } from '../../lib/proto/gen/tensorflow/core/util/event_pb';
import { SummarySchema } from '../../lib/proto/gen/tensorflow/core/framework/summary_pb';
import { GraphDefSchema } from '../../lib/proto/gen/tensorflow/core/framework/graph_pb';
import { MetaGraphDefSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { RunMetadataSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/config_pb';
import { fromBinary } from '@bufbuild/protobuf';
import { FileWriter, FileWriterCache, SummaryWriterCache, readEvents, scalarSummary, sessionLog, textSummary } from '../../lib/summary';
import { runTs } from '../support/child';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-summary-'));
});
afterAll(async () => {
  await FileWriterCache.clear();
  fs.rmSync(root, { recursive: true, force: true });
});

let n = 0;
const freshDir = () => path.join(root, `run${++n}`);

function eventFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.includes('tfevents'))
    .sort()
    .map((f) => path.join(dir, f));
}

function buildGraph(): Graph {
  const g = new Graph();
  const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [-1] } });
  const c = g.addOp({ type: 'Const', name: 'c', attrs: { dtype: 'float32', value: [2, 2, 2] } });
  g.addOp({ type: 'Mul', name: 'y', inputs: [x, c] });
  return g;
}

const what = (e: Event) => e.what.case;

describe('FileWriter', () => {
  it("opens TF's events file at once: name, file-version record, directory created", async () => {
    const dir = path.join(freshDir(), 'nested', 'deeper');
    const w = new FileWriter(dir);
    const files = eventFiles(dir);
    expect(files).toHaveLength(1);
    expect(w.fileName).toBe(files[0]);
    // TF's C++ summary writer: events.out.tfevents.<secs %010d>.<hostname>.<pid>.<n>.<suffix>
    const base = path.basename(files[0]);
    const m = /^events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)\.$/.exec(base);
    expect(m, base).not.toBeNull();
    expect(m![2]).toBe(os.hostname());
    expect(Number(m![3])).toBe(process.pid);
    expect(Math.abs(Number(m![1]) - Date.now() / 1000)).toBeLessThan(60);

    const events = await readEvents(files[0]); // the first record is on disk before any flush
    expect(events).toHaveLength(1);
    expect(events[0].what).toEqual({ case: 'fileVersion', value: 'brain.Event:2' });
    expect(events[0].sourceMetadata?.writer).toBe('tensorflow.core.util.events_writer');
    expect(Number.isInteger(events[0].wallTime)).toBe(true);
    expect(events[0].wallTime).toBe(Number(m![1]));
    expect(w.getLogdir()).toBe(dir);
    await w.close();
  });

  it("appends the filename suffix after TF's .<pid>.<n>", async () => {
    const dir = freshDir();
    const a = new FileWriter(dir, { filenameSuffix: '.worker0' });
    const b = new FileWriter(dir, { filenameSuffix: 'v1' });
    expect(path.basename(a.fileName!)).toMatch(new RegExp(`\\.${process.pid}\\.\\d+\\.worker0$`));
    expect(path.basename(b.fileName!)).toMatch(new RegExp(`\\.${process.pid}\\.\\d+\\.v1$`));
    // Two writers in the same second no longer share (and truncate) one file (docs/python-parity.md §8.2).
    expect(eventFiles(dir)).toHaveLength(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('writes every kind of event in call order, with wall_time and the step as given', async () => {
    const dir = freshDir();
    const g = buildGraph();
    const w = new FileWriter(dir, { graph: g });
    const before = Date.now() / 1000;
    w.addSummary(scalarSummary('loss', 0.5), 1);
    w.addSummary(toBinary(SummarySchema, scalarSummary('acc', 0.25)), 2n);
    w.addSessionLog(sessionLog('START'), 3);
    w.addSessionLog({ status: 'CHECKPOINT', checkpointPath: '/x/model.ckpt' });
    w.addRunMetadata(create(RunMetadataSchema, {}), 'step_4', 4);
    w.addGraph(g, 5);
    w.addMetaGraph(create(MetaGraphDefSchema, { metaInfoDef: { tensorflowVersion: 'x' } }), 6);
    w.addEvent(create(EventSchema, { wallTime: 123.5, step: 7n, what: { case: 'sessionLog', value: sessionLog('STOP') } }));
    w.addSummary(scalarSummary('loss', 0.125), Tensor.from(8n)); // a fetched int64 global step
    w.addSummary(scalarSummary('zero', 1), 0);
    await w.flush();
    const after = Date.now() / 1000;
    const ev = await readEvents(w.fileName!);
    expect(ev.map(what)).toEqual([
      'fileVersion',
      'graphDef',
      'metaGraphDef',
      'summary',
      'summary',
      'sessionLog',
      'sessionLog',
      'taggedRunMetadata',
      'graphDef',
      'metaGraphDef',
      'sessionLog',
      'summary',
      'summary',
    ]);
    expect(ev.slice(1).map((e) => Number(e.step))).toEqual([0, 0, 1, 2, 3, 0, 4, 5, 6, 7, 8, 0]);
    for (const e of ev.slice(1)) {
      if (e.wallTime === 123.5) continue;
      expect(e.wallTime).toBeGreaterThanOrEqual(before - 1);
      expect(e.wallTime).toBeLessThanOrEqual(after + 1);
      expect(Number.isInteger(e.wallTime)).toBe(false); // float seconds, like time.time()
    }
    // graph_def at open is the graph; meta_graph_def holds it and the stripped op list.
    const gd = fromBinary(GraphDefSchema, ev[1].what.value as Uint8Array);
    expect(gd.node.map((x) => x.name).sort()).toEqual(['c', 'x', 'y']);
    const mg = fromBinary(MetaGraphDefSchema, ev[2].what.value as Uint8Array);
    expect(mg.graphDef?.node.map((x) => x.name).sort()).toEqual(['c', 'x', 'y']);
    expect(mg.metaInfoDef?.strippedOpList?.op.map((o) => o.name)).toEqual(['Const', 'Mul', 'Placeholder']);
    expect(mg.metaInfoDef?.tensorflowVersion).toMatch(/^2\./);

    const s3 = ev[3].what.value as { value: Array<{ tag: string; value: { value: unknown } }> };
    expect(s3.value[0].tag).toBe('loss');
    expect(s3.value[0].value.value).toBe(0.5);
    expect((ev[4].what.value as typeof s3).value[0].tag).toBe('acc');
    expect(ev[5].what.value).toMatchObject({ status: SessionLog_SessionStatus.START });
    expect(ev[6].what.value).toMatchObject({ status: SessionLog_SessionStatus.CHECKPOINT, checkpointPath: '/x/model.ckpt' });
    expect(ev[7].what.value).toMatchObject({ tag: 'step_4' });
    expect(ev[10].wallTime).toBe(123.5); // addEvent writes the event as it is
    await w.close();
  });

  it("keeps a value's metadata only the first time its tag is seen, without touching the caller's Summary", async () => {
    const w = new FileWriter(freshDir());
    const first = textSummary('notes', 'one');
    const second = textSummary('notes', 'two');
    w.addSummary(first, 1);
    w.addSummary(toBinary(SummarySchema, second), 2);
    w.addSummary(textSummary('other', 'x'), 3);
    await w.flush();
    const ev = (await readEvents(w.fileName!)).filter((e) => e.what.case === 'summary');
    const meta = ev.map((e) => (e.what.value as { value: Array<{ metadata?: unknown }> }).value[0].metadata !== undefined);
    expect(meta).toEqual([true, false, true]);
    expect(second.value[0].metadata?.pluginData?.pluginName).toBe('text');
    await w.close();
  });

  it('addRunMetadata rejects a tag used before with ValueError, as Python', async () => {
    const w = new FileWriter(freshDir());
    w.addRunMetadata(create(RunMetadataSchema, {}), 'step_1', 1);
    expect(() => w.addRunMetadata(create(RunMetadataSchema, {}), 'step_1', 2)).toThrow(ValueError);
    expect(() => w.addRunMetadata(create(RunMetadataSchema, {}), 'step_1', 2)).toThrow(
      'The provided tag was already used for this event type',
    );
    await w.close();
  });

  it('flush() resolves with the data on disk; close() writes what is queued; adds after close are no-ops with a warning; reopen() opens a new file', async () => {
    const dir = freshDir();
    const w = new FileWriter(dir, { maxQueue: 1000 }); // TF would otherwise write every 11 events
    for (let i = 0; i < 5; i++) w.addSummary(scalarSummary('a', i), i);
    expect((await readEvents(w.fileName!)).length).toBe(1); // still queued
    await w.flush();
    expect((await readEvents(w.fileName!)).length).toBe(6);
    w.addSummary(scalarSummary('a', 5), 5);
    const file1 = w.fileName!;
    await w.close();
    expect(w.closed).toBe(true);
    expect(w.fileName).toBeNull();
    expect((await readEvents(file1)).length).toBe(7);

    const logs = captureLogs();
    try {
      w.addSummary(scalarSummary('a', 6), 6);
      await w.flush();
      expect(logs.records.map((r) => r.message)).toContain(
        'Attempting to use a closed FileWriter. The operation will be a noop unless the FileWriter is explicitly reopened.',
      );
    } finally {
      logs.restore();
    }
    await w.close(); // idempotent
    expect((await readEvents(file1)).length).toBe(7);

    await new Promise((r) => setTimeout(r, 5)); // a new file even within the same second
    w.reopen();
    expect(w.closed).toBe(false);
    expect(w.fileName).not.toBe(file1);
    w.addSummary(scalarSummary('a', 7), 7);
    await w.close();
    expect(eventFiles(dir)).toHaveLength(2);
    const ev2 = await readEvents(eventFiles(dir).find((f) => f !== file1)!);
    expect(ev2.map(what)).toEqual(['fileVersion', 'summary']);
    expect(Number(ev2[1].step)).toBe(7);
  });

  it('TF writes and syncs the queue by itself when more than maxQueue events wait', async () => {
    const w = new FileWriter(freshDir(), { maxQueue: 3 });
    for (let i = 0; i < 4; i++) w.addSummary(scalarSummary('q', i), i);
    // No flush: the pump hands the 4 events to TF, whose queue then exceeds max_queue = 3.
    let seen = 0;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && seen < 5; ) {
      await new Promise((r) => setTimeout(r, 10));
      seen = (await readEvents(w.fileName!)).length;
    }
    expect(seen).toBe(5);
    await w.close();
  });

  it("loses nothing when many async tasks write at once, and keeps each task's own order", async () => {
    const w = new FileWriter(freshDir());
    const tasks = 50;
    const perTask = 40;
    await Promise.all(
      Array.from({ length: tasks }, async (_, t) => {
        for (let i = 0; i < perTask; i++) {
          if ((t + i) % 3 === 0) await new Promise((r) => setImmediate(r));
          else await Promise.resolve();
          w.addSummary(scalarSummary(`task${t}`, i), t * 1000 + i);
          if (i === perTask / 2 && t % 10 === 0) await w.flush(); // flushes interleaved with writes
        }
      }),
    );
    await w.flush();
    const ev = (await readEvents(w.fileName!)).filter((e) => e.what.case === 'summary');
    expect(ev).toHaveLength(tasks * perTask);
    const steps = ev.map((e) => Number(e.step));
    expect(new Set(steps).size).toBe(tasks * perTask);
    for (let t = 0; t < tasks; t++) {
      const mine = steps.filter((s) => Math.floor(s / 1000) === t);
      expect(mine).toEqual(Array.from({ length: perTask }, (_, i) => t * 1000 + i));
    }
    await w.close();
  });

  it('flushes open writers at process exit (no flush or close called)', async () => {
    const dir = freshDir();
    const child = path.join(root, 'exit-child.ts');
    const lib = path.resolve(__dirname, '..', '..', 'lib', 'summary');
    fs.writeFileSync(
      child,
      `
      import { FileWriter, scalarSummary } from ${JSON.stringify(lib)};
      const w = new FileWriter(process.argv[2], { maxQueue: 1000 });
      for (let i = 0; i < 25; i++) w.addSummary(scalarSummary('exit', i), i);
      const w2 = new FileWriter(process.argv[2] + '/b', { maxQueue: 1000 });
      w2.addSummary(scalarSummary('exit', 1), 1);
      if (process.argv[3] === 'exit') process.exit(0); // before the pump even ran
      setTimeout(() => console.log('DONE'), 20); // the pump hands the events to TF; TF holds them
    `,
    );
    for (const mode of ['natural', 'exit']) {
      const d = path.join(dir, mode);
      const r = runTs(child, [d, mode]);
      expect(r.status, r.stderr).toBe(0);
      const a = await readEvents(eventFiles(d)[0]);
      const b = await readEvents(eventFiles(path.join(d, 'b'))[0]);
      expect(a.map((e) => Number(e.step))).toEqual([0, ...Array.from({ length: 25 }, (_, i) => i)]);
      expect(b.length).toBe(2);
    }
  });

  it('rejects bad arguments with typed errors naming the parameter', async () => {
    const bad = (fn: () => unknown, param: string) => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, `expected an ArgumentError for ${param}`).toBeInstanceOf(ArgumentError);
      expect((err as ArgumentError).param).toBe(param);
      expect((err as Error).message).toContain(param);
    };
    bad(() => new FileWriter(42 as unknown as string), 'logdir');
    bad(() => new FileWriter(''), 'logdir');
    bad(() => new FileWriter(freshDir(), { maxQueue: 0 }), 'maxQueue');
    bad(() => new FileWriter(freshDir(), { maxQueue: 2.5 }), 'maxQueue');
    bad(() => new FileWriter(freshDir(), { flushSecs: -1 }), 'flushSecs');
    bad(() => new FileWriter(freshDir(), { flushSecs: 'soon' as unknown as number }), 'flushSecs');
    bad(() => new FileWriter(freshDir(), { filenameSuffix: 3 as unknown as string }), 'filenameSuffix');
    bad(() => new FileWriter(freshDir(), { graph: 'g' as unknown as Graph }), 'graph');

    const w = new FileWriter(freshDir());
    const s = scalarSummary('x', 1);
    bad(() => w.addSummary(s, 1.5), 'globalStep');
    bad(() => w.addSummary(s, NaN), 'globalStep');
    bad(() => w.addSummary(s, '3' as unknown as number), 'globalStep');
    bad(() => w.addSummary(s, 2n ** 63n), 'globalStep');
    bad(() => w.addSummary(s, Tensor.from([1, 2], 'int64')), 'globalStep');
    bad(() => w.addSummary(s, Tensor.from(1.5, 'float32')), 'globalStep');
    bad(() => w.addSummary('loss=1' as unknown as Uint8Array, 1), 'summary');
    bad(() => w.addSummary({ value: [] } as unknown as Uint8Array, 1), 'summary');
    bad(() => w.addSummary(sessionLog('START') as unknown as Uint8Array, 1), 'summary');
    bad(() => w.addSummary(new Uint8Array([0x0a, 0x05, 0x0a]), 1), 'summary');
    bad(() => w.addSessionLog({ status: 'BOGUS' }, 1), 'sessionLog.status');
    bad(() => w.addSessionLog(7 as unknown as Uint8Array), 'sessionLog');
    bad(() => w.addEvent(new Uint8Array([0xff, 0xff, 0xff])), 'event');
    bad(() => w.addGraph(null as unknown as Graph), 'graph');
    bad(() => w.addMetaGraph(new Uint8Array([0x0a, 0x10])), 'metaGraphDef');
    bad(() => w.addRunMetadata(create(RunMetadataSchema, {}), 5 as unknown as string), 'tag');
    bad(() => FileWriterCache.get(undefined as unknown as string), 'logdir');
    // Nothing bad reached the file.
    await w.flush();
    expect((await readEvents(w.fileName!)).length).toBe(1);
    await w.close();
  });

  it("reports a logdir TF cannot create as TF's typed error", () => {
    const file = path.join(root, 'plain-file');
    fs.writeFileSync(file, 'x');
    expect(() => new FileWriter(path.join(file, 'sub'))).toThrow(FailedPreconditionError);
    expect(() => new FileWriter(path.join(file, 'sub'))).toThrow(
      `Could not open an events file in ${path.join(file, 'sub')}: ${file} is not a directory`,
    );
  });
});

describe('FileWriterCache', () => {
  it('gives one writer per directory, process-wide, keyed by the absolute path', async () => {
    const dir = freshDir();
    const rel = path.relative(process.cwd(), dir);
    const a = FileWriterCache.get(dir);
    expect(FileWriterCache.get(dir)).toBe(a);
    expect(FileWriterCache.get(`${dir}/`)).toBe(a);
    expect(FileWriterCache.get(rel)).toBe(a);
    expect(FileWriterCache.get(path.join(dir, '.', 'x', '..'))).toBe(a);
    expect(SummaryWriterCache.get(dir)).toBe(a);
    expect(FileWriterCache.get(freshDir())).not.toBe(a);
    // Writers from the cache in "different hooks" append to the same file.
    FileWriterCache.get(dir).addSummary(scalarSummary('from_hook_1', 1), 1);
    FileWriterCache.get(rel).addSummary(scalarSummary('from_hook_2', 2), 2);
    await FileWriterCache.flushAll();
    expect(eventFiles(dir)).toHaveLength(1);
    expect((await readEvents(a.fileName!)).length).toBe(3);

    const file = a.fileName!;
    await FileWriterCache.clear(); // closes every writer
    expect(a.closed).toBe(true);
    expect(FileWriterCache.size).toBe(0);
    const b = FileWriterCache.get(dir);
    expect(b).not.toBe(a);
    expect(b.fileName).not.toBe(file);
  });

  it('writes the graph when it creates the writer', async () => {
    const dir = freshDir();
    const w = FileWriterCache.get(dir, { graph: buildGraph() });
    FileWriterCache.get(dir, { graph: buildGraph() }); // a hit: nothing more written
    await w.flush();
    expect((await readEvents(w.fileName!)).map(what)).toEqual(['fileVersion', 'graphDef', 'metaGraphDef']);
  });
});
