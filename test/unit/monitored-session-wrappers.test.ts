/**
 * The wrapper layers one by one (docs/python-parity.md §2.3–§2.5), as TF's WrappedSessionTest,
 * CoordinatedSessionTest and HookedSessionTest do.
 */
import { RunScheduler } from '../../lib/core/run-scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, ArgumentError, InvalidArgumentError, UnavailableError, ValueError } from '../../lib/core/errors';
import { SessionRunArgs } from '../../lib/hooks/session-run-hook';
import { CoordinatedSession } from '../../lib/train/coordinated-session';
import { Coordinator } from '../../lib/core/coordinator';
import { HookedSession, mergeRunOptions } from '../../lib/train/hooked-session';
import { Level, type LogCapture, captureLogs } from '../../lib/core/logging';
import type { RunOptionsInit, SessionLike } from '../../lib/core/session-like';
import { WrappedSession } from '../../lib/train/wrapped-session';
import { FakeSession, SyncFakeSession, TraceHook, failingSession, numberOf } from '../support/fakes';

let logs: LogCapture;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
});

/** Stops at the Nth call to checkStop (TF's StopAtNSession). */
class StopAtNSession extends WrappedSession {
  constructor(
    sess: SessionLike,
    private count: number,
  ) {
    super(sess);
  }
  override checkStop(): boolean {
    if (this.count === 0) return true;
    this.count--;
    return false;
  }
}

const values = { 'x:0': (f: Record<string, unknown>) => Number(f['x:0'] ?? 0), 'a:0': 0, 'b:0': 5, 'c:0': 10 };

describe('WrappedSession', () => {
  it("exposes the inner session's graph", () => {
    const graph = {};
    expect(new WrappedSession(new FakeSession('s', { graph })).graph).toBe(graph);
  });

  it('should stop once closed, and close twice quietly', async () => {
    const inner = new FakeSession();
    const w = new WrappedSession(inner);
    expect(w.shouldStop()).toBe(false);
    await w.close();
    expect(w.shouldStop()).toBe(true);
    await w.close();
    expect(w.shouldStop()).toBe(true);
    expect(inner.closeCount).toBe(1);
  });

  it('uses checkStop()', () => {
    const w = new StopAtNSession(new FakeSession(), 3);
    expect([w.shouldStop(), w.shouldStop(), w.shouldStop(), w.shouldStop()]).toEqual([false, false, false, true]);
  });

  it('delegates shouldStop() to a wrapped wrapper', () => {
    const w = new WrappedSession(new StopAtNSession(new FakeSession(), 4));
    expect([1, 2, 3, 4, 5].map(() => w.shouldStop())).toEqual([false, false, false, false, true]);
  });

  it('delegates run()', async () => {
    const w = new WrappedSession(new FakeSession('s', { values }));
    expect(numberOf(await w.run('x:0', { 'x:0': 51 }))).toBe(51);
  });

  it('logs and swallows preemption errors from close(), and lets others through', async () => {
    const failing = (e: Error): SessionLike => ({
      run: async () => null,
      close: async () => {
        throw e;
      },
    });
    await new WrappedSession(failing(new UnavailableError('gone'))).close();
    expect(logs.messages(Level.ERROR)[0]).toBe(
      'An error occurred when attempting to close the session. This may be due to a preemption in a connected worker or parameter server. Error: gone',
    );
    const w = new WrappedSession(failing(new ValueError('bad')));
    await expect(w.close()).rejects.toThrow(ValueError);
    expect(w.shouldStop()).toBe(true);
  });
});

describe('CoordinatedSession', () => {
  it('runs through the inner session', async () => {
    const cs = new CoordinatedSession(new FakeSession('s', { values }), new Coordinator());
    expect(numberOf(await cs.run('x:0', { 'x:0': 42 }))).toBe(42);
  });

  it('should stop when the coordinator stops, or when closed', async () => {
    const coord = new Coordinator();
    const cs = new CoordinatedSession(new FakeSession(), coord);
    expect(cs.shouldStop()).toBe(false);
    coord.requestStop();
    expect(cs.shouldStop()).toBe(true);
    const cs2 = new CoordinatedSession(new FakeSession(), new Coordinator());
    await cs2.close();
    expect(cs2.shouldStop()).toBe(true);
  });

  it('does not stop the coordinator when a run fails in the main loop', async () => {
    const coord = new Coordinator();
    const cs = new CoordinatedSession(
      failingSession('s', 1, () => new InvalidArgumentError('bad')),
      coord,
    );
    await expect(cs.run('x:0')).rejects.toThrow(InvalidArgumentError);
    expect(coord.shouldStop()).toBe(false);
    expect(cs.shouldStop()).toBe(false);
  });

  it('stops its threads on close()', async () => {
    const coord = new Coordinator();
    const ended: string[] = [];
    for (const name of ['t1', 't2', 't3']) {
      coord.startThread(async (c) => {
        await c.waitForStop();
        ended.push(name);
      }, name);
    }
    const cs = new CoordinatedSession(new FakeSession(), coord);
    await cs.close();
    expect(ended.sort()).toEqual(['t1', 't2', 't3']);
    expect(coord.shouldStop()).toBe(true);
    expect(cs.shouldStop()).toBe(true);
  });

  it('gives stragglers stopGracePeriodSecs, logs them, and closes the inner session', async () => {
    const coord = new Coordinator();
    let release!: () => void;
    coord.registerThread(
      new Promise<void>((r) => {
        release = r;
      }),
      'stubborn',
    );
    const inner = new FakeSession();
    const cs = new CoordinatedSession(inner, coord, 0.02);
    await cs.close();
    expect(inner.closed).toBe(true);
    expect(logs.messages(Level.INFO)).toContain('Coordinator stopped with threads still running: stubborn');
    release();
  });

  it("re-throws a thread's error from close() after closing the inner session", async () => {
    const coord = new Coordinator();
    coord.startThread(() => {
      throw new InvalidArgumentError('enqueue failed');
    });
    await coord.waitForStop(1);
    const inner = new FakeSession();
    const cs = new CoordinatedSession(inner, coord);
    expect(() => cs.shouldStop()).toThrow(InvalidArgumentError);
    await expect(cs.close()).rejects.toThrow('enqueue failed');
    expect(inner.closed).toBe(true);
  });

  it("raises the coordinator's preemption error instead of a run's other error", async () => {
    const coord = new Coordinator({ cleanStopExceptionTypes: [] });
    coord.requestStop(new AbortedError('ps lost'));
    const cs = new CoordinatedSession(
      failingSession('s', 1, () => new InvalidArgumentError('symptom')),
      coord,
    );
    await expect(cs.run('x:0')).rejects.toThrow(AbortedError);
  });

  it("keeps a run's error when the coordinator holds a non-preemption error", async () => {
    const coord = new Coordinator({ cleanStopExceptionTypes: [] });
    coord.requestStop(new ValueError('other'));
    const cs = new CoordinatedSession(
      failingSession('s', 1, () => new InvalidArgumentError('symptom')),
      coord,
    );
    await expect(cs.run('x:0')).rejects.toThrow(InvalidArgumentError);
  });

  it("re-raises a run's preemption error as is", async () => {
    const coord = new Coordinator({ cleanStopExceptionTypes: [] });
    coord.requestStop(new ValueError('other'));
    const cs = new CoordinatedSession(
      failingSession('s', 1, () => new UnavailableError('lost')),
      coord,
    );
    await expect(cs.run('x:0')).rejects.toThrow(UnavailableError);
  });
});

describe('HookedSession', () => {
  it('passes fetches, feeds, options and run metadata through to the session', async () => {
    const inner = new FakeSession('s', { values });
    const hooked = new HookedSession(inner, []);
    const options = { timeoutInMs: 7 };
    const runMetadata = {};
    const out = await hooked.run('a:0', { 'x:0': 1 }, { options, runMetadata });
    expect(numberOf(out)).toBe(0);
    expect(inner.runs[0].fetches).toEqual({ caller: 'a:0' });
    expect(inner.runs[0].feeds).toEqual({ 'x:0': 1 });
    expect(inner.runs[0].opts!.options).toBe(options);
    expect(inner.runs[0].opts!.runMetadata).toBe(runMetadata);
  });

  it('asks for run metadata only when TF would fill it (tracing), and always hands the hooks a sink and the options', async () => {
    const inner = new FakeSession('s', { values });
    const h = new TraceHook('h', []);
    const hooked = new HookedSession(inner, [h]);
    await hooked.run('a:0');
    expect(h.lastValues!.options).toEqual({});
    expect(h.lastValues!.runMetadata.bytes).toEqual(new Uint8Array(0)); // what TF returns untraced
    expect(h.lastValues!.results).toBeNull();
    expect(h.lastContext!.originalArgs).toEqual(new SessionRunArgs('a:0', null));
    await hooked.run('a:0', undefined, { options: { traceLevel: 3 } });
    expect(h.lastValues!.runMetadata.bytes).toEqual(new Uint8Array([2])); // filled by the session (its 2nd run)
    const sink = {};
    await hooked.run('a:0', undefined, { runMetadata: sink });
    expect(h.lastValues!.runMetadata).toBe(sink);
  });

  it('gives each hook the results of its own fetches, in their structure', async () => {
    const h1 = new TraceHook('h1', [], { request: new SessionRunArgs(['b:0']) });
    const h2 = new TraceHook('h2', [], { request: new SessionRunArgs({ c: 'c:0', op: 'train' }) });
    const out = await new HookedSession(new FakeSession('s', { values }), [h1, h2]).run('a:0');
    expect(numberOf(out)).toBe(0);
    expect(h1.lastValues!.results.map(numberOf)).toEqual([5]);
    expect(numberOf(h2.lastValues!.results.c)).toBe(10);
    expect(h2.lastValues!.results.op).toBeNull();
  });

  it('sets the stop flag only after the run in which a hook asked', async () => {
    const h1 = new TraceHook('h1', []);
    const h2 = new TraceHook('h2', [], { stopInAfterRun: (n) => n === 2 });
    const hooked = new HookedSession(new FakeSession('s', { values }), [h1, h2]);
    await hooked.run('a:0');
    expect(hooked.shouldStop()).toBe(false);
    await hooked.run('a:0');
    expect(hooked.shouldStop()).toBe(true);
    expect(hooked.stopRequested).toBe(true);
  });

  it('skips every afterRun when the run fails', async () => {
    const h = new TraceHook('h', []);
    const hooked = new HookedSession(
      failingSession('s', 1, () => new InvalidArgumentError('x')),
      [h],
    );
    await expect(hooked.run('a:0')).rejects.toThrow(InvalidArgumentError);
    expect(h.calls).toMatchObject({ before: 1, after: 0 });
  });

  it('skips later afterRun calls when one throws', async () => {
    const trace: string[] = [];
    const h1 = new TraceHook('h1', trace, { throwIn: { method: 'after', error: () => new ValueError('x') } });
    const h2 = new TraceHook('h2', trace);
    await expect(new HookedSession(new FakeSession('s', { values }), [h1, h2]).run('a:0')).rejects.toThrow(ValueError);
    expect(trace).toEqual(['h1.before', 'h2.before', 'h1.after']);
  });

  it('awaits async hook methods in order', async () => {
    const trace: string[] = [];
    const slow = {
      async beforeRun() {
        await new Promise((r) => setTimeout(r, 5));
        trace.push('slow.before');
        return null;
      },
      async afterRun() {
        await new Promise((r) => setTimeout(r, 5));
        trace.push('slow.after');
      },
    };
    const fast = new TraceHook('fast', trace);
    await new HookedSession(new FakeSession('s', { values }), [slow, fast]).run('a:0');
    expect(trace).toEqual(['slow.before', 'fast.before', 'slow.after', 'fast.after']);
  });

  it('rejects a beforeRun result that is not SessionRunArgs-like, naming the hook', async () => {
    const bad = { beforeRun: () => 'fetch me' as never };
    const run = new HookedSession(new FakeSession('s', { values }), [bad]).run('a:0');
    await expect(run).rejects.toThrow(ArgumentError);
    await expect(run).rejects.toThrow(
      'Expected a SessionRunArgs, null or undefined for hooks[0].beforeRun() result but received string "fetch me"',
    );
  });
});

describe('mergeRunOptions', () => {
  it('takes maxima, ORs flags, appends debug watches, and drops other fields', () => {
    const options: RunOptionsInit = { traceLevel: 0, timeoutInMs: 5, debugOptions: { debugTensorWatchOpts: ['w1'] } };
    mergeRunOptions(options, {
      traceLevel: 1,
      timeoutInMs: 3,
      interOpThreadPool: 2,
      outputPartitionGraphs: true,
      reportTensorAllocationsUponOom: true,
      debugOptions: { debugTensorWatchOpts: ['w2'], resetDiskByteUsage: true, globalStep: 9 },
    });
    expect(options).toEqual({
      traceLevel: 1,
      timeoutInMs: 5,
      interOpThreadPool: 2,
      outputPartitionGraphs: true,
      reportTensorAllocationsUponOom: true,
      debugOptions: { debugTensorWatchOpts: ['w1', 'w2'], resetDiskByteUsage: true },
    });
  });

  it('leaves unset fields unset', () => {
    const options: RunOptionsInit = {};
    mergeRunOptions(options, { timeoutInMs: 3 });
    expect(options).toEqual({ timeoutInMs: 3 });
  });

  it('merges the options of several hooks in hook order', async () => {
    const inner = new FakeSession('s', { values });
    const h1 = new TraceHook('h1', [], {
      request: new SessionRunArgs(null, null, { traceLevel: 2, debugOptions: { debugTensorWatchOpts: ['a'] } }),
    });
    const h2 = new TraceHook('h2', [], {
      request: new SessionRunArgs(null, null, { traceLevel: 1, timeoutInMs: 9, debugOptions: { debugTensorWatchOpts: ['b'] } }),
    });
    await new HookedSession(inner, [h1, h2]).run('a:0');
    expect(inner.runs[0].opts!.options).toEqual({ traceLevel: 2, timeoutInMs: 9, debugOptions: { debugTensorWatchOpts: ['a', 'b'] } });
  });
});

describe("HookedSession with a 'sync' run scheduler", () => {
  /** The sync fake, with a run that fails and a method of its own. */
  class SyncFake extends SyncFakeSession {
    override runSync(fetches: any, feeds?: any, opts?: any): any {
      if (fetches !== 'boom:0') return super.runSync(fetches, feeds, opts);
      this.syncRuns++;
      throw new InvalidArgumentError('boom');
    }
    devices(): string[] {
      return ['cpu'];
    }
  }

  it("serves the step and the hooks' own runs with runSync; the hooks still see the session itself", async () => {
    const sess = new SyncFake('s', { values: { 'gs:0': 7, 'boom:0': 0 } });
    const seen: unknown[] = [];
    const hook = {
      async afterRun(ctx: any) {
        seen.push(ctx.session instanceof SyncFake, ctx.session.devices(), ctx.session.graph);
        const p = ctx.session.run('gs:0');
        seen.push(p instanceof Promise, numberOf(await p));
        await expect(ctx.session.run('boom:0')).rejects.toThrow(InvalidArgumentError);
      },
    };
    const hooked = new HookedSession(sess, [hook], { scheduler: new RunScheduler('sync') });
    await hooked.run('gs:0');
    expect(seen).toEqual([true, ['cpu'], undefined, true, 7]);
    expect(sess.asyncRuns).toBe(0);
    expect(sess.syncRuns).toBe(3); // the step, the hook's run, the hook's failing run

    // Without a scheduler the hook's run is the session's async run.
    const plain = new SyncFake('p', { values: { 'gs:0': 7, 'boom:0': 0 } });
    await new HookedSession(plain, [
      {
        async afterRun(ctx: any) {
          await ctx.session.run('gs:0');
        },
      },
    ]).run('gs:0');
    expect([plain.asyncRuns, plain.syncRuns]).toEqual([2, 0]);
  });
});
