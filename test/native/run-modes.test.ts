/**
 * Session run modes (lib/core/run-scheduler.ts) with real TF runs: 'auto' keeps long runs off the
 * JS thread and short ones on it; every mode computes the same values.
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { RunScheduler } from '../../lib/core/run-scheduler';
import { isThenable } from '../../lib/core/maybe-promise';

/** A graph with a long run (a 2048² MatMul of random values: ~17 GFLOP, tens of ms even on a fast machine) and a short one. */
function graph(): Graph {
  const g = new Graph();
  const n = 2048;
  const dims = g.addOp({ type: 'Const', name: 'dims', attrs: { dtype: 'int32', value: [n, n] } });
  // Random (stateful, seeded) so that TF cannot fold the product into a constant.
  const a = g.addOp({ type: 'RandomUniform', name: 'a', inputs: [dims], attrs: { dtype: 'float32', seed: 1, seed2: 2 } });
  g.addOp({ type: 'MatMul', name: 'long', inputs: [a, a] });
  g.addOp({
    type: 'Sum',
    name: 'long_sum',
    inputs: [g.operation('long').output(0), g.addOp({ type: 'Const', name: 'axes', attrs: { dtype: 'int32', value: [0, 1] } })],
  });
  const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [3] } });
  const w = g.addOp({ type: 'Const', name: 'w', attrs: { dtype: 'float32', value: [0.1, 0.2, 0.3] } });
  g.addOp({ type: 'Mul', name: 'short', inputs: [x, w] });
  return g;
}

/** Counts turns of the event loop (a 1 ms interval) while `p` is pending. */
async function ticksDuring<T>(start: () => T | Promise<T>): Promise<{ ticks: number; value: T }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const value = await start();
    return { ticks, value };
  } finally {
    clearInterval(timer);
  }
}

describe('Session run modes', () => {
  const g = graph();

  it("'auto': a long run goes to the pool (timers fire during it), a short one runs on the JS thread once its plan is known", async () => {
    const sess = new Session(g, { runMode: 'auto' });
    const s = sess.scheduler;
    for (let i = 0; i < 2; i++) {
      const r = sess.runWith(s, 'long_sum:0');
      expect(isThenable(r)).toBe(true);
      const { ticks } = await ticksDuring(() => r);
      expect(ticks).toBeGreaterThan(0);
    }
    const first = sess.runWith(s, 'short:0', { 'x:0': [1, 2, 3] });
    expect(isThenable(first)).toBe(true); // a plan never run before may block: the pool
    await first;
    await new Promise((r) => setImmediate(r));
    let values = 0;
    for (let i = 0; i < 20; i++) {
      const r = sess.runWith(s, 'short:0', { 'x:0': [1, 2, 3] });
      if (!isThenable(r)) values++;
      await r;
    }
    // Short runs come back as values (run within the call); a Promise only for the second run
    // (the estimate is still the first run's, which built TF's executor) or a turn of the loop.
    expect(values).toBeGreaterThan(10);
    await sess.close();
  });

  it("'sync' runs on the JS thread from the first run; 'async' never does; run() returns a Promise in every mode", async () => {
    // A budget of a minute: no turn of the event loop falls due within these runs, however slow
    // the machine (a due turn would, rightly, make a run wait for setImmediate).
    const sync = new Session(g, { runMode: 'sync', maxBlockMs: 60_000 });
    // A value, not a Promise: the run happened within this call, on the JS thread.
    expect(isThenable(sync.runWith(sync.scheduler, 'short:0', { 'x:0': [1, 2, 3] }))).toBe(false);
    expect(isThenable(sync.runWith(sync.scheduler, 'long_sum:0'))).toBe(false);
    const async_ = new Session(g);
    expect(async_.scheduler.mode).toBe('async');
    for (let i = 0; i < 3; i++) {
      const r = async_.runWith(async_.scheduler, 'short:0', { 'x:0': [1, 2, 3] });
      expect(isThenable(r)).toBe(true);
      await r;
    }
    for (const s of [sync, async_]) {
      const p = s.run('short:0', { 'x:0': [1, 2, 3] });
      expect(p).toBeInstanceOf(Promise);
      await p;
    }
    await Promise.all([sync.close(), async_.close()]);
  });

  it('computes the same values, bit for bit, in every mode', async () => {
    const out: Record<string, number[][]> = {};
    for (const mode of ['auto', 'async', 'sync'] as const) {
      const sess = new Session(g, { runMode: mode });
      out[mode] = [];
      for (let i = 0; i < 3; i++) {
        const { short, long } = await sess.run({ short: 'short:0', long: 'long_sum:0' }, { 'x:0': [i, i + 0.5, i / 3] });
        out[mode].push([...new Uint32Array(new Float32Array([...(short!.data as Float32Array), ...(long!.data as Float32Array)]).buffer)]);
      }
      await sess.close();
    }
    expect(out.auto).toEqual(out.async);
    expect(out.sync).toEqual(out.async);
  });

  it('rejects a bad runMode or maxBlockMs with an ArgumentError naming it', () => {
    expect(() => new Session(g, { runMode: 'fast' as never })).toThrow(/runMode/);
    expect(() => new Session(g, { maxBlockMs: -1 })).toThrow(/maxBlockMs/);
    expect(new RunScheduler('auto').maxBlockMs).toBe(10);
  });
});
