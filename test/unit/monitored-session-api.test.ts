/**
 * MonitoredSession's own surface: argument checks, construction order, stopReason, using() and
 * Symbol.asyncDispose.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArgumentError, InvalidArgumentError, OutOfRangeError, ValueError } from '../../lib/core/errors';
import type { SessionRunHookLike } from '../../lib/hooks/session-run-hook';
import type { Coordinator } from '../../lib/core/coordinator';
import { Level, type LogCapture, captureLogs } from '../../lib/core/logging';
import { MonitoredSession, type MonitoredSessionOptions } from '../../lib/train/monitored-session';
import type { SessionLike } from '../../lib/core/session-like';
import { FakeGraph, FakeSession, StackSessionCreator, TraceHook, failingSession, numberOf } from '../support/fakes';

let logs: LogCapture;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
});

const values = { 'x:0': 1 };
const creatorOf = (...s: SessionLike[]) => new StackSessionCreator(s.length ? s : [new FakeSession('s', { values })]);

describe('MonitoredSession.create()', () => {
  it('calls begin() of every hook, then beforeCreate, then creates the session', async () => {
    const trace: string[] = [];
    const creator = new StackSessionCreator([new FakeSession()], () => trace.push('create'));
    await MonitoredSession.create({
      sessionCreator: creator,
      hooks: [new TraceHook('h1', trace), new TraceHook('h2', trace)],
      beforeCreate: async () => {
        trace.push('beforeCreate');
      },
    });
    expect(trace).toEqual(['h1.begin', 'h2.begin', 'beforeCreate', 'create', 'h1.acs', 'h2.acs']);
  });

  it('accepts plain objects implementing only some hook methods', async () => {
    const seen: string[] = [];
    const hook: SessionRunHookLike = {
      afterRun: () => {
        seen.push('after');
      },
    };
    const sess = await MonitoredSession.create({ sessionCreator: creatorOf(), hooks: [hook] });
    await sess.using((s) => s.run('x:0'));
    expect(seen).toEqual(['after']);
  });

  it('gives hooks a Coordinator with no clean-stop types: every reported error is kept', async () => {
    let coord: Coordinator | undefined;
    const hook: SessionRunHookLike = {
      afterCreateSession: (_s, c) => {
        coord = c;
      },
    };
    await MonitoredSession.create({ sessionCreator: creatorOf(), hooks: [hook] });
    coord!.requestStop(new OutOfRangeError('eof'));
    expect(coord!.requestedError).toBeInstanceOf(OutOfRangeError);
  });

  it.each([
    [
      { sessionCreator: null },
      'sessionCreator',
      'Expected a SessionCreator with createSession() (or no sessionCreator and a graph) for sessionCreator but received null',
    ],
    [
      { sessionCreator: { make: () => null } },
      'sessionCreator',
      'Expected a SessionCreator with createSession() (or no sessionCreator and a graph) for sessionCreator but received Object',
    ],
    [{ hooks: 'h' }, 'hooks', 'Expected an array of SessionRunHooks or null for hooks but received string "h"'],
    [
      { hooks: [new TraceHook('h', []), 3] },
      'hooks[1]',
      'Expected a SessionRunHook (an object with begin/afterCreateSession/beforeRun/afterRun/end methods) for hooks[1] but received number 3',
    ],
    [{ stopGracePeriodSecs: -1 }, 'stopGracePeriodSecs', 'Expected a non-negative number for stopGracePeriodSecs but received number -1'],
    [{ graph: { finalized: false } }, 'graph', 'Expected a graph with finalized and unfinalize() for graph but received Object'],
    [{ beforeCreate: 'now' }, 'beforeCreate', 'Expected a function for beforeCreate but received string "now"'],
  ])('rejects bad options %#: %s', async (bad, param, message) => {
    const opts = { sessionCreator: creatorOf(), ...bad } as unknown as MonitoredSessionOptions;
    const err = await MonitoredSession.create(opts).catch((e) => e);
    expect(err).toBeInstanceOf(ArgumentError);
    expect(err.param).toBe(param);
    expect(err.message).toBe(message);
  });

  it('rejects a creator whose session is not session-like', async () => {
    const err = await MonitoredSession.create({ sessionCreator: { createSession: async () => ({}) as SessionLike } }).catch((e) => e);
    expect(err).toBeInstanceOf(ArgumentError);
    expect(err.param).toBe('sessionCreator');
  });

  it('rejects a missing options object', async () => {
    await expect(MonitoredSession.create(undefined as never)).rejects.toThrow('Expected an object for options but received undefined');
  });
});

describe('MonitoredSession#stopReason', () => {
  it('is null while training, and "closed" after close() when nothing asked to stop', async () => {
    const sess = await MonitoredSession.create({ sessionCreator: creatorOf() });
    await sess.run('x:0');
    expect(sess.stopReason).toBeNull();
    expect(sess.stopError).toBeNull();
    await sess.close();
    expect(sess.stopReason).toBe('closed');
  });

  it('records a run error and forgets it after a successful run', async () => {
    const sess = await MonitoredSession.create({
      sessionCreator: creatorOf(failingSession('s', 1, () => new InvalidArgumentError('bad'), { values })),
    });
    await expect(sess.run('x:0')).rejects.toThrow(InvalidArgumentError);
    expect(sess.stopReason).toBe('error');
    expect(sess.stopError).toBeInstanceOf(InvalidArgumentError);
    await sess.run('x:0');
    expect(sess.stopReason).toBeNull();
  });

  it('says "coordinator" when the coordinator was stopped without an error', async () => {
    let coord: Coordinator | undefined;
    const sess = await MonitoredSession.create({
      sessionCreator: creatorOf(),
      hooks: [
        {
          afterCreateSession: (_s, c) => {
            coord = c;
          },
        },
      ],
    });
    coord!.requestStop();
    expect(sess.shouldStop()).toBe(true);
    expect(sess.stopReason).toBe('coordinator');
    expect(sess.stopError).toBeNull();
    await sess.close();
    expect(sess.stopReason).toBe('coordinator');
  });

  it('keeps the reason it had at close()', async () => {
    const sess = await MonitoredSession.create({ sessionCreator: creatorOf(), hooks: [new TraceHook('h', [], { stopInAfterRun: true })] });
    await sess.using(async (s) => {
      while (!s.shouldStop()) await s.run('x:0');
    });
    expect(sess.stopReason).toBe('hook-request');
  });
});

describe('MonitoredSession#using()', () => {
  it("returns the body's value after running end()", async () => {
    const h = new TraceHook('h', []);
    const sess = await MonitoredSession.create({ sessionCreator: creatorOf(), hooks: [h] });
    expect(await sess.using(async (s) => numberOf(await s.run('x:0')))).toBe(1);
    expect(h.calls.end).toBe(1);
  });

  it('throws the close error when closing fails after a body error, and logs the body error', async () => {
    let coord: Coordinator | undefined;
    const sess = await MonitoredSession.create({
      sessionCreator: creatorOf(),
      hooks: [
        {
          afterCreateSession: (_s, c) => {
            coord = c;
          },
        },
      ],
    });
    coord!.startThread(() => {
      throw new InvalidArgumentError('thread failed');
    });
    await coord!.waitForStop(1);
    const done = sess.using(() => {
      throw new ValueError('body failed');
    });
    await expect(done).rejects.toThrow('thread failed');
    expect(logs.messages(Level.ERROR)).toContain('An error was thrown while closing the session after this error: ValueError: body failed');
  });

  it('throws "Session is already closed." when the body closed the session itself, as Python\'s with does', async () => {
    const sess = await MonitoredSession.create({ sessionCreator: creatorOf() });
    await expect(sess.using((s) => s.close())).rejects.toThrow('Session is already closed.');
  });
});

describe('MonitoredSession[Symbol.asyncDispose]', () => {
  it('closes the session and runs end()', async () => {
    const h = new TraceHook('h', []);
    const raw = new FakeSession('s', { values });
    const graph = new FakeGraph();
    const sess = await MonitoredSession.create({ sessionCreator: creatorOf(raw), hooks: [h], graph });
    await sess[Symbol.asyncDispose]();
    expect(h.calls.end).toBe(1);
    expect(raw.closed).toBe(true);
  });

  it('does nothing when already closed', async () => {
    const sess = await MonitoredSession.create({ sessionCreator: creatorOf() });
    await sess.close();
    await expect(sess[Symbol.asyncDispose]()).resolves.toBeUndefined();
  });
});
