/**
 * The Saver against Python's, side by side in one run (same libtensorflow, same graphs built by
 * bench/tf1_bench.py, same serialized ConfigProto, checkpoints in the same folder):
 *
 *   100 MB save / restore   25 float32 variables of 1,000,000 elements: Saver.save (globalStep, no
 *                           .meta, maxToKeep 2) and Saver.restore of the last save, ours
 *                           (lib/train/saver.ts) vs tf.compat.v1.train.Saver
 *   save with a ~1 MB .meta two models with a MetaGraphDef of ~1 MB and small variables: `bigmeta`
 *                           (the model-step CNN plus small conv blocks: ~1 MB of ops) and
 *                           `bigconst` (the CNN plus a ~1 MB Const, an evaluation set kept in the
 *                           graph); the graph's own Saver, save(globalStep, .meta written) — what a
 *                           checkpoint step saves
 *   checkpoint step         each model trained by a MonitoredTrainingSession saving every step
 *                           (saveCheckpointSteps 1; default hooks otherwise; our default run mode),
 *                           fed x:0/y:0 as in model-step: ms per step, ours vs Python's
 *   step without a save     (extra, bigmeta) the step when no save is due (the default 600 s)
 *
 * Targets (printed, never enforced): ours ≤ 1.1× Python for the 100 MB save and restore and for the
 * checkpoint step with a ~1 MB .meta.
 *
 *   npm run bench -- saver --iters 2 --repeats 7
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
import { Saver } from '../lib/checkpoint/saver';
import { tfEnvSummary } from './lib/env';
import { modeLabel, monitoredSession, probeRunMode } from './lib/modes';
import { benchOptions } from './lib/options';
import { PyServer } from './lib/python';
import { cellOf, configBytes, measureInterleaved, type Row } from './lib/rows';
import { fmtRatio, fmtUs, ratio } from './lib/table';
import { timeAwaited } from './lib/timing';

const TARGET = 1.1;
/** Steps per measurement of the checkpoint-step rows, per --iters (each is a few times shorter than a 100 MB save). */
const STEP_SCALE = 2;

function newestMeta(d: string): string {
  const metas = fs
    .readdirSync(d)
    .filter((f) => /^model-\d+\.meta$/.test(f))
    .sort((a, b) => Number(b.match(/\d+/)![0]) - Number(a.match(/\d+/)![0]));
  return metas.length ? `${metas[0]} ${(fs.statSync(path.join(d, metas[0])).size / 1024).toFixed(0)} KiB` : 'none';
}

async function main(): Promise<void> {
  const opts = benchOptions({ iters: 2, warmup: 1 });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(opts.outDir, 'saver-'));
  logging.setVerbosity('error');
  const py = await PyServer.start();
  await probeRunMode();

  console.log('# Saver (ms per save / restore / step), ours vs Python\n');
  console.log(`libtensorflow ${tfVersion()}; Python TF ${typeof py === 'string' ? py : py.version}; checkpoints under ${opts.outDir}`);
  console.log(
    `${opts.iters} saves/restores per measurement (checkpoint steps ×${STEP_SCALE}), ${opts.stat} of ${opts.repeats} (rows interleaved), ` +
      `${opts.warmup} warm-up per row; node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(2)}; ${tfEnvSummary()}`,
  );
  if (typeof py === 'string') {
    console.log(`\nnot measured: the graphs are built by bench/tf1_bench.py and ${py}`);
    fs.rmSync(scratch, { recursive: true, force: true });
    return;
  }
  const config = configBytes({}, scratch, 'default');
  const dir = (name: string) => fs.mkdtempSync(path.join(scratch, `${name}-`));
  const built: Record<string, string> = {};
  const metaBytes: Record<string, number> = {};
  for (const kind of ['vars100', 'bigmeta', 'bigconst']) {
    built[kind] = path.join(scratch, `${kind}.meta`);
    metaBytes[kind] = (await py.call<{ bytes: number }>({ op: 'build', kind, out: built[kind] })).bytes;
  }

  // 100 MB: our Saver built over the graph's variables, as Python's Saver() is.
  const varsGraph = Graph.fromMetaGraph(fs.readFileSync(built.vars100));
  const varsSess = new Session(varsGraph, { config: config.bytes });
  varsSess.runSync('init');
  const varsSaver = new Saver({ graph: varsGraph, maxToKeep: 2 });
  const varsDir = dir('ours-100mb');
  let n100 = 0;
  let last100: string | null = null;
  const save100 = async () => {
    last100 = await varsSaver.save(varsSess, path.join(varsDir, 'model'), { globalStep: ++n100, writeMetaGraph: false });
  };
  await py.call({ op: 'saver_open', id: 'vars', meta: built.vars100, config: config.file, dir: dir('py-100mb'), write_meta: false });

  // ~1 MB .meta, of many ops (bigmeta) or of one big Const (bigconst): the graph's own Saver (its
  // SAVERS collection), the .meta written each save; and MTS steps saving every step.
  const feeds = mlpFeeds();
  const fetch = ['loss:0', 'train'];
  const pyFeeds = {
    feeds: [
      { name: 'x:0', dims: [128, 784], fill: 'unit' },
      { name: 'y:0', dims: [128], fill: 'label' },
    ],
    fetches: ['loss:0'],
    targets: ['train'],
  };
  const sessions: MonitoredSession[] = [];
  const plainSessions: Session[] = [];
  const metaChecks: Array<() => string> = [];
  const metaRows = async (kind: 'bigmeta' | 'bigconst', what: string, withPlainStep: boolean): Promise<Row[]> => {
    const graph = Graph.fromMetaGraph(fs.readFileSync(built[kind]));
    const sess = new Session(graph, { config: config.bytes });
    sess.runSync('init');
    plainSessions.push(sess);
    const saver = Saver.fromGraph(graph)!;
    const oursDir = dir(`ours-${kind}`);
    const pyDir = dir(`py-${kind}`);
    let n = 0;
    await py.call({ op: 'saver_open', id: kind, meta: built[kind], config: config.file, dir: pyDir, write_meta: true });
    // What the save rows wrote: the newest .meta of each side (a save that skipped it would show).
    metaChecks.push(() => `${kind}: ours ${newestMeta(oursDir)}, Python ${newestMeta(pyDir)}`);
    const mts = async (saveEveryStep: boolean) => {
      const s = await monitoredSession(
        {
          graph: Graph.fromMetaGraph(fs.readFileSync(built[kind])),
          config: config.bytes,
          checkpointDir: dir(`ours-mts-${kind}`),
          ...(saveEveryStep ? { saveCheckpointSteps: 1 } : {}),
        },
        'default',
      );
      sessions.push(s);
      return s;
    };
    const pyMts = async (id: string, save: boolean) => {
      await py.call({
        op: 'open',
        id,
        meta: built[kind],
        config: config.file,
        kind: 'mts',
        mts: { checkpoint_dir: 'TEMP', ...(save ? { save_checkpoint_steps: 1 } : {}) },
      });
      await py.call({ op: 'feeds', id, ...pyFeeds });
    };
    const mtsSave = await mts(true);
    await pyMts(`${kind}-mts-save`, true);
    const rows: Row[] = [
      {
        key: `pySave-${kind}`,
        label: `Python \`Saver.save\` with the .meta (${what})`,
        measure: async (k) => (await py.call<{ us: number }>({ op: 'saver_save', id: kind, iters: k })).us,
        scale: STEP_SCALE,
      },
      {
        key: `save-${kind}`,
        label: `ours \`Saver.save\` with the .meta (${what})`,
        scale: STEP_SCALE,
        measure: (k) => timeAwaited(k, () => saver.save(sess, path.join(oursDir, 'model'), { globalStep: ++n })),
      },
      {
        key: `pyStepSave-${kind}`,
        label: `Python MTS, checkpoint step (${what})`,
        measure: (k) => py.time(`${kind}-mts-save`, k),
        scale: STEP_SCALE,
      },
      {
        key: `stepSave-${kind}`,
        label: `ours MTS, checkpoint step (${what}), ${modeLabel('default')}`,
        measure: (k) => timeAwaited(k, () => mtsSave.run(fetch, feeds)),
        scale: STEP_SCALE,
      },
    ];
    if (withPlainStep) {
      const mtsPlain = await mts(false);
      await pyMts(`${kind}-mts-plain`, false);
      rows.push(
        {
          key: 'pyStep',
          label: 'extra: Python MTS, step without a save',
          measure: (k) => py.time(`${kind}-mts-plain`, k),
          scale: STEP_SCALE,
        },
        {
          key: 'step',
          label: 'extra: ours MTS, step without a save',
          measure: (k) => timeAwaited(k, () => mtsPlain.run(fetch, feeds)),
          scale: STEP_SCALE,
        },
      );
    }
    return rows;
  };
  const manyOps = await metaRows('bigmeta', '~1 MB of ops', true);
  const oneConst = await metaRows('bigconst', '~1 MB Const', false);

  const rows: Row[] = [
    {
      key: 'pySave100',
      label: 'Python `Saver.save`, 100 MB in 25 tensors',
      measure: async (n) => (await py.call<{ us: number }>({ op: 'saver_save', id: 'vars', iters: n })).us,
    },
    { key: 'save100', label: 'ours `Saver.save`, 100 MB in 25 tensors', measure: (n) => timeAwaited(n, save100) },
    {
      key: 'pyRestore100',
      label: 'Python `Saver.restore`, 100 MB',
      measure: async (n) => (await py.call<{ us: number }>({ op: 'saver_restore', id: 'vars', iters: n })).us,
    },
    {
      key: 'restore100',
      label: 'ours `Saver.restore`, 100 MB',
      measure: async (n) => {
        if (!last100) await save100();
        return timeAwaited(n, () => varsSaver.restore(varsSess, last100!));
      },
    },
    ...manyOps,
    ...oneConst,
  ];
  const samples = await measureInterleaved(rows, opts);
  const metaCheck = `newest .meta written by the save rows: ${metaChecks.map((f) => f()).join('; ')}`;
  for (const s of sessions) await s.close();
  await varsSess.close();
  for (const s of plainSessions) await s.close();
  await py.close();

  const cell = (k: string) => cellOf(samples, k, opts.stat);
  const pairs: Array<[string, string, string]> = [
    ['save100', 'pySave100', '100 MB save'],
    ['restore100', 'pyRestore100', '100 MB restore'],
    ['save-bigmeta', 'pySave-bigmeta', 'save with a ~1 MB .meta (many ops)'],
    ['stepSave-bigmeta', 'pyStepSave-bigmeta', 'checkpoint step with a ~1 MB .meta (many ops)'],
    ['save-bigconst', 'pySave-bigconst', 'save with a ~1 MB .meta (one big Const)'],
    ['stepSave-bigconst', 'pyStepSave-bigconst', 'checkpoint step with a ~1 MB .meta (one big Const)'],
    ['step', 'pyStep', 'step without a save, many ops (extra)'],
  ];
  console.log(
    `\n.meta exported by Python: bigmeta ${(metaBytes.bigmeta / 1024).toFixed(0)} KiB, bigconst ${(metaBytes.bigconst / 1024).toFixed(0)} KiB; ${metaCheck}\n`,
  );
  console.log('| what | Python: ms | ours: ms | ours / Python |');
  console.log('| :-- | --: | --: | --: |');
  const ms = (c: ReturnType<typeof cellOf>) => (typeof c === 'number' ? fmtUs(c / 1000) : c);
  for (const [ours, theirs, what] of pairs)
    console.log(`| ${what} | ${ms(cell(theirs))} | ${ms(cell(ours))} | ${fmtRatio(ratio(cell(ours), cell(theirs)))} |`);
  console.log('');
  for (const [ours, theirs, what] of pairs.slice(0, 6)) {
    const r = ratio(cell(ours), cell(theirs));
    console.log(
      Number.isFinite(r)
        ? `${what}, ours vs Python: ${fmtRatio(r)} (target ≤ ${TARGET}×) — ${r <= TARGET ? 'met' : 'NOT met'}`
        : `${what}, ours vs Python: target ≤ ${TARGET}× — not measured`,
    );
  }
  const saveCost = (a: string, b: string) => ratio(cell(a), 1) - ratio(cell(b), 1);
  const oursSave = saveCost('stepSave-bigmeta', 'step');
  const pySave = saveCost('pyStepSave-bigmeta', 'pyStep');
  if (Number.isFinite(oursSave) && Number.isFinite(pySave)) {
    console.log(
      `  (the save's share of a checkpoint step, many ops, step with a save minus step without: ours ${fmtUs(oursSave / 1000)} ms, Python ${fmtUs(pySave / 1000)} ms)`,
    );
  }
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ bench: 'saver', options: opts, samples }, null, 2));
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
