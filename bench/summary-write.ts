/**
 * Event-file write rate: N scalar summary events (tag + simple_value, a step each), then a flush
 * that returns when they are on disk, side by side in one run:
 *
 *   Python FileWriter     tf.compat.v1.summary.FileWriter, add_summary(Summary) × N, flush()
 *                         (the pinned Python TF, in a child process; the baseline)
 *   FileWriter            ours: addSummary(scalarSummary(...)) × N, await flush()
 *   FileWriter, bytes     ours, fed serialized Summary bytes (what a summary op returns)
 *   FileWriter, add only  ours, the add calls alone: what the training loop pays; TF's writing
 *                         goes on in the background (extra info, no flush in the time)
 *
 * Both writers with their defaults (max_queue 10, flush_secs 120), a new writer per measurement
 * in a fresh directory; min (or --stat median) of --repeats. Prints µs/event, events/s and the ratio to Python.
 * Never fails on a rate.
 *
 *   npm run bench -- summary-write                      (100 000 events, 3 repeats)
 *   node --import tsx bench/summary-write.ts --iters 20000 --repeats 1
 */
import './lib/env'; // first: sets TF's environment before the library loads
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { tfVersion } from '../lib/native';
import { SummarySchema } from '../lib/proto/gen/tensorflow/core/framework/summary_pb';
import { FileWriter, scalarSummary, tfRecordIterator } from '../lib/summary';
import { tfEnvSummary } from './lib/env';
import { benchOptions } from './lib/options';
import { ratioTable, type Cell } from './lib/table';
import { summarize } from './lib/timing';

const opts = benchOptions({ iters: 100_000, repeats: 3 });
const N = opts.iters;
const work = path.join(opts.outDir, `summary-write-${process.pid}`);
let dirCount = 0;
const freshDir = () => path.join(work, `w${dirCount++}`);

const PY_SCRIPT = `
import os, sys, json, time, tempfile, shutil
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import tensorflow as tf
from tensorflow.core.framework import summary_pb2
tf1 = tf.compat.v1
tf1.disable_eager_execution()
n, repeats, root = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
Summary, Value = summary_pb2.Summary, summary_pb2.Summary.Value

def once(count, k):
    d = os.path.join(root, 'py%d' % k)
    w = tf1.summary.FileWriter(d)
    t0 = time.perf_counter()
    for i in range(count):
        w.add_summary(Summary(value=[Value(tag='loss', simple_value=1.0 / (i + 1))]), i)
    w.flush()
    t1 = time.perf_counter()
    w.close()
    shutil.rmtree(d, ignore_errors=True)
    return (t1 - t0) * 1e6 / count

once(min(n, 2000), 0)  # warm-up
us = [once(n, k + 1) for k in range(repeats)]
print(json.dumps({'version': tf.__version__, 'us': us}))
`;

function python(): { version: string; us: number[] } | string {
  const script = path.join(work, 'bench_summary_write.py');
  fs.writeFileSync(script, PY_SCRIPT);
  const r = spawnSync(process.env.PYTHON || 'python3', [script, String(N), String(opts.repeats), work], {
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as { version: string; us: number[] };
  } catch {
    return `Python failed (${r.error?.message ?? `status ${r.status}`}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;
  }
}

async function countRecords(file: string): Promise<number> {
  let n = 0;
  for await (const rec of tfRecordIterator(file)) if (rec) n++;
  return n;
}

/** µs per event: N adds then `await flush()`; checks the file holds them all. */
async function ours(kind: 'message' | 'bytes' | 'addOnly', N = opts.iters): Promise<number> {
  const w = new FileWriter(freshDir());
  const pre =
    kind === 'bytes'
      ? Array.from({ length: Math.min(N, 1000) }, (_, i) => toBinary(SummarySchema, scalarSummary('loss', 1 / (i + 1))))
      : null;
  const t0 = process.hrtime.bigint();
  if (pre) {
    for (let i = 0; i < N; i++) w.addSummary(pre[i % pre.length], i);
  } else {
    for (let i = 0; i < N; i++) w.addSummary(scalarSummary('loss', 1 / (i + 1)), i);
  }
  if (kind !== 'addOnly') await w.flush();
  const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
  const file = w.fileName!;
  await w.close();
  const records = await countRecords(file);
  if (records !== N + 1) throw new Error(`bench: ${file} holds ${records} records, expected ${N + 1}`);
  return us;
}

async function main(): Promise<void> {
  fs.mkdirSync(work, { recursive: true });
  try {
    console.log('# Event-file write rate (scalar summary events, then a flush to disk)\n');
    console.log(
      `libtensorflow ${tfVersion()}; ${N} events per measurement, ${opts.stat} of ${opts.repeats}; defaults (max_queue 10, flush_secs 120)`,
    );
    console.log(`env: ${tfEnvSummary() || '(none)'}; files under ${work}\n`);

    // Warm-up: loads TF, JIT-compiles both paths. Each measurement still opens a new writer, whose
    // private graph builds its batch ops on first use (part of the time, as for a user).
    await ours('message', Math.min(N, 5000));
    await ours('bytes', Math.min(N, 5000));
    const rows: Array<{ label: string; us: number[] }> = [
      { label: 'FileWriter (ours)', us: [] },
      { label: 'FileWriter, Summary bytes', us: [] },
      { label: 'FileWriter, add calls only', us: [] },
    ];
    for (let r = 0; r < opts.repeats; r++) {
      rows[0].us.push(await ours('message'));
      rows[1].us.push(await ours('bytes'));
      rows[2].us.push(await ours('addOnly'));
    }
    const py = python();
    const pyCell: Cell = typeof py === 'string' ? 'n/a' : summarize(py.us, opts.stat);
    if (typeof py === 'string') console.log(`${py}\n`);
    else console.log(`Python TF ${py.version}\n`);

    const all = [
      { label: 'Python tf.compat.v1.summary.FileWriter', cell: pyCell },
      ...rows.map((r) => ({ label: r.label, cell: summarize(r.us, opts.stat) as Cell })),
    ];
    console.log(
      ratioTable({
        head: 'writer',
        groups: ['write + flush'],
        rows: all.map((r) => ({ label: r.label, cells: [r.cell] })),
        baseline: 0,
        baselineName: 'Python',
        unit: 'µs/event',
      }),
    );
    console.log('');
    for (const r of all) {
      if (typeof r.cell === 'number') console.log(`${r.label}: ${Math.round(1e6 / r.cell).toLocaleString('en-US')} events/s`);
    }
    const oursUs = summarize(rows[0].us, opts.stat);
    if (typeof pyCell === 'number') {
      console.log(`\nratio (events/s, ours ÷ Python): ${(pyCell / oursUs).toFixed(2)}×`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
