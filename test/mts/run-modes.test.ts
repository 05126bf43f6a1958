/**
 * The monitored session's run modes with real TF runs: 'auto' (the default) runs short steps on
 * the JS thread, gives the event loop a turn at least every `maxBlockMs` (steps that save a
 * checkpoint included), and every mode trains to the same values.
 */
import { describe, expect, it } from 'vitest';
import { isThenable } from '../../lib/core/maybe-promise';
import type { Session } from '../../lib/core/session';
import type { RunMode } from '../../lib/core/run-scheduler';
import { SessionRunHook } from '../../lib/hooks/session-run-hook';
import { MonitoredTrainingSession } from '../../lib/train/monitored-training-session';
import { CheckpointReader } from '../../lib/checkpoint/checkpoint-reader';
import { latestCheckpointSync as latestCheckpoint } from '../../lib/checkpoint/checkpoint-state';
import type { SessionLike } from '../../lib/core/session-like';
import { captureLogs } from '../../lib/core/logging';
import { counterGraph, tmpDir } from './support';

/** Counts where the raw session's runs happened: a value from runWith ran on the JS thread. */
class WhereRunsRan extends SessionRunHook {
  onThread = 0;
  onPool = 0;
  threadRunMs: number[] = [];
  override afterCreateSession(session: SessionLike): void {
    const raw = session as Session;
    const runWith = raw.runWith.bind(raw);
    (raw as { runWith: unknown }).runWith = (...args: Parameters<Session['runWith']>) => {
      const t0 = performance.now();
      const r = runWith(...args);
      if (isThenable(r)) this.onPool++;
      else {
        this.onThread++;
        this.threadRunMs.push(performance.now() - t0);
      }
      return r;
    };
  }
}

/**
 * Counts turns of the event loop that ran timers: a 1 ms timer that sets itself again (at most
 * one count per millisecond, so an idle loop does not spin).
 */
function turnCounter() {
  let turns = 0;
  let on = true;
  const tick = () => {
    if (!on) return;
    turns++;
    setTimeout(tick, 1);
  };
  setTimeout(tick, 1);
  return {
    stop: () => {
      on = false;
      return turns;
    },
  };
}

async function train(
  mode: RunMode | undefined,
  steps: number,
  opts: { maxBlockMs?: number; saveCheckpointSteps?: number | null; saveSummariesSteps?: number | null } = {},
) {
  const graph = await counterGraph();
  const where = new WhereRunsRan();
  const dir = tmpDir('tfm-run-modes-');
  const ws: number[] = [];
  const stepMs: number[] = [];
  let turns = 0;
  let loopMs = 0;
  const logs = captureLogs(); // the hooks' INFO lines are not what this test reads
  try {
    const sess = await MonitoredTrainingSession({
      graph,
      checkpointDir: dir,
      hooks: [where],
      saveSummariesSteps: opts.saveSummariesSteps === undefined ? 5 : opts.saveSummariesSteps,
      saveCheckpointSteps: opts.saveCheckpointSteps === undefined ? 10 : opts.saveCheckpointSteps,
      ...(mode ? { runMode: mode } : {}),
      ...(opts.maxBlockMs ? { maxBlockMs: opts.maxBlockMs } : {}),
    });
    const counter = turnCounter();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const s0 = performance.now();
      const { w } = await sess.run({ w: 'w/read:0', train: 'train' });
      stepMs.push(performance.now() - s0);
      ws.push((w!.data as Float32Array)[0]);
    }
    loopMs = performance.now() - t0;
    turns = counter.stop();
    await sess.close();
  } finally {
    logs.restore();
  }
  let saved: number[] = [];
  const latest = latestCheckpoint(dir);
  if (latest) {
    const reader = new CheckpointReader(latest);
    saved = [...new Uint8Array((reader.getTensor('w').data as Float32Array).buffer)];
    reader.close();
  }
  return { ws, where, turns, loopMs, stepMs, saved, latest };
}

describe('MonitoredTrainingSession run modes', () => {
  it("'auto' is the default and runs short steps (and the hooks' runs) on the JS thread", async () => {
    const { where } = await train(undefined, 60);
    expect(where.onThread).toBeGreaterThan(where.onPool);
    const async_ = await train('async', 10);
    expect(async_.where.onThread).toBe(0);
  });

  it('trains to the same values in every mode (each step, and the final checkpoint)', async () => {
    const runs = { auto: await train('auto', 25), async: await train('async', 25), sync: await train('sync', 25) };
    expect(runs.auto.ws).toEqual(runs.async.ws);
    expect(runs.sync.ws).toEqual(runs.async.ws);
    expect(runs.auto.saved).toEqual(runs.async.saved);
    expect(runs.sync.saved).toEqual(runs.async.saved);
    expect(runs.auto.latest!.endsWith('model.ckpt-25')).toBe(true);
  });

  it('gives the event loop turns as maxBlockMs asks, in steps that save a checkpoint too', async () => {
    const maxBlockMs = 2;
    // Blocking for at most about maxBlockMs between turns: a turn every maxBlockMs / (a typical
    // step) steps. Counted, not timed: a slower machine makes steps longer and turns more
    // frequent alike, and the median step ignores the moments the OS took the CPU away (those
    // make one step long, not every step). Half of that, for slack.
    const atLeast = (r: Awaited<ReturnType<typeof train>>) => {
      const steps = [...r.stepMs].sort((a, b) => a - b);
      const median = steps[Math.floor(steps.length / 2)];
      return Math.floor((steps.length * median) / maxBlockMs / 2);
    };
    // Without saves or summaries nothing else turns the loop: the scheduler's turns are all there is.
    const quiet = { saveCheckpointSteps: null, saveSummariesSteps: null };
    const plain = await train('auto', 200, { maxBlockMs, ...quiet });
    expect(plain.where.onThread).toBeGreaterThan(150);
    expect(plain.turns).toBeGreaterThanOrEqual(atLeast(plain));
    // A checkpoint every 4 steps: a turn is due in or next to most saving steps.
    const saving = await train('auto', 200, { maxBlockMs, saveCheckpointSteps: 4 });
    expect(saving.where.onThread).toBeGreaterThan(100);
    expect(saving.turns).toBeGreaterThanOrEqual(atLeast(saving));
    // The counter counts only real turns: 'sync' with a budget of a minute gives none in 200 steps.
    const sync = await train('sync', 200, { maxBlockMs: 60_000, ...quiet });
    expect(sync.turns).toBeLessThanOrEqual(1);
  });
});
