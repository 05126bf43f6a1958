/**
 * A tensor that is fed and fetched in one run gives the fed value, as Python's Session.run does
 * (TF itself refuses: "is both fed and fetched"); with nothing else to do, TF is not run at all.
 * TF's own test of it: basic_session_run_hooks_test FinalOpsHookTest.test_final_ops_with_dictionary.
 */
import { describe, expect, it, vi } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { Tensor } from '../../lib/core/tensor';
import { FinalOpsHook } from '../../lib/hooks/basic/final-ops-hook';
import { MonitoredSession } from '../../lib/train/monitored-session';
import { ChiefSessionCreator } from '../../lib/train/session-creators';
import { Scaffold } from '../../lib/checkpoint/scaffold';

function graph(): Graph {
  const g = new Graph();
  const ph = g.addOp({ type: 'Placeholder', name: 'ph', attrs: { dtype: 'float32', shape: [2] } });
  const two = g.addOp({ type: 'Const', name: 'two', attrs: { dtype: 'float32', value: [2, 2] } });
  g.addOp({ type: 'Mul', name: 'double', inputs: [ph, two] });
  return g;
}

const values = (t: unknown) => [...((t as Tensor).data as Float32Array)];

describe('a fetch that is also fed', () => {
  it('gives the fed value: by name, as an Output, twice, nested, with and without other fetches, in every run path', async () => {
    const g = graph();
    for (const mode of ['async', 'auto', 'sync'] as const) {
      const sess = new Session(g, { runMode: mode });
      const feeds = { 'ph:0': [4, -3] };
      expect(values(await sess.run('ph:0', feeds))).toEqual([4, -3]);
      expect(values(sess.runSync(g.tensor('ph:0'), feeds))).toEqual([4, -3]);
      const r = await sess.run({ a: 'ph:0', b: [g.tensor('ph:0'), 'double:0'], c: { d: 'ph:0' } }, feeds);
      expect(values(r.a)).toEqual([4, -3]);
      expect(values(r.b[0])).toEqual([4, -3]);
      expect(values(r.b[1])).toEqual([8, -6]);
      expect(values(r.c.d)).toEqual([4, -3]);
      // A fed intermediate tensor: its consumers see the fed value, and so does the caller.
      const mid = await sess.run(['double:0', 'ph:0'], { 'double:0': [1, 1], 'ph:0': [5, 5] });
      expect(mid.map(values)).toEqual([
        [1, 1],
        [5, 5],
      ]);
      await sess.close();
    }
  });

  it('makes no TF run when every fetch is fed and there is no target', async () => {
    const sess = new Session(graph());
    const native = (sess as unknown as { nativeSession: { runSync: () => unknown; run: () => unknown } }).nativeSession;
    const runSync = vi.spyOn(native, 'runSync');
    const run = vi.spyOn(native, 'run');
    expect(values(sess.runSync(['ph:0', 'ph:0'], { 'ph:0': [1, 2] })[1])).toEqual([1, 2]);
    expect(values(await sess.run({ x: 'ph:0' }, { 'ph:0': [3, 4] }).then((o) => o.x))).toEqual([3, 4]);
    expect(runSync).not.toHaveBeenCalled();
    expect(run).not.toHaveBeenCalled();
    await sess.run('double:0', { 'ph:0': [1, 1] });
    expect(run).toHaveBeenCalledTimes(1);
    await sess.close();
  });

  it('test_final_ops_with_dictionary: FinalOpsHook(finalOps ph, finalOpsFeedDict { ph: [4, -3] }) gives [4, -3]', async () => {
    const g = graph();
    const hook = new FinalOpsHook({ finalOps: 'ph:0', finalOpsFeedDict: { 'ph:0': Tensor.from([4, -3], 'float32') } });
    const sess = await MonitoredSession.create({
      sessionCreator: new ChiefSessionCreator({ graph: g, scaffold: new Scaffold({ initOp: 'two' }) }),
      hooks: [hook],
      graph: g,
    });
    await sess.close();
    expect(values(hook.finalOpsValues)).toEqual([4, -3]);
  });
});
