/**
 * Resume parity on a realistic TF1 model (issue 12): scripts/fixtures/cnn_digits.py builds a small
 * CNN the way TF1 code was written (tf.data in the graph, batch norm through UPDATE_OPS, seeded
 * dropout, L2 regularization losses, exponential_decay, Momentum, an EMA in the train op, merged
 * scalar/histogram/image summaries, Saver(max_to_keep=3) in SAVERS, a graph seed) and trains it
 * with Python's MonitoredTrainingSession to step N. The directory is copied twice; Python resumes
 * one copy to 2N, our MonitoredTrainingSession (in a fresh Node process, test/mts/children/
 * resume-cnn.ts, graph from the latest checkpoint's .meta) the other, with the same settings.
 *
 * Everything runs live on this machine: float results differ between CPUs, so only Python run here
 * can be compared bit for bit. Compared, bit for bit:
 * - the loss of every resumed step (float32 bytes);
 * - every variable of the final checkpoint (weights, EMA shadows, Momentum slots, batch-norm moving
 *   statistics, global step), read by Python's tf.train.load_checkpoint in both directories, and
 *   ours read by our CheckpointReader too;
 * - the file names in the directory, the events files' names aside (they hold the time, the host
 *   and, for ours, the pid: TF's C++ writer's name, not Python's);
 * - the `checkpoint` state file, with the directory replaced by `<dir>` (the copies' state files
 *   were made relative before resuming, as a moved directory needs; both sides write absolute ones);
 * - every event record in order, wall_time left out (a clock): summaries as each value's serialized
 *   Summary.Value per tag and step (simple values, histograms, PNG images), except the
 *   step counter's global_step/sec whose value is a measured rate (tag and step only); session
 *   logs with status, step, message and the checkpoint file name (a copied first events file names
 *   the original directory); file_version/graph_def/meta_graph_def by kind and step only (our graph
 *   is the imported .meta, Python's the one its code built: same ops, not the same bytes).
 * The model is sized so that its float bits depend on the intra-op thread count: a session whose
 * thread pools differ from Python's (as when a summary writer's helper session sized them first)
 * fails the loss and variable checks by a few ULP.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../lib/checkpoint/checkpoint-reader';
import { latestCheckpoint } from '../../lib/checkpoint/checkpoint-state';
import { ROOT } from '../support/child';
import { pythonExecutable, requirePythonTF } from '../support/python';
import { tmpDir } from './support';

const SCRIPT = path.join(ROOT, 'scripts', 'fixtures', 'cnn_digits.py');
const N = 10;
// Three TF processes (~25 s of CPU in all) on a 2-core machine that other test files share: the
// wall time can be several times that.
const SETUP_TIMEOUT_MS = 300_000;

/** What cnn_digits.py's `dump` emits for one directory. */
interface Dump {
  files: string[];
  state: string;
  variables: Record<string, { dtype: string; hex: string }>;
  events: unknown[][][];
}

interface Run {
  settings: { save_checkpoint_steps: number; save_summaries_steps: number; log_step_count_steps: number };
  losses: string[];
  dumps?: Dump[];
}

/**
 * Runs `command args` and parses the JSON of its last stdout line. With `release`, a line goes to
 * its stdin once that resolves, and the process is killed if it rejects.
 */
function runJSON<T>(label: string, command: string, args: string[], release?: Promise<unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        cwd: ROOT,
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', TF_ENABLE_ONEDNN_OPTS: '0' },
        timeout: SETUP_TIMEOUT_MS,
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${label} failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
      },
    );
    child.stdin!.on('error', () => {}); // gone already: its exit reports why
    if (release)
      release.then(
        () => child.stdin!.end('go\n'),
        () => child.kill(),
      );
    else child.stdin!.end();
  });
}

/** cnn_digits.py (see its docstring). */
const python = (args: string[], release?: Promise<unknown>) =>
  runJSON<Run>(`cnn_digits.py ${args.join(' ')}`, pythonExecutable(), [SCRIPT, ...args], release);

/** Our resume in a fresh Node process (the thread pools TF sizes per process are then its own). */
const resumeInNode = (dir: string, lastStep: number, settings: Run['settings']) =>
  runJSON<{ losses: string[] }>('resume-cnn.ts', process.execPath, [
    '--import',
    'tsx',
    path.join(__dirname, 'children', 'resume-cnn.ts'),
    dir,
    String(lastStep),
    JSON.stringify(settings),
  ]);

/** A copy of `from` whose `checkpoint` state file names the checkpoints relative to it. */
function copyRelative(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  const state = path.join(to, 'checkpoint');
  fs.writeFileSync(state, fs.readFileSync(state, 'utf8').split(`${from}/`).join(''));
  return to;
}

const withoutEventNames = (files: string[]) => files.map((f) => (f.startsWith('events.out.tfevents.') ? 'events.out.tfevents.*' : f));

describe('resuming a realistic TF1 model (cnn_digits) from a Python checkpoint, next to Python', () => {
  let py: { losses: string[]; dump: Dump };
  let ours: { losses: string[]; dump: Dump; dir: string };
  let work: string | undefined;

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  beforeAll(async () => {
    requirePythonTF();
    work = tmpDir('tfm-resume-');
    const first = path.join(work, 'first');
    const { settings } = await python(['train', first, String(N)]);
    const pyDir = copyRelative(first, path.join(work, 'python'));
    const ourDir = copyRelative(first, path.join(work, 'node'));
    // Both resume at once; Python's process then reads both directories once ours is done.
    const nodeRun = resumeInNode(ourDir, 2 * N, settings);
    const [pyRun, ourRun] = await Promise.all([python(['train', pyDir, String(2 * N), ourDir], nodeRun), nodeRun]);
    py = { losses: pyRun.losses, dump: pyRun.dumps![0] };
    ours = { losses: ourRun.losses, dump: pyRun.dumps![1], dir: ourDir };
  }, SETUP_TIMEOUT_MS);

  it('computes the same loss at every resumed step, bit for bit', () => {
    expect(ours.losses).toHaveLength(N);
    expect(ours.losses).toEqual(py.losses);
  });

  it('ends with the same variables, bit for bit: weights, EMA shadows, Momentum slots, moving statistics, global step', () => {
    const names = Object.keys(py.dump.variables);
    for (const v of [
      'conv1/kernel',
      'conv1/kernel/ExponentialMovingAverage',
      'conv1/kernel/Momentum',
      'conv1/batch_normalization/moving_mean',
      'conv1/batch_normalization/moving_variance',
      'dense/kernel/Momentum',
      'dense/bias/ExponentialMovingAverage',
      'global_step',
    ]) {
      expect(names).toContain(v);
    }
    expect(py.dump.variables.global_step.hex).toBe(Buffer.from(BigInt64Array.of(BigInt(2 * N)).buffer).toString('hex'));
    expect(ours.dump.variables).toEqual(py.dump.variables);
  });

  it('our CheckpointReader reads our final checkpoint as Python reads it', async () => {
    const reader = loadCheckpoint((await latestCheckpoint(ours.dir))!);
    try {
      const read = Object.fromEntries(
        Object.keys(ours.dump.variables).map((k) => {
          const data = reader.getTensor(k).data as Float32Array | BigInt64Array;
          return [k, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex')];
        }),
      );
      expect(read).toEqual(Object.fromEntries(Object.entries(ours.dump.variables).map(([k, v]) => [k, v.hex])));
    } finally {
      reader.close();
    }
  });

  it('leaves the same files and the same checkpoint state file (max_to_keep 3 of the SAVERS saver)', () => {
    expect(withoutEventNames(ours.dump.files)).toEqual(withoutEventNames(py.dump.files));
    expect(ours.dump.files.filter((f) => f.endsWith('.index'))).toEqual([
      'model.ckpt-16.index',
      'model.ckpt-19.index',
      'model.ckpt-20.index',
    ]);
    expect(ours.dump.state).toBe(py.dump.state);
  });

  it('writes the same event records: summary values per tag and step, session logs, graph events', () => {
    expect(ours.dump.events).toHaveLength(2);
    const resumed = py.dump.events[1];
    const tags = resumed.filter((e) => e[0] === 'summary' && e[1] === N + 1).map((e) => Object.keys(e[2] as object).sort());
    expect(tags).toEqual([['conv1/preactivation', 'input/image/0', 'input/image/1', 'learning_rate', 'logits', 'loss_1']]);
    expect(ours.dump.events).toEqual(py.dump.events);
  });
});
