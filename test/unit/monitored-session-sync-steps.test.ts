/**
 * Synchronous steps: with `syncRuns` and hooks that return no Promise, the whole wrapper chain
 * (MonitoredSession → Recoverable → Coordinated → Hooked → runSync) finishes a step before
 * `run()` returns; a hook's Promise makes the rest of that step wait for it, in the same order;
 * errors thrown synchronously still reach the caller as a rejected Promise, and a preemption
 * error thrown by a synchronous run is recovered from as an async one is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutOfRangeError, UnavailableError, ValueError } from '../../lib/core/errors';
import { SessionRunArgs, SessionRunHook } from '../../lib/hooks/session-run-hook';
import { type LogCapture, captureLogs } from '../../lib/core/logging';
import { MonitoredSession } from '../../lib/train/monitored-session';
import { StackSessionCreator, SyncFakeSession, TraceHook, numberOf } from '../support/fakes';

let logs: LogCapture;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
});

const values = { 'gs:0': 3, 'out:0': (feeds: Record<string, unknown>) => Number(feeds['ph:0'] ?? 0) * 2 };

/** A hook whose beforeRun and afterRun return Promises that settle on a later turn of the event loop. */
class SlowHook extends SessionRunHook {
  constructor(private readonly trace: string[]) {
    super();
  }
  override async beforeRun(): Promise<SessionRunArgs> {
    this.trace.push('slow.before');
    await new Promise((r) => setTimeout(r, 5));
    this.trace.push('slow.before settled');
    return new SessionRunArgs('gs:0');
  }
  override async afterRun(): Promise<void> {
    this.trace.push('slow.after');
    await new Promise((r) => setTimeout(r, 5));
    this.trace.push('slow.after settled');
  }
}

// maxBlockMs: 60 s: no turn of the event loop is due within these few steps, however loaded the
// machine (a due turn would, rightly, make a step wait for setImmediate).
describe('MonitoredSession steps with syncRuns', () => {
  it('finishes a step before run() returns when every hook answers synchronously', async () => {
    const trace: string[] = [];
    const raw = new SyncFakeSession('s', { trace, values });
    const h1 = new TraceHook('h1', trace, { request: new SessionRunArgs('gs:0') });
    const h2 = new TraceHook('h2', trace);
    const sess = await MonitoredSession.create({
      sessionCreator: new StackSessionCreator([raw]),
      hooks: [h1, h2],
      syncRuns: true,
      maxBlockMs: 60_000,
    });
    trace.length = 0;
    const p = sess.run('out:0', { 'ph:0': 4 });
    expect(trace).toEqual(['h1.before', 'h2.before', 's.runSync', 'h1.after', 'h2.after']);
    expect(numberOf(await p)).toBe(8);
    expect(numberOf(h1.lastValues!.results)).toBe(3);
    expect([raw.syncRuns, raw.asyncRuns]).toEqual([1, 0]);
    await sess.close();
  });

  it("waits for a hook's Promise before calling the next hook, and keeps Python's order", async () => {
    const trace: string[] = [];
    const raw = new SyncFakeSession('s', { trace, values });
    const hooks = [new TraceHook('h1', trace), new SlowHook(trace), new TraceHook('h3', trace)];
    const sess = await MonitoredSession.create({
      sessionCreator: new StackSessionCreator([raw]),
      hooks,
      syncRuns: true,
      maxBlockMs: 60_000,
    });
    trace.length = 0;
    const p = sess.run('out:0', { 'ph:0': 1 });
    expect(trace).toEqual(['h1.before', 'slow.before']);
    expect(numberOf(await p)).toBe(2);
    expect(trace).toEqual([
      'h1.before',
      'slow.before',
      'slow.before settled',
      'h3.before',
      's.runSync',
      'h1.after',
      'slow.after',
      'slow.after settled',
      'h3.after',
    ]);
    await sess.close();
  });

  it('turns an error thrown synchronously into a rejected Promise, and records why training stopped', async () => {
    const trace: string[] = [];
    const raw = new SyncFakeSession('s', { trace, values });
    const bad = new TraceHook('bad', trace, { throwIn: { method: 'before', error: () => new ValueError('bad hook') } });
    const sess = await MonitoredSession.create({
      sessionCreator: new StackSessionCreator([raw]),
      hooks: [bad],
      syncRuns: true,
      maxBlockMs: 60_000,
    });
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = sess.run('out:0');
    }).not.toThrow();
    await expect(p).rejects.toThrow(new ValueError('bad hook'));
    expect(sess.stopReason).toBe('error');
    expect(raw.syncRuns).toBe(0);
    await sess.close();
  });

  it('ends using() cleanly when a synchronous run throws OutOfRangeError (end() hooks run)', async () => {
    const trace: string[] = [];
    const raw = new SyncFakeSession('s', { trace, values, failOnRun: { n: 3, error: () => new OutOfRangeError('End of sequence') } });
    const h = new TraceHook('h', trace);
    const sess = await MonitoredSession.create({
      sessionCreator: new StackSessionCreator([raw]),
      hooks: [h],
      syncRuns: true,
      maxBlockMs: 60_000,
    });
    let steps = 0;
    const result = await sess.using(async (s) => {
      for (;;) {
        await s.run('out:0', { 'ph:0': 1 });
        steps++;
      }
    });
    expect(result).toBeUndefined();
    expect(steps).toBe(2);
    expect(h.calls).toMatchObject({ before: 3, after: 2, end: 1 });
    expect(sess.stopReason).toBe('out-of-range');
    expect(trace.slice(-3)).toEqual(['s.runSync', 'h.end', 's.close']);
  });

  it('recovers from a preemption error thrown by a synchronous run: new session, afterCreateSession again, same answer', async () => {
    const trace: string[] = [];
    const first = new SyncFakeSession('s1', { trace, values, failOnRun: { n: 1, error: () => new UnavailableError('ps gone') } });
    const second = new SyncFakeSession('s2', { trace, values });
    const h = new TraceHook('h', trace);
    const sess = await MonitoredSession.create({
      sessionCreator: new StackSessionCreator([first, second]),
      hooks: [h],
      syncRuns: true,
      maxBlockMs: 60_000,
      recovery: { sleep: async () => {} },
    });
    trace.length = 0;
    expect(numberOf(await sess.run('out:0', { 'ph:0': 5 }))).toBe(10);
    expect(trace).toEqual(['h.before', 's1.runSync', 's1.close', 'h.acs', 'h.before', 's2.runSync', 'h.after']);
    expect(h.calls.acs).toBe(2);
    // The next step is synchronous again.
    trace.length = 0;
    const p = sess.run('out:0', { 'ph:0': 1 });
    expect(trace).toEqual(['h.before', 's2.runSync', 'h.after']);
    expect(numberOf(await p)).toBe(2);
    await sess.close();
  });
});
