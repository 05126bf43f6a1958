/**
 * MonitoredTrainingSession in child processes: opt-in signal handling (SIGTERM/SIGINT stop after the
 * current step, end() hooks write the final checkpoint, the session closes), and a chief and a
 * worker of one TF gRPC cluster with a configurable worker poll interval.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, runTs, startTs } from '../support/child';
import { tmpDir } from './support';

const CHILDREN = path.join(__dirname, 'children');

describe('MonitoredTrainingSession({ handleSignals: true })', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s: stops after the current step, writes the final checkpoint and exits normally',
    async (signal) => {
      const dir = tmpDir();
      const { child, line, output } = startTs(path.join(CHILDREN, 'signal-train.ts'), [dir], /READY/);
      await line;
      child.kill(signal);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      const { out, err } = output();
      expect(code, `${out}\n${err}`).toBe(0);
      const done = JSON.parse(/DONE (.*)/.exec(out)![1]) as { reason: string; steps: number; listeners: number };
      expect(done.reason).toBe('signal');
      expect(done.steps).toBeGreaterThanOrEqual(5);
      expect(done.listeners).toBe(0);
      // Saved at creation (0) and by end() at the last step.
      expect(fs.existsSync(path.join(dir, `model.ckpt-${done.steps}.index`))).toBe(true);
      expect(fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8').split('\n')[0]).toBe(
        `model_checkpoint_path: "${dir}/model.ckpt-${done.steps}"`,
      );
      expect(err).toContain(`WARNING:tensorflow:Received ${signal}: stopping after the current step`);
    },
  );
});

describe('MonitoredTrainingSession({ handleSignals: true, syncRuns: true })', () => {
  it('a tight loop of synchronous steps still stops on SIGTERM after the current step and writes the final checkpoint', async () => {
    const dir = tmpDir();
    const { child, line, output } = startTs(path.join(CHILDREN, 'signal-train.ts'), [dir, 'sync'], /READY/);
    await line;
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const { out, err } = output();
    expect(code, `${out}\n${err}`).toBe(0);
    const done = JSON.parse(/DONE (.*)/.exec(out)![1]) as { reason: string; steps: number };
    expect(done.reason).toBe('signal');
    expect(done.steps).toBeGreaterThan(5);
    expect(fs.existsSync(path.join(dir, `model.ckpt-${done.steps}.index`))).toBe(true);
  });
});

describe('MonitoredTrainingSession chief and worker on a TF cluster', () => {
  it('the worker waits for the chief, polling every workerPollIntervalSecs, then trains on the shared variables', async () => {
    const port = await freePort();
    const r = runTs(path.join(CHILDREN, 'cluster.ts'), [String(port)]);
    const m = /RESULT (.*)/.exec(r.stdout);
    expect(m, `${r.stdout}\n${r.stderr}`).not.toBeNull();
    const result = JSON.parse(m![1]) as { chiefSteps: number[]; workerSteps: number[]; waits: string[]; waitCount: number };
    expect(result.chiefSteps).toEqual([1, 2, 3]);
    expect(result.workerSteps).toEqual([4, 5]);
    expect(result.waitCount).toBeGreaterThanOrEqual(1);
    expect(result.waits[0]).toBe(
      'Waiting for model to be ready.  Ready_for_local_init_op:  Variables not initialized: global_step, w, b, ready: None',
    );
  });
});
