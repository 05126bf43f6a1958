/**
 * The event loop during training: how late a timer fires (perf_hooks.monitorEventLoopDelay,
 * resolution 1 ms) while a MonitoredTrainingSession trains, in each run mode, on the tiny step
 * (the linear fixture, as mts-step) and on the MLP of model-step (784-512-10, batch 128, Adam; built
 * by bench/tf1_bench.py), and the steps per second the loop made. Default hooks (checkpointDir),
 * default ConfigProto. The modes' training segments interleave over the repeats, each segment with
 * its own monitor (a re-enabled monitor counts its disabled time as one delay); a row shows the
 * median over its segments of their p50 and p99, the worst segment's p99, and the largest delay.
 * An idle row (the loop waiting on a timer as long as a segment took) shows the machine's floor.
 *
 * Targets (printed, never enforced): default mode p99 ≤ 2 × maxBlockMs; 'async' mode p99 ≤ 5 ms.
 *
 *   npm run bench -- event-loop --iters 50 --repeats 7     (MLP steps per segment; tiny: ×40)
 */
import { mlpFeeds } from './lib/mlp-feeds';
import './lib/env'; // first: sets TF's environment before the library loads
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Graph } from '../lib/graph-io/graph';
import { Tensor } from '../lib/core/tensor';
import { tfVersion } from '../lib/native';
import type { MonitoredSession } from '../lib/train/monitored-session';
import * as logging from '../lib/core/logging';
import { tfEnvSummary } from './lib/env';
import { MODES, modeLabel, monitoredSession, probeRunMode, type BenchMode } from './lib/modes';
import { PACKAGE_ROOT, benchOptions } from './lib/options';
import { PyServer } from './lib/python';
import { configBytes } from './lib/rows';
import { median } from './lib/timing';

const MAX_BLOCK_MS = 10; // the runMode default
const ASYNC_P99_MS = 5;
const TINY_SCALE = 40;
const LINEAR_META = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'linear', 'model.meta');

type Lane = BenchMode | 'idle';
interface Segment {
  p50: number;
  p99: number;
  max: number;
  steps: number;
  ns: number;
}

interface Workload {
  key: string;
  title: string;
  graph: () => Graph;
  feeds: Record<string, Tensor>;
  fetch: string[];
  steps: number;
}

async function main(): Promise<void> {
  const opts = benchOptions({ iters: 50, warmup: 5 });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(opts.outDir, 'event-loop-'));
  logging.setVerbosity('error');
  const config = configBytes({}, scratch, 'default');
  const hasRunMode = await probeRunMode();

  const workloads: Workload[] = [];
  const linearMeta = fs.readFileSync(LINEAR_META);
  workloads.push({
    key: 'tiny',
    title: "tiny step (linear fixture: run 'train', x:0 fed, y:0 a constant)",
    graph: () => {
      const g = new Graph();
      g.addOp({ type: 'Const', name: 'y_const', attrs: { dtype: 'float32', value: [3, 5, 7, 9] } });
      return Graph.fromMetaGraph(linearMeta, { graph: g, inputMap: { 'y:0': 'y_const:0' } });
    },
    feeds: { 'x:0': Tensor.from(new Float32Array([1, 2, 3, 4])) },
    fetch: ['train'],
    steps: opts.iters * TINY_SCALE,
  });
  const py = await PyServer.start();
  let pyNote = '';
  if (typeof py === 'string') {
    pyNote = `MLP not measured: it is built by bench/tf1_bench.py and ${py}`;
  } else {
    const meta = path.join(scratch, 'mlp.meta');
    await py.call({ op: 'build', kind: 'mlp', out: meta });
    await py.close();
    const metaBytes = fs.readFileSync(meta);
    workloads.push({
      key: 'mlp',
      title: 'MLP 784-512-10, batch 128, Adam (fetch loss:0, run train)',
      graph: () => Graph.fromMetaGraph(metaBytes),
      feeds: mlpFeeds(),
      fetch: ['loss:0', 'train'],
      steps: opts.iters,
    });
  }

  console.log('# Event loop during training (timer delay, ms; perf_hooks.monitorEventLoopDelay, resolution 1 ms)\n');
  console.log(
    `libtensorflow ${tfVersion()}; MTS with default hooks (checkpointDir), default ConfigProto; ` +
      (hasRunMode
        ? `runMode option present, maxBlockMs ${MAX_BLOCK_MS} passed`
        : 'no runMode option yet: modes are syncRuns false/true (sync mode yields every 20 ms)'),
  );
  console.log(
    `segments of ${opts.iters} MLP steps / ${opts.iters * TINY_SCALE} tiny steps, ${opts.repeats} per mode (interleaved), ` +
      `${opts.warmup} warm-up steps per session; node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}; ${tfEnvSummary()}`,
  );
  if (pyNote) console.log(pyNote);

  const summary: string[] = [];
  const table: string[] = [
    "| workload | mode | steps/s | p50 ms | p99 ms | worst segment's p99 ms | max ms |",
    '| :-- | :-- | --: | --: | --: | --: | --: |',
  ];
  const results: Record<string, Record<string, { p50: number; p99: number; p99Worst: number; max: number; stepsPerSec: number }>> = {};
  for (const wl of workloads) {
    const sessions = new Map<BenchMode, MonitoredSession>();
    const segments = new Map<Lane, Segment[]>();
    for (const mode of MODES) {
      const s = await monitoredSession(
        {
          graph: wl.graph(),
          config: config.bytes,
          checkpointDir: fs.mkdtempSync(path.join(scratch, `${wl.key}-${mode}-`)),
        },
        mode,
        hasRunMode ? MAX_BLOCK_MS : undefined,
      );
      for (let i = 0; i < opts.warmup; i++) await s.run(wl.fetch, wl.feeds);
      sessions.set(mode, s);
    }
    // A monitor per segment: a re-enabled one records the time it was disabled as one delay.
    const segment = async (lane: Lane, body: () => Promise<number>) => {
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      await new Promise((resolve) => setTimeout(resolve, 2)); // the monitor's timer is running
      const t0 = process.hrtime.bigint();
      const steps = await body();
      const ns = Number(process.hrtime.bigint() - t0);
      await new Promise((resolve) => setTimeout(resolve, 2)); // a delay that ended with the segment is recorded
      h.disable();
      const list = segments.get(lane) ?? [];
      segments.set(lane, list);
      if (h.count) list.push({ p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, steps, ns });
      return ns;
    };
    for (let r = 0; r < opts.repeats; r++) {
      let longest = 0;
      for (const mode of MODES) {
        const s = sessions.get(mode)!;
        longest = Math.max(
          longest,
          await segment(mode, async () => {
            for (let i = 0; i < wl.steps; i++) await s.run(wl.fetch, wl.feeds);
            return wl.steps;
          }),
        );
      }
      // The machine's floor: the same monitor while the loop idles as long as a segment took.
      await segment('idle', async () => {
        await new Promise((resolve) => setTimeout(resolve, longest / 1e6));
        return 0;
      });
    }
    for (const s of sessions.values()) await s.close();
    results[wl.key] = {};
    const f = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
    for (const lane of [...MODES, 'idle'] as Lane[]) {
      const list = segments.get(lane) ?? [];
      const steps = list.reduce((a, x) => a + x.steps, 0);
      const ns = list.reduce((a, x) => a + x.ns, 0);
      const row = {
        p50: median(list.map((x) => x.p50)),
        p99: median(list.map((x) => x.p99)),
        p99Worst: Math.max(...list.map((x) => x.p99)),
        max: Math.max(...list.map((x) => x.max)),
        stepsPerSec: lane === 'idle' ? NaN : steps / (ns / 1e9),
      };
      results[wl.key][lane] = row;
      const label = lane === 'idle' ? "idle (no training, as long as a segment: the machine's floor)" : modeLabel(lane);
      table.push(
        `| ${wl.key} | ${label} | ${lane === 'idle' ? '' : row.stepsPerSec.toFixed(0)} | ${f(row.p50)} | ${f(row.p99)} | ${f(row.p99Worst)} | ${f(row.max)} |`,
      );
    }
    const budget = 2 * MAX_BLOCK_MS;
    const verdict = (what: string, v: number, max: number) =>
      Number.isFinite(v)
        ? `${what}: p99 ${v.toFixed(1)} ms (target ≤ ${max} ms) — ${v <= max ? 'met' : 'NOT met'}`
        : `${what}: target p99 ≤ ${max} ms — not measured (no timer fired)`;
    summary.push(`${verdict(`event loop, ${wl.key}, default mode`, results[wl.key].default.p99, budget)} (2 × maxBlockMs ${MAX_BLOCK_MS})`);
    summary.push(verdict(`event loop, ${wl.key}, 'async' mode`, results[wl.key].async.p99, ASYNC_P99_MS));
  }
  console.log('');
  console.log(table.join('\n'));
  console.log('');
  console.log(summary.join('\n'));
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ bench: 'event-loop', options: opts, results }, null, 2));
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
