/**
 * Big tensors: a 64 MiB float32 feed and fetch through an Identity (x:0 float32 [16777216] fed,
 * y = Identity(x) fetched), ms per run and the peak resident set during the row, side by side in
 * one run, with the same libtensorflow, GraphDef and serialized ConfigProto (the default one):
 *
 *   raw C, in place              the feed tensor made once, the output read in place (no copy anywhere)
 *   raw C, output copied out     the feed tensor made once, the output memcpy'd into a malloc'd buffer
 *   raw C, copied in and out     a new feed tensor each run, memcpy'd from a buffer, the output copied out
 *   awaited `run`, zero-copy     Tensor.alloc feed (used by TF without a copy), the output arriving
 *                                without a copy (async run) and disposed at once  -> vs raw C, in place
 *   `runSync`, zero-copy feed    Tensor.alloc feed; a synchronous run copies its output into JS
 *                                memory                                          -> vs raw C, output copied out
 *   `runSync`, copied feed       a Tensor over a Float32Array in JS memory: copied into a TF tensor
 *                                each run, the output copied out                 -> vs raw C, copied in and out
 *   `run`, copied feed (extra)   the same feed, awaited run, output disposed
 *
 * Targets (printed, never enforced): ≤ 1.2× raw C doing the same copies; the zero-copy feed
 * ≤ 1.05×. RSS: the process's resident set sampled after every run (raw C: in the C program,
 * /proc/self/statm), its peak over the row, in MiB.
 *
 * On this VM a first touch of fresh memory is slow (a malloc'd 64 MiB buffer filled by memcpy took
 * ~0.9 s under load, the same copy into touched memory ~30 ms): every copy into new memory shows.
 *
 *   npm run bench -- big-tensor --iters 2 --repeats 7
 */
import './lib/env'; // first: sets TF's environment before the library loads
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Graph } from '../lib/core/graph';
import { Session } from '../lib/core/session';
import { Tensor } from '../lib/core/tensor';
import { tfVersion } from '../lib/native';
import { tfEnvSummary } from './lib/env';
import { BENCH_ROOT, benchOptions } from './lib/options';
import { RawLoop, tfLocation, tryBuildRawLoop, type RawFeed, type RawRunSpec } from './lib/raw-c';
import { cellOf, configBytes, measureInterleaved, type Row } from './lib/rows';
import { fmtRatio, fmtUs, ratio, targetLine } from './lib/table';
import { median } from './lib/timing';

const N = 16 * 1024 * 1024; // 64 MiB of float32
const FEED: RawFeed = { name: 'x:0', dims: [N], fill: 'unit' };
const MiB = 1024 * 1024;

function buildGraph(): Graph {
  const g = new Graph();
  const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [N] } });
  g.addOp({ type: 'Identity', name: 'y', inputs: [x] });
  return g;
}

async function main(): Promise<void> {
  const opts = benchOptions({ iters: 2, warmup: 1 });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(opts.outDir, 'big-tensor-'));
  const graphFile = path.join(scratch, 'graph.pb');
  fs.writeFileSync(graphFile, buildGraph().toGraphDef());
  const config = configBytes({}, scratch, 'default');
  const tf = tfLocation();
  const { exe, unavailable: cUnavailable } = tryBuildRawLoop(BENCH_ROOT, opts.outDir, tf);

  console.log('# Big tensors (ms per run: a 64 MiB float32 feed and fetch through an Identity)\n');
  console.log(`libtensorflow ${tfVersion()}: ${tf.mainLib}`);
  console.log(
    `${opts.iters} runs per measurement, ${opts.stat} of ${opts.repeats} (rows interleaved), ${opts.warmup} warm-up runs per row; ` +
      `node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}; ${tfEnvSummary()}`,
  );

  const raw = exe ? await RawLoop.start(exe, graphFile, config.file, []) : null;
  const sess = new Session(buildGraph(), { config: config.bytes });
  const alloc = Tensor.alloc('float32', [N]);
  const allocData = alloc.data as Float32Array;
  const js = new Float32Array(N);
  for (let i = 0; i < N; i++) allocData[i] = js[i] = (i % 251) / 251;
  const jsTensor = Tensor.from(js);
  const zeroCopyFeeds = { 'x:0': alloc };
  const copyFeeds = { 'x:0': jsTensor };

  // Peak RSS per row and repeat (bytes), taken after every run.
  const peaks: Record<string, number[]> = {};
  const rawRow = (key: string, spec: Omit<RawRunSpec, 'iters' | 'fetches' | 'targets' | 'rss'>) =>
    raw
      ? async (n: number) => {
          const r = await raw.runTimed({ ...spec, iters: n, fetches: ['y:0'], targets: [], rss: true });
          (peaks[key] ??= []).push(r.peakRssBytes);
          return r.wallUs;
        }
      : cUnavailable;
  const ours = (key: string, once: () => unknown | Promise<unknown>) => async (n: number) => {
    let peak = process.memoryUsage.rss();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      await once();
      const r = process.memoryUsage.rss();
      if (r > peak) peak = r;
    }
    const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
    (peaks[key] ??= []).push(peak);
    return us;
  };
  const rows: Row[] = [
    {
      key: 'rawInPlace',
      label: 'raw C, feed made once, output read in place',
      measure: rawRow('rawInPlace', { mode: 'reuse', feed: FEED }),
    },
    {
      key: 'rawCopyOut',
      label: 'raw C, feed made once, output copied out',
      measure: rawRow('rawCopyOut', { mode: 'reuse', feed: FEED, out: 'copy' }),
    },
    {
      key: 'rawCopyBoth',
      label: 'raw C, feed copied in, output copied out',
      measure: rawRow('rawCopyBoth', { mode: 'copy', feed: FEED, out: 'copy' }),
    },
    {
      key: 'runZero',
      label: 'awaited `run`, `Tensor.alloc` feed, output disposed (zero-copy both ways)',
      measure: ours('runZero', async () => (await sess.run('y:0', zeroCopyFeeds))!.dispose()),
    },
    {
      key: 'syncZero',
      label: '`runSync`, `Tensor.alloc` feed (zero-copy feed; output copied)',
      measure: ours('syncZero', () => sess.runSync('y:0', zeroCopyFeeds)),
    },
    {
      key: 'syncCopy',
      label: '`runSync`, feed in JS memory (copied in and out)',
      measure: ours('syncCopy', () => sess.runSync('y:0', copyFeeds)),
    },
    {
      key: 'runCopy',
      label: 'extra: awaited `run`, feed in JS memory, output disposed',
      measure: ours('runCopy', async () => (await sess.run('y:0', copyFeeds))!.dispose()),
    },
  ];
  const rssBefore = process.memoryUsage.rss();
  const samples = await measureInterleaved(rows, opts);
  await sess.close();
  await raw?.close();

  // Each of ours against the raw C row making the same copies.
  const pairs: Record<string, string> = { runZero: 'rawInPlace', syncZero: 'rawCopyOut', syncCopy: 'rawCopyBoth', runCopy: 'rawCopyOut' };
  const cell = (k: string) => cellOf(samples, k, opts.stat);
  const rss = (k: string) => {
    // The warm-up's sample first: the repeats' peaks only.
    const xs = (peaks[k] ?? []).slice(1);
    return xs.length ? `${(Math.max(...xs) / MiB).toFixed(0)} (median ${(median(xs) / MiB).toFixed(0)})` : 'n/a';
  };
  console.log(`\nRSS before the rows: this process ${(rssBefore / MiB).toFixed(0)} MiB (TF loaded, the two 64 MiB feeds made)`);
  console.log('');
  console.log('| path | ms/run | × raw C doing the same copies | × raw C in place | peak RSS MiB |');
  console.log('| :-- | --: | --: | --: | --: |');
  for (const row of rows) {
    const v = cell(row.key);
    const base = pairs[row.key] ? cell(pairs[row.key]) : v;
    const vs = pairs[row.key] ? `${fmtRatio(ratio(v, base))} (${labelOf(rows, pairs[row.key]).replace(/^raw C, /, '')})` : '';
    console.log(
      `| ${row.label} | ${typeof v === 'number' ? fmtUs(v / 1000) : v} | ${vs} | ${fmtRatio(ratio(v, cell('rawInPlace')))} | ${rss(row.key)} |`,
    );
  }
  console.log('');
  console.log(targetLine('64 MiB, zero-copy feed and output (awaited run) vs raw C in place', cell('runZero'), cell('rawInPlace'), 1.05));
  console.log(
    targetLine('64 MiB, zero-copy feed (runSync, output copied) vs raw C copying the output', cell('syncZero'), cell('rawCopyOut'), 1.05),
  );
  console.log(targetLine('64 MiB, copied feed (runSync) vs raw C copying in and out', cell('syncCopy'), cell('rawCopyBoth'), 1.2));
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ bench: 'big-tensor', options: opts, samples, peakRss: peaks }, null, 2));
  fs.rmSync(scratch, { recursive: true, force: true });
}

function labelOf(rows: readonly Row[], key: string): string {
  return rows.find((r) => r.key === key)?.label ?? key;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
