/**
 * MonitoredTrainingSession's construction (docs/python-parity.md §1): the hook lists of the chief and the worker
 * in Python's order, the USE_DEFAULT resolution, what the chief writes, and our improvements
 * (writers closed on close, stopReason).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { MonitoredTrainingSession, type MonitoredTrainingSessionOptions } from '../../lib/train/monitored-training-session';
import { StopAtStepHook } from '../../lib/hooks/basic/stop-at-step-hook';
import { FinalOpsHook } from '../../lib/hooks/basic/final-ops-hook';
import { SessionRunHook } from '../../lib/hooks/session-run-hook';
import { Scaffold } from '../../lib/checkpoint/scaffold';
import * as logging from '../../lib/core/logging';
import { readEvents } from '../../lib/summary/summary-iterator';
import { loadExpected, resolveFeed } from '../fixtures/fixtures';
import { eventFiles, eventKinds, loadFixtureGraph, tmpDir } from './support';

const names = (hooks: readonly object[]) => hooks.map((h) => h.constructor.name);
const feeds = (step: number) => {
  const s = loadExpected('linear').steps[(step - 1) % 6];
  return Object.fromEntries(Object.entries(s.feeds).map(([k, f]) => [k, resolveFeed('linear', f)]));
};

async function open(opts: Partial<MonitoredTrainingSessionOptions>) {
  const capture = logging.captureLogs();
  try {
    return await MonitoredTrainingSession({ graph: loadFixtureGraph('linear'), ...opts });
  } finally {
    capture.restore();
  }
}

async function train(opts: Partial<MonitoredTrainingSessionOptions>, lastStep: number) {
  const capture = logging.captureLogs();
  try {
    const sess = await MonitoredTrainingSession({ graph: loadFixtureGraph('linear'), hooks: [new StopAtStepHook({ lastStep })], ...opts });
    let step = 1;
    await sess.using(async (s) => {
      while (!s.shouldStop()) await s.run('train', feeds(step++));
    });
    return { sess, logs: capture.records };
  } finally {
    capture.restore();
  }
}

describe('MonitoredTrainingSession hook lists (docs/python-parity.md §1.3, §1.4)', () => {
  const chiefOnly = () => [new FinalOpsHook({ finalOps: 'w:0' })];
  const user = () => [new StopAtStepHook({ lastStep: 10 })];

  it.each([
    ['defaults', {}, ['FinalOpsHook', 'StepCounterHook', 'SummarySaverHook', 'CheckpointSaverHook', 'StopAtStepHook']],
    ['saveCheckpointSecs: null', { saveCheckpointSecs: null }, ['FinalOpsHook', 'StepCounterHook', 'SummarySaverHook', 'StopAtStepHook']],
    [
      'saveSummariesSteps: null',
      { saveSummariesSteps: null },
      ['FinalOpsHook', 'StepCounterHook', 'CheckpointSaverHook', 'StopAtStepHook'],
    ],
    ['logStepCountSteps: null', { logStepCountSteps: null }, ['FinalOpsHook', 'SummarySaverHook', 'CheckpointSaverHook', 'StopAtStepHook']],
    ['logStepCountSteps: 0', { logStepCountSteps: 0 }, ['FinalOpsHook', 'SummarySaverHook', 'CheckpointSaverHook', 'StopAtStepHook']],
    [
      'saveCheckpointSteps: 0 (off; secs default gone)',
      { saveCheckpointSteps: 0 },
      ['FinalOpsHook', 'StepCounterHook', 'SummarySaverHook', 'StopAtStepHook'],
    ],
    ['checkpointDir: null', { checkpointDir: null }, ['FinalOpsHook', 'StopAtStepHook']],
  ] as Array<[string, Partial<MonitoredTrainingSessionOptions>, string[]]>)('chief, %s', async (_label, opts, expected) => {
    const sess = await open({ checkpointDir: tmpDir(), chiefOnlyHooks: chiefOnly(), hooks: user(), ...opts });
    expect(names(sess.hooks)).toEqual(expected);
    await sess.close();
  });

  it('chief, checkpointDir null and summaryDir set: events go to summaryDir, nothing is saved', async () => {
    const summaryDir = tmpDir();
    const sess = await open({ summaryDir, chiefOnlyHooks: chiefOnly(), hooks: user() });
    expect(names(sess.hooks)).toEqual(['FinalOpsHook', 'StepCounterHook', 'SummarySaverHook', 'StopAtStepHook']);
    await sess.close();
    expect(fs.readdirSync(summaryDir).every((f) => f.startsWith('events.out.tfevents.'))).toBe(true);
  });

  it('worker: only the user hooks; chief-only hooks, directories and periods are ignored', async () => {
    // No chief here: the worker's own local init op initializes the global step, so it is ready at once.
    const { Graph } = await import('../../lib/core/graph');
    const { getOrCreateGlobalStep } = await import('../../lib/core/global-step');
    const g = new Graph();
    getOrCreateGlobalStep(g);
    const scaffold = new Scaffold({
      readyOp: g.addOp({ type: 'Const', name: 'ready', attrs: { dtype: 'string', value: { dtype: 'string', shape: [0], data: [] } } }),
      readyForLocalInitOp: g.addOp({ type: 'NoOp', name: 'always_ready' }),
      localInitOp: 'global_step/Assign',
    });
    const dir = tmpDir();
    const capture = logging.captureLogs();
    const sess = await MonitoredTrainingSession({
      graph: g,
      isChief: false,
      scaffold,
      checkpointDir: dir,
      chiefOnlyHooks: chiefOnly(),
      hooks: user(),
      saveCheckpointSteps: 1,
      maxWaitSecs: 1,
    }).finally(() => capture.restore());
    expect(names(sess.hooks)).toEqual(['StopAtStepHook']);
    await sess.close().catch(() => {});
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('MonitoredTrainingSession USE_DEFAULT resolution (docs/python-parity.md §1.2)', () => {
  it('only saveCheckpointSteps given: saves every N steps, no 600 s timer', async () => {
    const dir = tmpDir();
    await train({ checkpointDir: dir, saveCheckpointSteps: 3, saveSummariesSteps: null, logStepCountSteps: null }, 6);
    const steps = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.index'))
      .map((f) => Number(/-(\d+)\./.exec(f)![1]))
      .sort((a, b) => a - b);
    expect(steps).toEqual([0, 3, 6]);
  });

  it("both checkpoint periods given: the reference page's rule, seconds only, one warning naming saveCheckpointSteps (TF 2.21 raises)", async () => {
    const dir = tmpDir();
    // A clock the test moves: 61 s pass after step 3. Steps every 2 would save at 2, 4, 6.
    let now = performance.now();
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    const capture = logging.captureLogs();
    try {
      const sess = await MonitoredTrainingSession({
        graph: loadFixtureGraph('linear'),
        hooks: [new StopAtStepHook({ lastStep: 7 })],
        checkpointDir: dir,
        saveCheckpointSecs: 60,
        saveCheckpointSteps: 2,
        saveSummariesSteps: null,
        logStepCountSteps: null,
      });
      let step = 1;
      await sess.using(async (s) => {
        while (!s.shouldStop()) {
          await s.run('train', feeds(step));
          if (step++ === 3) now += 61_000;
        }
      });
    } finally {
      clock.mockRestore();
      capture.restore();
    }
    const steps = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.index'))
      .map((f) => Number(/-(\d+)\./.exec(f)![1]))
      .sort((a, b) => a - b);
    expect(steps).toEqual([0, 4, 7]);
    const warnings = capture.records.filter((r) => r.message.includes('saveCheckpointSteps'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain('ignored');
  });

  it('only saveSummariesSecs given: summaries by time (here: only the first run)', async () => {
    const dir = tmpDir();
    await train({ checkpointDir: dir, saveSummariesSecs: 3600, saveCheckpointSecs: null, logStepCountSteps: null }, 4);
    const kinds = await eventKinds(eventFiles(dir)[0]);
    expect(kinds.filter((k) => k.startsWith('summary') || k.startsWith('session_log'))).toEqual([
      'session_log START 1',
      'summary loss_1 1',
    ]);
  });
});

describe('MonitoredTrainingSession beyond Python', () => {
  it('closes the events files on close: the final CHECKPOINT of end() is readable at once (§8.5)', async () => {
    const dir = tmpDir();
    // Saves at creation (0) and then every 4 steps; the end() save at 6 comes after the summary flush.
    const { sess } = await train({ checkpointDir: dir, saveCheckpointSteps: 4 }, 6);
    expect(sess.stopReason).toBe('hook-request');
    const events = await readEvents(eventFiles(dir)[0]);
    const last = events[events.length - 1];
    expect(last.what.case).toBe('sessionLog');
    expect(Number(last.step)).toBe(6);
  });

  it('a second session in the same process and directory writes a new events file with the graph first', async () => {
    const dir = tmpDir();
    await train({ checkpointDir: dir, saveCheckpointSteps: 2 }, 2);
    await train({ checkpointDir: dir, saveCheckpointSteps: 2 }, 4);
    const files = eventFiles(dir);
    expect(files).toHaveLength(2);
    const second = await eventKinds(files[1]);
    expect(second.slice(0, 6)).toEqual([
      'file_version',
      'graph_def',
      'meta_graph_def',
      'graph_def',
      'meta_graph_def',
      'session_log CHECKPOINT 2',
    ]);
  });

  it('writes the first graph event before the global step read op exists, as Python (§8.6)', async () => {
    const dir = tmpDir();
    await train({ checkpointDir: dir }, 1);
    const events = await readEvents(eventFiles(dir)[0]);
    const graphs = events.filter((e) => e.what.case === 'graphDef').map((e) => Buffer.from(e.what.value as Uint8Array).toString('latin1'));
    expect(graphs).toHaveLength(2);
    expect(graphs[0].includes('global_step/add')).toBe(false);
    expect(graphs[1].includes('global_step/add')).toBe(true);
    expect(graphs[1].includes('report_uninitialized_variables')).toBe(true);
  });

  it('un-finalizes the graph on close, so it can be trained again', async () => {
    const graph = loadFixtureGraph('linear');
    const capture = logging.captureLogs();
    try {
      const sess = await MonitoredTrainingSession({ graph });
      expect(graph.finalized).toBe(true);
      await sess.close();
      expect(graph.finalized).toBe(false);
      const again = await MonitoredTrainingSession({ graph });
      await again.close();
    } finally {
      capture.restore();
    }
  });

  it('passes the session config to every session', async () => {
    class GetSession extends SessionRunHook {
      session: unknown = null;
      override afterCreateSession(session: unknown): void {
        this.session = session;
      }
    }
    const hook = new GetSession();
    const sess = await open({ config: { interOpParallelismThreads: 1, intraOpParallelismThreads: 1 }, hooks: [hook] });
    expect((hook.session as { listDevices(): unknown[] }).listDevices().length).toBeGreaterThan(0);
    await sess.close();
    await expect(open({ config: { noSuchField: 1 } as never })).rejects.toMatchObject({ name: 'ArgumentError' });
  });

  it('logs the files it writes where Python does', async () => {
    const dir = tmpDir();
    const { logs } = await train({ checkpointDir: dir, saveCheckpointSteps: 2, saveSummariesSteps: 2, logStepCountSteps: 2 }, 2);
    expect(fs.existsSync(path.join(dir, 'graph.pbtxt'))).toBe(true);
    expect(
      logs
        .filter((r) => r.level === logging.Level.INFO)
        .map((r) => r.message)
        .slice(0, 7),
    ).toEqual([
      'Create CheckpointSaverHook.',
      'Graph was finalized.',
      'Running local_init_op.',
      'Done running local_init_op.',
      'Calling checkpoint listeners before saving checkpoint 0...',
      `Saving checkpoints for 0 into ${dir}/model.ckpt.`,
      'Calling checkpoint listeners after saving checkpoint 0...',
    ]);
  });
});

describe('MonitoredTrainingSession({ syncRuns: true })', () => {
  it('trains exactly as the async runs do: same checkpoints, values and events', async () => {
    const dirs = [tmpDir(), tmpDir()];
    const opts = { saveCheckpointSteps: 2, saveSummariesSteps: 2, logStepCountSteps: 2 };
    await train({ checkpointDir: dirs[0], ...opts }, 6);
    await train({ checkpointDir: dirs[1], ...opts, syncRuns: true }, 6);
    const ckpts = dirs.map((d) =>
      fs
        .readdirSync(d)
        .filter((f) => f.startsWith('model.ckpt-'))
        .sort(),
    );
    expect(ckpts[1]).toEqual(ckpts[0]);
    const { loadCheckpoint } = await import('../../lib/checkpoint/checkpoint-reader');
    const values = dirs.map((d) => {
      const r = loadCheckpoint(path.join(d, 'model.ckpt-6'));
      const v = ['w', 'b'].map((k) => Array.from(r.getTensor(k).data as Float32Array));
      r.close();
      return v;
    });
    expect(values[1]).toEqual(values[0]);
    const kinds = await Promise.all(dirs.map((d) => eventKinds(eventFiles(d)[0])));
    expect(kinds[1]).toEqual(kinds[0]);
  });

  it('makes a step synchronous unless a checkpoint is saved: run() returns it done', async () => {
    // A hook added last sees afterRun only once every hook before it is done: if that has happened
    // before run() returns, nothing in the step (hooks, wrappers, the runs) waited for a Promise.
    // The step counter and the summary saver log and write on steps 1, 5, 9 (synchronously too);
    // the checkpoint saver reads the global step after every run, as in Python (TF 2.x).
    let afterRuns = 0;
    class Last extends SessionRunHook {
      override afterRun(): void {
        afterRuns++;
      }
    }
    const dir = tmpDir();
    const opts = { saveCheckpointSteps: 100, saveSummariesSteps: 4, logStepCountSteps: 4, syncRuns: true };
    const sess = await open({ checkpointDir: dir, ...opts, hooks: [new Last()] });
    expect(names(sess.hooks)).toEqual(['StepCounterHook', 'SummarySaverHook', 'CheckpointSaverHook', 'Last']);
    const settledAtReturn: boolean[] = [];
    for (let step = 1; step <= 12; step++) {
      const before = afterRuns;
      const p = sess.run('train', feeds(step));
      settledAtReturn.push(afterRuns === before + 1);
      await p;
    }
    expect(afterRuns).toBe(12);
    // Every step but those after which the event loop was due a turn (syncRuns yields every 20 ms:
    // 2 of the 12 here; a slow machine has more).
    expect(settledAtReturn.filter(Boolean).length).toBeGreaterThanOrEqual(6);
    await sess.close();
    // What the synchronous steps wrote: START, the summaries of steps 1, 5, 9, and global_step/sec.
    const kinds = await eventKinds(eventFiles(dir)[0]);
    expect(kinds).toContain('session_log START 1');
    expect(kinds.filter((k) => k.startsWith('summary loss_1')).length).toBe(3);
    expect(kinds.filter((k) => k.startsWith('summary global_step/sec')).length).toBe(2);
  });

  it('is ignored with queue runners, whose enqueues must go on while a step waits', async () => {
    const capture = logging.captureLogs();
    try {
      const sess = await MonitoredTrainingSession({
        graph: loadFixtureGraph('queue'),
        syncRuns: true,
        hooks: [new StopAtStepHook({ lastStep: 5 })],
      });
      let n = 0;
      await sess.using(async (s) => {
        while (!s.shouldStop()) {
          await s.run('train');
          n++;
        }
      });
      expect(n).toBe(5);
    } finally {
      capture.restore();
    }
  });
});
