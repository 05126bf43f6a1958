/**
 * MonitoredTrainingSession step cost: µs per training step of the linear fixture's train op
 * (test/fixtures/linear: pred = w*x + b, mean squared error, GradientDescent, global step, a loss
 * summary), side by side in one run, with the same libtensorflow and the same serialized ConfigProto:
 *
 *   raw C loop                bench/raw_loop.c: TF_SessionRun of target `train` (the baseline)
 *   runSync                   Session.runSync('train', feeds) on a plain session
 *   run, awaited              await Session.run('train', feeds) (what the monitored session calls)
 *   MTS, default hooks, <mode>  await MonitoredTrainingSession.run('train', feeds) with a checkpointDir:
 *                             StepCounterHook (100 steps), SummarySaverHook (100 steps, the loss
 *                             summary), CheckpointSaverHook (600 s): Python's defaults; in the
 *                             default run mode, 'async' and 'sync' (bench/lib/modes.ts: `runMode`,
 *                             or syncRuns false/true before it existed)
 *   MTS, no hooks (extra)     the default mode without checkpointDir: the wrapper chain alone
 *   raw C, the step's run     (extra) the run an MTS step makes, in C: train + the global step
 *                             the default hooks fetch
 *   raw C, Python's two runs  (extra) that run, then the CheckpointSaverHook's global-step re-read
 *                             Python makes after every run (TF 2.x; ours skips it while no save is due)
 *   runSync, the step's run   (extra) Session.runSync making that same run (train + the global step),
 *                             no wrappers, no hooks: the binding's floor for a monitored step
 *   Python MTS                tf.compat.v1.train.MonitoredTrainingSession with the same options,
 *                             in a Python process (when `import tensorflow` works)
 *
 * raw_loop feeds one tensor, so `y` is a constant (y = 2x + 1) in every variant: the fixture's
 * GraphDef imported with `y:0` mapped to a Const, and `x:0` fed [1, 2, 3, 4]. Each under the default
 * ConfigProto and under `interOpParallelismThreads: -1` (inline). Targets (printed, never enforced),
 * for our MTS in its default mode: ≥ 4× faster per step than Python's (both configs); ≤ 2× raw C
 * making the same run as the step (default config), ≤ 1.5× (inline).
 *
 *   npm run bench -- mts-step --iters 5000 --repeats 3
 */
import './lib/env'; // first: sets TF's environment before the library loads
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { ConfigProtoSchema } from '../lib/proto/gen/tensorflow/core/protobuf/config_pb';
import { messageFromPlain } from '../lib/core/plain-message';
import { Graph } from '../lib/graph-io/graph';
import { Session } from '../lib/core/session';
import { Tensor } from '../lib/core/tensor';
import { tfVersion } from '../lib/native';
import type { MonitoredSession } from '../lib/train/monitored-session';
import * as logging from '../lib/core/logging';
import { globalStepReadTensor } from '../lib/core/global-step';
import { tfEnvSummary } from './lib/env';
import { BENCH_ROOT, PACKAGE_ROOT, benchOptions } from './lib/options';
import { RawLoop, tfLocation, tryBuildRawLoop } from './lib/raw-c';
import { MODES, modeLabel, monitoredSession, probeRunMode, type BenchMode } from './lib/modes';
import { atLeastLine } from './lib/rows';
import { fmtRatio, headroom, ratio, ratioTable, targetLine, type Cell } from './lib/table';
import { summarize, timeAwaited, timeSync } from './lib/timing';

const META = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'linear', 'model.meta');
const X = [1, 2, 3, 4];
const Y = X.map((x) => 2 * x + 1);
const CONFIGS = [
  { key: 'default', label: 'default config', plain: {} as Record<string, unknown> },
  { key: 'inline', label: 'interOp −1 (inline)', plain: { interOpParallelismThreads: -1 } as Record<string, unknown> },
] as const;
const TARGET_VS_PYTHON = 4;
/** vs raw C making the same run as the step, per config. */
const TARGET_VS_C: Record<string, number> = { default: 2, inline: 1.5 };

/** The fixture's MetaGraphDef as a Graph with its collections, `y:0` mapped to a Const. */
function loadGraph(): Graph {
  const g = new Graph();
  g.addOp({ type: 'Const', name: 'y_const', attrs: { dtype: 'float32', value: Y } });
  return Graph.fromMetaGraph(fs.readFileSync(META), { graph: g, inputMap: { 'y:0': 'y_const:0' } });
}

const PY_SCRIPT = `
import json, os, sys, tempfile, time
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
tf.get_logger().setLevel('ERROR')
tf1.disable_v2_behavior()
meta, iters, repeats, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
configs = json.loads(sys.argv[5])
x = np.array(${JSON.stringify(X)}, dtype=np.float32)
out = {}
for key, inter in configs:
    cfg = tf1.ConfigProto()
    if inter is not None:
        cfg.inter_op_parallelism_threads = inter
    with tf1.Graph().as_default():
        y = tf1.constant(${JSON.stringify(Y)}, dtype=tf.float32, name='y_const')
        tf1.train.import_meta_graph(meta, input_map={'y:0': y})
        with tf1.train.MonitoredTrainingSession(checkpoint_dir=tempfile.mkdtemp(), config=cfg) as sess:
            feed = {'x:0': x}
            for _ in range(warmup):
                sess.run('train', feed_dict=feed)
            samples = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                for _ in range(iters):
                    sess.run('train', feed_dict=feed)
                samples.append((time.perf_counter() - t0) * 1e6 / iters)
    out[key] = samples
print('RESULT ' + json.dumps({'version': tf.__version__, 'samples': out}))
`;

interface PythonResult {
  version: string;
  samples: Record<string, number[]>;
}

function runPython(iters: number, repeats: number, warmup: number): PythonResult | string {
  const python = process.env.PYTHON || 'python3';
  const configs = CONFIGS.map((c) => [c.key, (c.plain as { interOpParallelismThreads?: number }).interOpParallelismThreads ?? null]);
  const r = spawnSync(python, ['-c', PY_SCRIPT, META, String(iters), String(repeats), String(warmup), JSON.stringify(configs)], {
    // The environment unchanged (TF_ENABLE_ONEDNN_OPTS as the Node side has it): the same TF setup.
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
    maxBuffer: 64 << 20,
  });
  const m = /^RESULT (.*)$/m.exec(r.stdout ?? '');
  if (!m) {
    const why = r.error ? r.error.message : (r.stderr ?? '').trim().split('\n').slice(-1)[0];
    console.error(`[bench] Python MonitoredTrainingSession not measured: ${why}`);
    return 'not importable';
  }
  return JSON.parse(m[1]) as PythonResult;
}

type Measure = (n: number) => number | Promise<number>;
interface Row {
  key: string;
  label: string;
  measure: Measure | string;
  scale?: number;
}

async function main(): Promise<void> {
  const opts = benchOptions({ iters: 5000 });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(opts.outDir, 'mts-step-'));
  logging.setVerbosity('error'); // the racy "global step has not been increased" warning is expected here
  await probeRunMode();

  // The raw C loop runs the model alone: the GraphDef before any monitored-session op is added.
  const graphFile = path.join(scratch, 'graph.pb');
  fs.writeFileSync(graphFile, loadGraph().toGraphDef());
  // The same model plus the global-step read the default hooks fetch every step (Python's hooks
  // do too): raw C running the very run an MTS step makes, to split TF's share from ours.
  const stepGraph = loadGraph();
  const read = globalStepReadTensor(stepGraph)!;
  const stepGraphFile = path.join(scratch, 'graph-step.pb');
  fs.writeFileSync(stepGraphFile, stepGraph.toGraphDef());
  const tf = tfLocation();
  const { exe, unavailable: cUnavailable } = tryBuildRawLoop(BENCH_ROOT, opts.outDir, tf);

  console.log('# MonitoredTrainingSession step (µs per training step, linear fixture)\n');
  console.log(`libtensorflow ${tfVersion()}: ${tf.mainLib}`);
  console.log("step: run target 'train' fed x:0 = [1, 2, 3, 4] (y:0 mapped to a constant); MTS with Python's default hooks");
  console.log(
    `${opts.iters} steps per measurement (MTS and awaited rows too), ${opts.stat} of ${opts.repeats}, ${opts.warmup} warm-up steps per row; ` +
      `node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}; ${tfEnvSummary()}`,
  );

  const results: Record<string, Record<string, number[] | string>> = {};
  const labels = new Map<string, string>();
  const xTensor = Tensor.from(new Float32Array(X));
  const feeds = { 'x:0': xTensor };

  for (const cfg of CONFIGS) {
    const configBytes = toBinary(ConfigProtoSchema, messageFromPlain(ConfigProtoSchema, cfg.plain, 'config'));
    const configFile = path.join(scratch, `config-${cfg.key}.pb`);
    fs.writeFileSync(configFile, configBytes);
    const raw = exe ? await RawLoop.start(exe, graphFile, configFile, ['init']) : null;
    const rawStep = exe ? await RawLoop.start(exe, stepGraphFile, configFile, ['init']) : null;
    const plain = new Session(loadGraph(), { config: configBytes });
    plain.runSync('init');
    // The binding's floor for a monitored step: the very run the step makes, through runSync alone.
    const plainStepGraph = loadGraph();
    const plainStepFetch = ['train', globalStepReadTensor(plainStepGraph)!];
    const plainStep = new Session(plainStepGraph, { config: configBytes });
    plainStep.runSync('init');
    const sessions: MonitoredSession[] = [];
    const mts = async (withDir: boolean, mode: BenchMode) => {
      const s = await monitoredSession(
        {
          graph: loadGraph(),
          config: configBytes,
          checkpointDir: withDir ? fs.mkdtempSync(path.join(scratch, 'ckpt-')) : null,
        },
        mode,
      );
      sessions.push(s);
      return s;
    };
    const noHooks = await mts(false, 'default');
    const modeRows: Row[] = [];
    for (const mode of MODES) {
      const s = await mts(true, mode);
      modeRows.push({
        key: `mts-${mode}`,
        label: `MTS, default hooks, ${modeLabel(mode)}`,
        measure: (n) => timeAwaited(n, () => s.run('train', feeds)),
      });
    }
    const rows: Row[] = [
      {
        key: 'rawC',
        label: 'raw C loop',
        measure: raw
          ? (n) => raw.run({ iters: n, mode: 'reuse', feed: { name: 'x:0', dims: [4] }, fetches: [], targets: ['train'] })
          : cUnavailable,
      },
      {
        key: 'rawCStep',
        label: `extra: raw C, the MTS step's own run (train + fetch ${read.name})`,
        measure: rawStep
          ? (n) => rawStep.run({ iters: n, mode: 'reuse', feed: { name: 'x:0', dims: [4] }, fetches: [read.name], targets: ['train'] })
          : cUnavailable,
      },
      {
        // With TF 2.x's stepsPerRun (10⁶) Python's CheckpointSaverHook reads the global step again
        // after every run (docs/python-parity.md §5.4): a default Python MTS step is two runs. Ours skips that
        // read while no save can be due (a 600 s timer), so our step is the one run above.
        key: 'rawCRuns',
        label: "extra: raw C, the two runs of Python's MTS step (that run, then the checkpoint saver's global-step re-read)",
        measure: rawStep
          ? (n) =>
              rawStep.run({
                iters: n,
                mode: 'reuse',
                feed: { name: 'x:0', dims: [4] },
                fetches: [read.name],
                targets: ['train'],
                then: { fetches: [read.name], targets: [] },
              })
          : cUnavailable,
      },
      { key: 'runSync', label: '`runSync`', measure: (n) => timeSync(n, () => plain.runSync('train', feeds)) },
      {
        key: 'runSyncStep',
        label: "extra: `runSync` making the MTS step's own run (no wrappers, no hooks)",
        measure: (n) => timeSync(n, () => plainStep.runSync(plainStepFetch, feeds)),
      },
      { key: 'run', label: '`run`, awaited', measure: (n) => timeAwaited(n, () => plain.run('train', feeds)) },
      ...modeRows,
      { key: 'mtsBare', label: 'extra: MTS, no hooks, default mode', measure: (n) => timeAwaited(n, () => noHooks.run('train', feeds)) },
    ];
    const samples: Record<string, number[] | string> = {};
    for (const row of rows) {
      labels.set(row.key, row.label);
      samples[row.key] = typeof row.measure === 'string' ? row.measure : [];
      if (typeof row.measure !== 'string') await row.measure(opts.warmup);
    }
    // Repeats interleave the rows, so a change in machine load hits every row alike.
    for (let r = 0; r < opts.repeats; r++) {
      for (const row of rows) {
        if (typeof row.measure !== 'string') (samples[row.key] as number[]).push(await row.measure(opts.iters));
      }
    }
    results[cfg.key] = samples;
    for (const s of sessions) await s.close();
    await plain.close();
    await plainStep.close();
    await raw?.close();
    await rawStep?.close();
  }

  // Python last, alone on the machine.
  const py = runPython(opts.iters, opts.repeats, opts.warmup);
  labels.set('python', typeof py === 'string' ? 'Python MTS, default hooks' : `Python MTS, default hooks (TF ${py.version})`);
  for (const cfg of CONFIGS) results[cfg.key].python = typeof py === 'string' ? py : py.samples[cfg.key];

  const cell = (cfg: string, key: string): Cell => {
    const xs = results[cfg][key];
    return Array.isArray(xs) ? summarize(xs, opts.stat) : (xs ?? 'n/a');
  };
  const keys = [...labels.keys()];
  console.log('');
  console.log(
    ratioTable({
      head: 'path',
      groups: CONFIGS.map((c) => c.label),
      rows: keys.map((k) => ({ label: labels.get(k)!, cells: CONFIGS.map((c) => cell(c.key, k)) })),
      baseline: 0,
      baselineName: 'raw C',
      unit: 'µs/step',
    }),
  );
  console.log('');
  for (const c of CONFIGS) {
    const maxVsC = TARGET_VS_C[c.key];
    // The floor under the vs-raw-C target: what the binding alone pays to make the step's run. The
    // wrapper chain and the hooks can only add to it.
    const floor = ratio(cell(c.key, 'runSyncStep'), cell(c.key, 'rawCStep'));
    if (Number.isFinite(floor)) {
      console.log(
        `floor, ${c.label}: \`runSync\` making the MTS step's own run, no wrappers or hooks, is ${fmtRatio(floor)} raw C making that run` +
          ` (the ≤ ${maxVsC}× target leaves ${headroom(cell(c.key, 'rawCStep'), cell(c.key, 'runSyncStep'), maxVsC)} for the wrapper chain and the hooks)`,
      );
    }
    for (const mode of MODES) {
      const key = `mts-${mode}`;
      // Verdicts for the default mode (the targets); the other modes' ratios for information.
      const what = `MTS ${modeLabel(mode)}`;
      const vsPy = ratio(cell(c.key, 'python'), cell(c.key, key));
      const vsStep = ratio(cell(c.key, key), cell(c.key, 'rawCStep'));
      if (mode === 'default') {
        console.log(atLeastLine(`${what} speed-up over Python MTS, ${c.label}`, vsPy, TARGET_VS_PYTHON));
        console.log(
          targetLine(`${what} vs raw C making the same run as the step, ${c.label}`, cell(c.key, key), cell(c.key, 'rawCStep'), maxVsC),
        );
      } else {
        console.log(`  (${what}, ${c.label}: ${fmtRatio(vsPy)} faster than Python MTS; ${fmtRatio(vsStep)} raw C making the same run)`);
      }
    }
    const vsC = ratio(cell(c.key, 'mts-default'), cell(c.key, 'rawC'));
    if (Number.isFinite(vsC)) console.log(`  (MTS default mode vs the raw C loop of the train op alone, ${c.label}: ${fmtRatio(vsC)})`);
  }
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ bench: 'mts-step', options: opts, samples: results }, null, 2));
  }
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
