import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../lib/graph-io/graph';
import type { Tensor } from '../../lib/core/tensor';
import { MonitoredSession, SingularMonitoredSession } from '../../lib/train/monitored-session';
import { StopAtStepHook } from '../../lib/hooks/basic/stop-at-step-hook';
import { ArgumentError } from '../../lib/core/errors';

const meta = path.resolve(__dirname, '..', 'fixtures', 'linear', 'model.meta');
const ckptDir = path.resolve(__dirname, '..', 'fixtures', 'linear', 'ckpt');
const feeds = { 'x:0': [0, 0.5, 1, 1.5], 'y:0': [1, 2, 3, 4] };

describe('MonitoredSession without a session creator', () => {
  it('uses a ChiefSessionCreator of the graph, as Python does', async () => {
    const graph = await Graph.load(meta);
    const sess = await MonitoredSession.create({ graph, hooks: [new StopAtStepHook({ lastStep: 3 })] });
    let steps = 0;
    while (!sess.shouldStop()) {
      await sess.run('train', feeds);
      steps++;
    }
    await sess.close();
    expect(steps).toBe(3);
    const single = await SingularMonitoredSession.create({ graph });
    const step = await single.rawSession()!.run('global_step:0');
    expect((step as Tensor).scalar()).toBe(0n); // a fresh session: initialized, not restored
    await single.close();
  });

  it('needs a graph when there is no creator', async () => {
    await expect(MonitoredSession.create({})).rejects.toThrow(ArgumentError);
    await expect(MonitoredSession.create({})).rejects.toThrow(/or no sessionCreator and a graph/);
  });
});

// Python's SingularMonitoredSession takes the chief creator's arguments itself; they were ignored.
describe("SingularMonitoredSession with the chief session creator's arguments", () => {
  it('restores from checkpointDir (and checkpointFilenameWithPath), and rejects a session creator beside them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-sms-'));
    for (const f of fs.readdirSync(ckptDir)) fs.copyFileSync(path.join(ckptDir, f), path.join(dir, f));
    const graph = await Graph.load(meta);
    const fromDir = await SingularMonitoredSession.create({ graph, checkpointDir: dir, master: '' });
    expect(((await fromDir.rawSession()!.run('global_step:0')) as Tensor).scalar()).toBe(3n);
    await fromDir.close();
    const fromFile = await SingularMonitoredSession.create({ graph, checkpointFilenameWithPath: path.join(dir, 'model.ckpt-3') });
    expect(((await fromFile.rawSession()!.run('global_step:0')) as Tensor).scalar()).toBe(3n);
    await fromFile.close();
    const bad = (opts: object) =>
      SingularMonitoredSession.create({ graph, ...opts } as never).then(
        () => null,
        (e) => e,
      );
    for (const [opts, param] of [
      [{ master: 5 }, 'master'],
      [{ scaffold: {} }, 'scaffold'],
      [{ checkpointDir: dir, sessionCreator: { createSession: async () => null } }, 'sessionCreator'],
      [{ checkpointdir: dir }, 'checkpointdir'],
      [{ syncRuns: 'no' }, 'syncRuns'],
    ] as const) {
      const e = await bad(opts);
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.param).toBe(param);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('MonitoredSession and its recovery options reject unknown names', async () => {
    const graph = await Graph.load(meta);
    for (const [opts, param] of [
      [{ sessionCreater: null }, 'sessionCreater'],
      [{ recovery: { maxRecoveryAttempt: 1 } }, 'maxRecoveryAttempt'],
    ] as const) {
      const e = await MonitoredSession.create({ graph, ...opts } as never).then(
        () => null,
        (x) => x,
      );
      expect(e).toBeInstanceOf(ArgumentError);
      expect(e.param).toBe(param);
      expect(e.message).toMatch(/^Unknown option '\w+' for (MonitoredSession|recovery) \(known options: /);
    }
  });
});
