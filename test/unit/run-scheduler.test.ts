/**
 * RunScheduler's choices, on a clock the test moves: where each run goes, when the event loop
 * gets a turn, how the per-plan estimate follows the measured durations.
 */
import { describe, expect, it } from 'vitest';
import { RunScheduler, newRunTiming } from '../../lib/core/run-scheduler';
import { ArgumentError } from '../../lib/core/errors';

function clock() {
  let t = 1000;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('RunScheduler', () => {
  it("'auto' sends a plan's first run to the pool, then short runs to the JS thread and long ones to the pool", () => {
    const c = clock();
    const s = new RunScheduler('auto', 10, c.now);
    const short = newRunTiming();
    expect(s.place(short)).toBe('pool');
    s.record(short, 40); // first run: TF builds its executor
    s.turned();
    expect(s.place(short)).toBe('pool');
    s.record(short, 0.5); // the second run replaces the first one's time
    s.turned();
    expect(short.estimateMs).toBe(0.5);
    expect(s.place(short)).toBe('thread');

    const long = newRunTiming();
    s.record(long, 30);
    s.record(long, 25);
    expect(s.place(long)).toBe('pool');
  });

  it('a run longer than expected raises the estimate at once; shorter runs lower it gradually', () => {
    const s = new RunScheduler('auto', 10, clock().now);
    const t = newRunTiming();
    s.record(t, 1);
    s.record(t, 1);
    s.record(t, 50);
    expect(t.estimateMs).toBe(50);
    expect(s.place(t)).toBe('pool');
    let pooled = 0;
    while (s.place(t) === 'pool') {
      s.record(t, 1);
      pooled++;
    }
    expect(pooled).toBeGreaterThan(1);
    expect(t.estimateMs).toBeLessThan(10);
  });

  it("a pool run's latency (an upper bound of the run's time) replaces the estimate", () => {
    const s = new RunScheduler('auto', 10, clock().now);
    const t = newRunTiming();
    s.record(t, 50, true);
    s.record(t, 13, true);
    expect(s.place(t)).toBe('pool');
    s.record(t, 0.8, true);
    expect(t.estimateMs).toBe(0.8);
    expect(s.place(t)).toBe('thread');
  });

  it('gives the event loop a turn before the blocked time since the last one would pass maxBlockMs', () => {
    const c = clock();
    const s = new RunScheduler('auto', 10, c.now);
    const t = newRunTiming();
    s.record(t, 2);
    s.record(t, 2);
    s.turned();
    const places: string[] = [];
    for (let i = 0; i < 12; i++) {
      const p = s.place(t);
      places.push(p);
      if (p === 'yield')
        s.turned(); // what yieldTurn() records when its setImmediate runs
      else c.advance(2); // a run of 2 ms on the JS thread
    }
    // 2 ms runs, 10 ms budget: five runs (10 ms), then a turn before the sixth would make it 12.
    expect(places.join(' ')).toBe('thread thread thread thread thread yield thread thread thread thread thread yield');
  });

  it("'sync' always runs on the JS thread, yielding every maxBlockMs; 'async' always on the pool", () => {
    const c = clock();
    const sync = new RunScheduler('sync', 5, c.now);
    const t = newRunTiming();
    expect(sync.place(t)).toBe('thread');
    c.advance(6);
    expect(sync.place(t)).toBe('yield');
    const async_ = new RunScheduler('async', 5, c.now);
    async_.record(t, 0.01);
    expect(async_.place(t)).toBe('pool');
  });

  it('yieldTurn() resolves after a turn of the event loop (a setImmediate queued before it runs first)', async () => {
    const s = new RunScheduler('auto', 10);
    const order: string[] = [];
    setImmediate(() => order.push('other'));
    await s.yieldTurn();
    order.push('after yield');
    expect(order).toEqual(['other', 'after yield']);
    expect(s.yields).toBe(1);
  });

  it('rejects a bad mode or maxBlockMs with an ArgumentError naming it', () => {
    expect(() => new RunScheduler('fast' as never)).toThrow(ArgumentError);
    expect(() => new RunScheduler('fast' as never)).toThrow(/runMode/);
    for (const bad of [0, -1, NaN, Infinity, '5']) {
      expect(() => new RunScheduler('auto', bad as never)).toThrow(/maxBlockMs/);
    }
  });
});
