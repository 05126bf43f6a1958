/**
 * Issue 13, point 2: when the latest checkpoint does not load (0-byte `.index`, truncated `.data`),
 * the chief resumes from the newest older one that does, and says so in a warning naming both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataLossError } from '../../lib/core/errors';
import { CheckpointSaverHook } from '../../lib/hooks/basic/checkpoint-saver-hook';
import { getCheckpointState } from '../../lib/checkpoint/checkpoint-state';
import { captureLogs, Level } from '../../lib/core/logging';
import { MonitoredSession } from '../../lib/train/monitored-session';
import { Scaffold } from '../../lib/checkpoint/scaffold';
import { ChiefSessionCreator } from '../../lib/train/session-creators';
import { catchError } from '../support/errors';
import { SESSION_CONFIG, cleanupTmp, tmp } from './support';
import { model } from './train-model';

afterAll(cleanupTmp);

/** A chief session of the train-model graph over `dir`, saving every step. */
async function chief(dir: string): Promise<MonitoredSession> {
  const graph = model(2, 8);
  const scaffold = new Scaffold();
  return MonitoredSession.create({
    sessionCreator: new ChiefSessionCreator({ graph, scaffold, checkpointDir: dir, config: SESSION_CONFIG }),
    hooks: [new CheckpointSaverHook({ checkpointDir: dir, saveSteps: 1, scaffold, graph })],
    graph,
  });
}

async function valuesOf(sess: MonitoredSession): Promise<number[]> {
  const got = await sess.run({ step: 'global_step:0', min: 'min:0', max: 'max:0' });
  return [Number(got.step!.scalar()), Number(got.min!.scalar()), Number(got.max!.scalar())];
}

/** Checkpoints 0..3 (saved on creation, then after each of 3 steps). */
async function trained(): Promise<string> {
  const dir = tmp('tfm-fallback-');
  const sess = await chief(dir);
  for (let i = 0; i < 3; i++) await sess.run('train');
  await sess.close();
  expect((await getCheckpointState(dir))!.modelCheckpointPath).toBe(path.join(dir, 'model.ckpt-3'));
  return dir;
}

const damages: Record<string, (prefix: string) => void> = {
  '0-byte .index': (p) => fs.truncateSync(`${p}.index`, 0),
  'truncated .data': (p) => fs.truncateSync(`${p}.data-00000-of-00001`, fs.statSync(`${p}.data-00000-of-00001`).size >> 1),
};

describe('the chief restoring a damaged latest checkpoint', () => {
  for (const [what, damage] of Object.entries(damages)) {
    it(`${what}: resumes from the previous checkpoint and logs which (a warning naming both)`, async () => {
      const dir = await trained();
      damage(path.join(dir, 'model.ckpt-3'));
      const logs = captureLogs();
      let sess: MonitoredSession;
      try {
        sess = await chief(dir);
      } finally {
        logs.restore();
      }
      expect(await valuesOf(sess)).toEqual([2, 2, 2]);
      const warnings = logs.messages(Level.WARN).filter((m) => m.includes('could not be restored'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`latest checkpoint ${path.join(dir, 'model.ckpt-3')} could not be restored`);
      expect(warnings[0]).toContain(`restored ${path.join(dir, 'model.ckpt-2')} instead`);
      expect(warnings[0]).toContain('DataLossError');
      // Training goes on from there; the next save of step 3 replaces the damaged files.
      await sess.run('train');
      await sess.close();
      const again = await chief(dir);
      expect(await valuesOf(again)).toEqual([3, 3, 3]);
      await again.close();
    });
  }

  it("the two newest damaged: resumes from the third, the warning names both; all damaged: the latest one's error, not step 0", async () => {
    const dir = await trained();
    const prefix = (s: number) => path.join(dir, `model.ckpt-${s}`);
    damages['0-byte .index'](prefix(3));
    damages['truncated .data'](prefix(2));
    const logs = captureLogs();
    try {
      const sess = await chief(dir);
      expect(await valuesOf(sess)).toEqual([1, 1, 1]);
      const warning = logs.messages(Level.WARN).find((m) => m.includes('could not be restored'))!;
      expect(warning).toContain(`restored ${prefix(1)} instead`);
      expect(warning).toContain(`Not loaded: ${prefix(3)} (DataLossError`);
      expect(warning).toContain(`; ${prefix(2)} (DataLossError`);
      await sess.close();
      for (const p of (await getCheckpointState(dir))!.allModelCheckpointPaths) damages['0-byte .index'](p);
      const e = await catchError(chief(dir));
      expect(e).toBeInstanceOf(DataLossError);
      expect(e.message).toContain(prefix(1));
    } finally {
      logs.restore();
    }
  });
});
