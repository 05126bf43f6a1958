import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import type { Tensor } from '../../lib/core/tensor';
import { MonitoredSession, SingularMonitoredSession } from '../../lib/train/monitored-session';
import { StopAtStepHook } from '../../lib/hooks/basic/stop-at-step-hook';
import { ArgumentError } from '../../lib/core/errors';

const meta = path.resolve(__dirname, '..', 'fixtures', 'linear', 'model.meta');
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
    const step = await single.rawSession().run('global_step:0');
    expect((step as Tensor).scalar()).toBe(0n); // a fresh session: initialized, not restored
    await single.close();
  });

  it('needs a graph when there is no creator', async () => {
    await expect(MonitoredSession.create({})).rejects.toThrow(ArgumentError);
    await expect(MonitoredSession.create({})).rejects.toThrow(/or no sessionCreator and a graph/);
  });
});
