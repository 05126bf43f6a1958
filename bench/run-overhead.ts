/**
 * Run overhead: µs per Session run of one tiny graph, side by side in one run, with the same
 * libtensorflow and the same serialized ConfigProto:
 *
 *   raw C loop          bench/raw_loop.c, built now against the library the addon loaded; it
 *                       imports the GraphDef this script exports (graph.toGraphDef())
 *   runSync             Session.runSync, fed a Tensor made once (Tensor.alloc: aligned native memory)
 *   run, awaited        Session.run, each awaited before the next
 *   run, 64 in flight   Session.run with 64 calls outstanding (extra info)
 *
 * plus extra rows that split the cost (raw C with a new feed tensor each run, runSync fed a plain
 * Float32Array, and the addon's runSync/run called directly without the TS wrapper).
 * Each row under the default ConfigProto and under `interOpParallelismThreads: -1` (inline
 * execution). Target: runSync ≤ 1.3× raw C; printed, never enforced.
 *
 *   npm run bench -- run-overhead --iters 20000 --repeats 3     (see bench/lib/options.ts)
 */
import './lib/env'; // first: sets TF's environment before the library loads
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ConfigProtoSchema } from '../lib/proto/gen/tensorflow/core/protobuf/config_pb';
import { messageFromPlain } from '../lib/core/plain-message';
import { Graph } from '../lib/core/graph';
import { Session } from '../lib/core/session';
import { Tensor } from '../lib/core/tensor';
import { tfVersion, type NativeSession, type FlatTensors } from '../lib/native';
import { tfEnvSummary } from './lib/env';
import { BENCH_ROOT, benchOptions } from './lib/options';
import { RawLoop, tfLocation, tryBuildRawLoop } from './lib/raw-c';
import { fmtRatio, headroom, ratio, ratioTable, targetLine, type Cell } from './lib/table';
import { summarize, timeAwaited, timeInFlight, timeSync } from './lib/timing';

const TARGET = 1.3;
const IN_FLIGHT = 64;

const CONFIGS = [
  { key: 'default', label: 'default config', plain: {} },
  { key: 'inline', label: 'interOp −1 (inline)', plain: { interOpParallelismThreads: -1 } },
] as const;

const WORKLOADS = [
  { key: 'train', title: "train step: feed x:0, fetch 'loss:0', run 'train'", fetches: ['loss:0'], targets: ['train'] },
  { key: 'forward', title: "forward: feed x:0, fetch 'loss:0'", fetches: ['loss:0'], targets: [] as string[] },
] as const;

const FEED = { name: 'x:0', dims: [4] };

/** x:0 float32[4] fed; w float32[4] variable; loss = sum(x * w); train = w -= 0.001 * x. */
function buildGraph(): Graph {
  const g = new Graph();
  const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [4] } });
  const w = g.addOp({ type: 'VariableV2', name: 'w', attrs: { dtype: 'float32', shape: [4] } });
  const w0 = g.addOp({ type: 'Const', name: 'w/initial_value', attrs: { dtype: 'float32', value: [0.5, 0.5, 0.5, 0.5] } });
  g.addOp({ type: 'Assign', name: 'init', inputs: [w, w0] });
  const y = g.addOp({ type: 'Mul', name: 'y', inputs: [x, w] });
  const axis = g.addOp({ type: 'Const', name: 'axis', attrs: { dtype: 'int32', value: [0] } });
  g.addOp({ type: 'Sum', name: 'loss', inputs: [y, axis] });
  const lr = g.addOp({ type: 'Const', name: 'lr', attrs: { dtype: 'float32', value: 0.001 } });
  // d loss / d w = x
  g.addOp({ type: 'ApplyGradientDescent', name: 'train', inputs: [w, lr, x] });
  return g;
}

type Measure = (n: number) => number | Promise<number>;
/** `scale`: the share of --iters this row runs (the async rows are 5–20× slower per run). */
interface Row {
  key: string;
  label: string;
  measure: Measure | string;
  scale?: number;
}
const AWAITED_SCALE = 0.25;
const IN_FLIGHT_SCALE = 0.5;

/** The addon's session behind the TS wrapper, to time the native call alone (null if it moved). */
function addonSession(s: Session): NativeSession | null {
  const ns = (s as unknown as { nativeSession?: NativeSession | null }).nativeSession;
  return ns && typeof ns.prepare === 'function' && typeof ns.runSync === 'function' ? ns : null;
}

async function main(): Promise<void> {
  const opts = benchOptions({ iters: 20_000 });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(opts.outDir, 'run-overhead-'));

  const graph = buildGraph();
  const graphFile = path.join(scratch, 'graph.pb');
  fs.writeFileSync(graphFile, graph.toGraphDef());

  const tf = tfLocation();
  const { exe, unavailable: cUnavailable } = tryBuildRawLoop(BENCH_ROOT, opts.outDir, tf);

  console.log('# Run overhead (µs per run, tiny graph)\n');
  console.log(`libtensorflow ${tfVersion()}: ${tf.mainLib}`);
  console.log('graph: x = Placeholder float32[4]; w = VariableV2 float32[4]; loss = Sum(x * w); train = ApplyGradientDescent(w, 0.001, x)');
  console.log(
    `${opts.iters} runs per measurement (awaited \`run\` rows ×${AWAITED_SCALE}, in flight ×${IN_FLIGHT_SCALE}), ` +
      `${opts.stat} of ${opts.repeats}, ${opts.warmup} warm-up runs per row; ` +
      `node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}; ${tfEnvSummary()}`,
  );

  // results[workload][config][row] = the samples (µs), or why the row was not measured
  const results: Record<string, Record<string, Record<string, number[] | string>>> = {};
  const labels = new Map<string, string>();
  const loadedLibs = new Set<string>();

  for (const cfg of CONFIGS) {
    const configBytes = toBinary(ConfigProtoSchema, messageFromPlain(ConfigProtoSchema, cfg.plain, 'config'));
    const configFile = path.join(scratch, `config-${cfg.key}.pb`);
    fs.writeFileSync(configFile, configBytes);

    const raw = exe ? await RawLoop.start(exe, graphFile, configFile, ['init']) : null;
    if (raw) loadedLibs.add(fs.realpathSync(raw.loadedLib));
    const sess = new Session(graph, { config: configBytes }); // the very bytes the C side read
    sess.runSync('init');
    const ns = addonSession(sess);

    for (const wl of WORKLOADS) {
      const fetch = [...wl.fetches, ...wl.targets];
      // The feed made once, as raw_loop's `reuse` mode makes one TF_Tensor: a tensor in aligned
      // native memory (Tensor.alloc), which every run feeds without making a tensor.
      const xTensor = Tensor.alloc('float32', [4]);
      (xTensor.data as Float32Array).set([1, 2, 3, 4]);
      const feeds = { [FEED.name]: xTensor };
      const jsFeeds = { [FEED.name]: Tensor.from(new Float32Array([1, 2, 3, 4])) };
      const xArray = new Float32Array([1, 2, 3, 4]);
      const arrayFeeds = { [FEED.name]: xArray };
      const rawSpec = { feed: FEED, fetches: [...wl.fetches], targets: [...wl.targets] };
      const plan = ns?.prepare([FEED.name], [...wl.fetches], [...wl.targets]);
      const rawFeeds: FlatTensors = [];
      xTensor.pushParts(rawFeeds);

      const rows: Row[] = [
        { key: 'rawC', label: 'raw C loop', measure: raw ? (n) => raw.run({ ...rawSpec, iters: n, mode: 'reuse' }) : cUnavailable },
        { key: 'runSync', label: '`runSync`', measure: (n) => timeSync(n, () => sess.runSync(fetch, feeds)) },
        { key: 'run', label: '`run`, each awaited', measure: (n) => timeAwaited(n, () => sess.run(fetch, feeds)), scale: AWAITED_SCALE },
        {
          key: 'run64',
          label: `\`run\`, ${IN_FLIGHT} in flight (extra)`,
          measure: (n) => timeInFlight(n, IN_FLIGHT, () => sess.run(fetch, feeds)),
          scale: IN_FLIGHT_SCALE,
        },
        {
          key: 'rawCFresh',
          label: 'extra: raw C, new feed tensor each run',
          measure: raw ? (n) => raw.run({ ...rawSpec, iters: n, mode: 'fresh' }) : cUnavailable,
        },
        {
          key: 'runSyncJs',
          label: 'extra: `runSync` fed a Tensor in JS memory (copied each run)',
          measure: (n) => timeSync(n, () => sess.runSync(fetch, jsFeeds)),
        },
        {
          key: 'runSyncArray',
          label: 'extra: `runSync` fed a Float32Array',
          measure: (n) => timeSync(n, () => sess.runSync(fetch, arrayFeeds)),
        },
        {
          key: 'addonSync',
          label: 'extra: addon `runSync` alone (no TS wrapper)',
          measure: ns && plan ? (n) => timeSync(n, () => ns.runSync(plan, ...rawFeeds)) : 'n/a',
        },
        {
          key: 'addonRun',
          label: 'extra: addon `run` alone, awaited',
          measure: ns && plan ? (n) => timeAwaited(n, () => ns.run(plan, ...rawFeeds)) : 'n/a',
          scale: AWAITED_SCALE,
        },
      ];

      const samples: Record<string, number[] | string> = {};
      const count = (row: Row, n: number) => Math.max(1, Math.round(n * (row.scale ?? 1)));
      for (const row of rows) {
        labels.set(row.key, row.label);
        samples[row.key] = typeof row.measure === 'string' ? row.measure : [];
        if (typeof row.measure !== 'string') await row.measure(count(row, opts.warmup));
      }
      // Repeats interleave the rows, so a change in machine load hits every row alike.
      for (let r = 0; r < opts.repeats; r++) {
        for (const row of rows) {
          if (typeof row.measure !== 'string') (samples[row.key] as number[]).push(await row.measure(count(row, opts.iters)));
        }
      }
      (results[wl.key] ??= {})[cfg.key] = samples;
    }
    await raw?.close();
    await sess.close();
  }

  const sameLib =
    loadedLibs.size === 0
      ? 'raw C not run'
      : [...loadedLibs].every((p) => p === fs.realpathSync(tf.mainLib))
        ? 'raw C loaded the same file'
        : `raw C loaded ${[...loadedLibs].join(', ')} — NOT the addon's library`;
  console.log(`library check: ${sameLib}\n`);

  const summary: string[] = [];
  for (const wl of WORKLOADS) {
    const keys = [...labels.keys()];
    const cell = (cfg: string, key: string): Cell => {
      const xs = results[wl.key][cfg][key];
      return Array.isArray(xs) ? summarize(xs, opts.stat) : (xs ?? 'n/a');
    };
    console.log(`## ${wl.title}\n`);
    console.log(
      ratioTable({
        head: 'path',
        groups: CONFIGS.map((c) => c.label),
        rows: keys.map((k) => ({ label: labels.get(k)!, cells: CONFIGS.map((c) => cell(c.key, k)) })),
        baseline: 0,
        baselineName: 'raw C',
      }),
    );
    console.log('');
    for (const c of CONFIGS) {
      summary.push(targetLine(`runSync vs raw C, ${wl.key}, ${c.label}`, cell(c.key, 'runSync'), cell(c.key, 'rawC'), TARGET));
      // The floor under the target: the addon's own call, which the TS wrapper can only add to.
      const floor = ratio(cell(c.key, 'addonSync'), cell(c.key, 'rawC'));
      if (Number.isFinite(floor)) {
        summary.push(
          `  (floor: the addon's runSync alone, no TS wrapper, is ${fmtRatio(floor)} raw C; ` +
            `the target leaves ${headroom(cell(c.key, 'rawC'), cell(c.key, 'addonSync'), TARGET)} for the TS wrapper)`,
        );
      }
    }
  }
  console.log(summary.join('\n'));

  if (opts.json) {
    fs.writeFileSync(
      opts.json,
      JSON.stringify(
        {
          bench: 'run-overhead',
          tfVersion: tfVersion(),
          library: tf.mainLib,
          iters: opts.iters,
          repeats: opts.repeats,
          loadAverage: os.loadavg(),
          configs: CONFIGS,
          workloads: WORKLOADS,
          labels: Object.fromEntries(labels),
          samples: results,
        },
        null,
        2,
      ),
    );
  }
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
