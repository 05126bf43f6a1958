/**
 * Realistic models: ms per training step of an MNIST-shaped MLP and a small CNN, fed each step,
 * side by side in one run, with the same libtensorflow, the same GraphDef and the same serialized
 * ConfigProto (the default one):
 *
 *   raw C loop           bench/raw_loop.c: TF_SessionRun fetching loss:0 and running `train`, the two
 *                        feeds made once (the baseline)
 *   Python Session.run   tf.compat.v1.Session.run([loss, train], feed_dict) (bench/tf1_bench.py)
 *   Python MTS           tf.compat.v1.train.MonitoredTrainingSession (checkpoint_dir: its default hooks)
 *   runSync              Session.runSync(['loss:0', 'train'], feeds), the feeds made once with Tensor.alloc
 *   MTS, <mode>          MonitoredTrainingSession with a checkpointDir (Python's default hooks), in its
 *                        default run mode, 'async' and 'sync' (bench/lib/modes.ts)
 *
 * The models (bench/tf1_bench.py, built by Python at bench time): `mlp` 784-512-10, batch 128, Adam;
 * `cnn` conv + batch norm + max-pool (twice) + dropout + dense, batch 128, momentum. Feeds: x:0
 * float32 [128, 784] = (i % 251) / 251, y:0 int32 [128] = i % 10, the same values on every side.
 * Target (printed, never enforced): the MTS step in its default mode ≤ 1.05× raw C.
 *
 *   npm run bench -- model-step --iters 20 --repeats 7
 */
import { mlpFeeds } from './lib/mlp-feeds';
import './lib/env'; // first: sets TF's environment before the library loads
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Graph } from '../lib/graph-io/graph';
import { Session } from '../lib/core/session';
import { tfVersion } from '../lib/native';
import type { MonitoredSession } from '../lib/train/monitored-session';
import * as logging from '../lib/core/logging';
import { tfEnvSummary } from './lib/env';
import { MODES, modeLabel, monitoredSession, probeRunMode } from './lib/modes';
import { BENCH_ROOT, benchOptions } from './lib/options';
import { PyServer } from './lib/python';
import { RawLoop, tfLocation, tryBuildRawLoop, type RawFeed } from './lib/raw-c';
import { cellOf, configBytes, measureInterleaved, type Row, type Samples } from './lib/rows';
import { fmtRatio, ratio, ratioTable, targetLine } from './lib/table';
import { timeAwaited, timeSync } from './lib/timing';

const TARGET = 1.05;
const MODELS = [
  { key: 'mlp', title: 'MLP 784-512-10, batch 128, Adam' },
  { key: 'cnn', title: 'CNN: 2 × (conv 3×3 + batch norm + relu + max-pool), dropout, dense 128, dense 10; batch 128, momentum' },
] as const;
const FEEDS: RawFeed[] = [
  { name: 'x:0', dims: [128, 784], fill: 'unit' },
  { name: 'y:0', dims: [128], fill: 'label' },
];
const FETCHES = ['loss:0'];
const TARGETS = ['train'];

async function main(): Promise<void> {
  const opts = benchOptions({ iters: 20 });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(opts.outDir, 'model-step-'));
  logging.setVerbosity('error');
  const tf = tfLocation();
  const { exe, unavailable: cUnavailable } = tryBuildRawLoop(BENCH_ROOT, opts.outDir, tf);
  const py = await PyServer.start();
  await probeRunMode();

  console.log('# Realistic models (ms per training step, fed each step)\n');
  console.log(`libtensorflow ${tfVersion()}: ${tf.mainLib}; Python TF ${typeof py === 'string' ? py : py.version}`);
  console.log('step: fetch loss:0, run train; feeds x:0 float32 [128, 784], y:0 int32 [128], made once; default ConfigProto on every side');
  console.log(
    `${opts.iters} steps per measurement, ${opts.stat} of ${opts.repeats} (rows interleaved), ${opts.warmup} warm-up steps per row; ` +
      `node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}; ${tfEnvSummary()}`,
  );
  if (typeof py === 'string') {
    console.log(`\nnot measured: the models are built by bench/tf1_bench.py and ${py}`);
    fs.rmSync(scratch, { recursive: true, force: true });
    return;
  }

  const config = configBytes({}, scratch, 'default');
  const results: Record<string, Samples> = {};
  const labels = new Map<string, string>();
  const summary: string[] = [];
  const metaSizes: Record<string, number> = {};
  for (const model of MODELS) {
    const meta = path.join(scratch, `${model.key}.meta`);
    metaSizes[model.key] = (await py.call<{ bytes: number }>({ op: 'build', kind: model.key, out: meta })).bytes;
    const metaBytes = fs.readFileSync(meta);
    const load = () => Graph.fromMetaGraph(metaBytes);
    const graphFile = path.join(scratch, `${model.key}.pb`);
    fs.writeFileSync(graphFile, load().toGraphDef());

    const raw = exe ? await RawLoop.start(exe, graphFile, config.file, ['init']) : null;
    const feeds = mlpFeeds();
    const plain = new Session(load(), { config: config.bytes });
    plain.runSync('init');
    const fetch = [...FETCHES, ...TARGETS];
    const pyFeeds = { feeds: FEEDS, fetches: FETCHES, targets: TARGETS };
    await py.call({ op: 'open', id: `${model.key}-session`, meta, config: config.file, kind: 'session' });
    await py.call({ op: 'feeds', id: `${model.key}-session`, ...pyFeeds });
    await py.call({ op: 'open', id: `${model.key}-mts`, meta, config: config.file, kind: 'mts', mts: { checkpoint_dir: 'TEMP' } });
    await py.call({ op: 'feeds', id: `${model.key}-mts`, ...pyFeeds });
    const sessions: MonitoredSession[] = [];
    const rows: Row[] = [
      {
        key: 'rawC',
        label: 'raw C loop',
        measure: raw ? (n) => raw.run({ iters: n, mode: 'reuse', feeds: FEEDS, fetches: FETCHES, targets: TARGETS }) : cUnavailable,
      },
      { key: 'pySession', label: `Python \`Session.run\` (TF ${py.version})`, measure: (n) => py.time(`${model.key}-session`, n) },
      { key: 'pyMts', label: 'Python MTS, default hooks', measure: (n) => py.time(`${model.key}-mts`, n) },
      { key: 'runSync', label: '`runSync`', measure: (n) => timeSync(n, () => plain.runSync(fetch, feeds)) },
    ];
    for (const mode of MODES) {
      const s = await monitoredSession(
        { graph: load(), config: config.bytes, checkpointDir: fs.mkdtempSync(path.join(scratch, 'ckpt-')) },
        mode,
      );
      sessions.push(s);
      rows.push({
        key: `mts-${mode}`,
        label: `MTS, default hooks, ${modeLabel(mode)}`,
        measure: (n) => timeAwaited(n, () => s.run(fetch, feeds)),
      });
    }
    for (const row of rows) labels.set(row.key, row.label);
    results[model.key] = await measureInterleaved(rows, opts);

    for (const s of sessions) await s.close();
    await plain.close();
    await raw?.close();
    await py.call({ op: 'close', id: `${model.key}-session` });
    await py.call({ op: 'close', id: `${model.key}-mts` });
    const cell = (key: string) => cellOf(results[model.key], key, opts.stat);
    summary.push(targetLine(`MTS step, default mode, vs raw C, ${model.key}`, cell('mts-default'), cell('rawC'), TARGET));
    const floor = ratio(cell('runSync'), cell('rawC'));
    if (Number.isFinite(floor))
      summary.push(`  (floor: \`runSync\` making the same run, no wrappers or hooks, is ${fmtRatio(floor)} raw C)`);
    const vsPy = ratio(cell('pyMts'), cell('mts-default'));
    if (Number.isFinite(vsPy)) summary.push(`  (MTS default mode vs Python MTS, ${model.key}: ours ${fmtRatio(vsPy)} faster per step)`);
  }
  await py.close();

  const keys = [...labels.keys()];
  const ms = (c: ReturnType<typeof cellOf>) => (typeof c === 'number' ? c / 1000 : c);
  console.log(`.meta sizes: ${MODELS.map((m) => `${m.key} ${(metaSizes[m.key] / 1024).toFixed(0)} KiB`).join(', ')}\n`);
  for (const m of MODELS) console.log(`- ${m.key}: ${m.title}`);
  console.log('');
  console.log(
    ratioTable({
      head: 'path',
      groups: MODELS.map((m) => m.key),
      rows: keys.map((k) => ({ label: labels.get(k)!, cells: MODELS.map((m) => ms(cellOf(results[m.key], k, opts.stat))) })),
      baseline: 0,
      baselineName: 'raw C',
      unit: 'ms/step',
    }),
  );
  console.log('');
  console.log(summary.join('\n'));
  if (opts.json)
    fs.writeFileSync(
      opts.json,
      JSON.stringify({ bench: 'model-step', options: opts, labels: Object.fromEntries(labels), samples: results }, null, 2),
    );
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
