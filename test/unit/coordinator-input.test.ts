/**
 * Coordinator and QueueRunner input handling (fuzz-more probe): every value a thread throws is
 * recorded and re-raised by join(), timeouts accept Infinity and refuse NaN / strings / negatives,
 * bad options are ArgumentErrors naming the parameter, and requestStop(falsy) is a plain stop.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ArgumentError, Code, OutOfRangeError, RuntimeError, ValueError } from '../../lib/core/errors';
import { Coordinator } from '../../lib/core/coordinator';
import { Level, type LogCapture, captureLogs } from '../../lib/core/logging';
import { QueueRunner } from '../../lib/core/queue-runner';
import type { SessionLike } from '../../lib/core/session-like';

let logs: LogCapture;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
  vi.useRealTimers();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The error `fn` throws (or its Promise rejects with). */
async function caught(fn: () => unknown): Promise<any> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function expectArgumentError(e: unknown, param: string, message?: string | RegExp): void {
  expect(e).toBeInstanceOf(ArgumentError);
  expect((e as ArgumentError).param).toBe(param);
  if (typeof message === 'string') expect((e as Error).message).toBe(message);
  else if (message) expect((e as Error).message).toMatch(message);
}

/** A session whose run() rejects with `value` (an enqueue op that fails). */
function failingSession(value: unknown): SessionLike {
  return {
    run: async () => {
      throw value;
    },
    close: async () => {},
  } as SessionLike;
}

describe('Coordinator: every value a thread throws is recorded and re-raised (item 1)', () => {
  it('a null-prototype object stops the coordinator; join() re-raises it wrapped, as the cause', async () => {
    const coord = new Coordinator();
    const thrown = Object.create(null);
    coord.startThread(() => {
      throw thrown;
    }, 'odd');
    await coord.waitForStop(5);
    expect(coord.shouldStop()).toBe(true);
    const err = await caught(() => coord.join({ stopGracePeriodSecs: 1 }));
    expect(err).toBeInstanceOf(Error);
    expect(err.cause).toBe(thrown);
    expect(err.message).toMatch(/^Thread odd threw a non-Error value: \[Object: null prototype\]/);
    expect(coord.requestedError).toBe(err);
    expect(logs.messages(Level.INFO)).toEqual([`Error reported to Coordinator: Error, ${err.message}`]);
  });

  it('a thread that throws undefined stops with an error saying so (cause undefined)', async () => {
    const coord = new Coordinator();
    coord.startThread(() => {
      throw undefined;
    });
    const err = await caught(() => coord.join());
    expect(err).toBeInstanceOf(Error);
    expect('cause' in err).toBe(true);
    expect(err.cause).toBeUndefined();
    expect(err.message).toBe('Thread Thread-1 threw a non-Error value: undefined');
  });

  it.each([
    [null, 'null'],
    [0, 'number 0'],
    [false, 'boolean false'],
    ['', 'string ""'],
    ['boom', 'string "boom"'],
    [Symbol('s'), 'Symbol(s)'],
    [10n, 'bigint 10n'],
  ])('a thread throwing %s is recorded and re-raised', async (value, described) => {
    const coord = new Coordinator();
    coord.registerThread(Promise.reject(value), 't');
    const err = await caught(() => coord.join());
    expect(err).toBeInstanceOf(Error);
    expect(err.cause).toBe(value);
    expect(err.message).toBe(`Thread t threw a non-Error value: ${described}`);
  });

  it('a thrown Error is kept as is, and a throwing message getter does not break the log line', async () => {
    const coord = new Coordinator();
    const e = new ValueError('x');
    Object.defineProperty(e, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    coord.startThread(() => {
      throw e;
    });
    expect(await caught(() => coord.join())).toBe(e);
    expect(logs.messages(Level.INFO)[0]).toMatch(/^Error reported to Coordinator: ValueError, /);
  });

  it('requestStop(Object.create(null)) does not throw: it stops and records the value wrapped', () => {
    const coord = new Coordinator();
    const odd = Object.create(null);
    expect(() => coord.requestStop(odd)).not.toThrow();
    expect(coord.shouldStop()).toBe(true);
    const err = coord.requestedError as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.cause).toBe(odd);
    expect(err.message).toMatch(/^requestStop\(\) was given a non-Error value: \[Object: null prototype\]/);
  });

  it('stopOnException() records a thrown undefined', async () => {
    const coord = new Coordinator();
    expect(
      await coord.stopOnException(() => {
        throw undefined;
      }),
    ).toBeUndefined();
    expect(coord.shouldStop()).toBe(true);
    const err = await caught(() => coord.join());
    expect(err.message).toBe('The function given to stopOnException() threw a non-Error value: undefined');
  });

  it('a QueueRunner enqueue failing with a null-prototype object reaches join()', async () => {
    const coord = new Coordinator();
    const odd = Object.create(null);
    const qr = new QueueRunner({ queueName: 'q', enqueueOps: ['enqueue'] });
    expect(qr.createThreads(failingSession(odd), { coord, start: true }).map((t) => t.name)).toEqual([
      'QueueRunnerThread-q-enqueue',
      'QueueRunnerThread-q-close_on_stop',
    ]);
    const err = await caught(() => coord.join({ stopGracePeriodSecs: 5 }));
    expect(err).toBeInstanceOf(Error);
    expect(err.cause).toBe(odd);
    expect(err.message).toMatch(/^QueueRunnerThread-q-enqueue threw a non-Error value: \[Object: null prototype\]/);
  });

  it('a QueueRunner without a coordinator logs a null-prototype failure instead of throwing while logging', async () => {
    const odd = Object.create(null);
    const qr = new QueueRunner({ enqueueOps: ['enqueue'] });
    await Promise.all(qr.createThreads(failingSession(odd), { start: true }).map((t) => t.done));
    expect(qr.exceptionsRaised).toEqual([odd]);
    expect(logs.messages(Level.ERROR)).toEqual(['Exception in QueueRunner: [Object: null prototype] {}']);
  });

  it('a thread failing after join() is logged at ERROR, not dropped', async () => {
    const coord = new Coordinator();
    let fail!: (e: unknown) => void;
    coord.registerThread(
      new Promise((_, reject) => {
        fail = reject;
      }),
      'late',
    );
    coord.requestStop();
    await coord.join({ stopGracePeriodSecs: 0, ignoreLiveThreads: true });
    fail(Object.create(null));
    await sleep(5);
    expect(logs.messages(Level.ERROR)).toEqual([
      'Exception in thread late after the coordinator was joined: Error, Thread late threw a non-Error value: [Object: null prototype] {}',
    ]);
  });
});

describe('Coordinator timeouts (item 2)', () => {
  it('waitForStop(Infinity) waits until a stop is requested', async () => {
    const coord = new Coordinator();
    let settled: boolean | undefined;
    const waiting = coord.waitForStop(Infinity).then((r) => {
      settled = r;
      return r;
    });
    await sleep(30);
    expect(settled).toBeUndefined();
    coord.requestStop();
    expect(await waiting).toBe(true);
  });

  it('join({ stopGracePeriodSecs: Infinity }) and 1e10 wait for a slow thread instead of giving up', async () => {
    for (const grace of [Infinity, 1e10]) {
      const coord = new Coordinator();
      let ended = false;
      coord.startThread(async () => {
        await sleep(40);
        ended = true;
      }, 'slow');
      coord.requestStop();
      await coord.join({ stopGracePeriodSecs: grace });
      expect(ended).toBe(true);
    }
  });

  it('a timeout longer than setTimeout takes (2^31 - 1 ms) is waited in chunks', async () => {
    vi.useFakeTimers();
    const coord = new Coordinator();
    let result: boolean | undefined;
    void coord.waitForStop(3e6).then((r) => {
      result = r;
    }); // 3e9 ms, about 35 days
    await vi.advanceTimersByTimeAsync(2 ** 31);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(3e9 - 2 ** 31 - 10);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(20);
    expect(result).toBe(false);
  });

  it('waitForStop() and waitForStop(null) wait without a limit (Python None); 0 returns at once', async () => {
    const coord = new Coordinator();
    expect(await coord.waitForStop(0)).toBe(false);
    const a = coord.waitForStop();
    const b = coord.waitForStop(null);
    coord.requestStop();
    expect(await Promise.all([a, b])).toEqual([true, true]);
  });

  it.each([
    [NaN, 'number NaN'],
    ['abc', 'string "abc"'],
    ['1', 'string "1"'],
    [-1, 'number -1'],
    [-Infinity, 'number -Infinity'],
  ])('waitForStop(%s) is an ArgumentError naming timeoutSecs', async (value, described) => {
    const err = await caught(() => new Coordinator().waitForStop(value as number));
    expectArgumentError(
      err,
      'timeoutSecs',
      `Expected a non-negative number of seconds (Infinity waits without a limit) for timeoutSecs but received ${described}`,
    );
  });

  it.each([
    [NaN, 'number NaN'],
    ['abc', 'string "abc"'],
    ['1', 'string "1"'],
    [-1, 'number -1'],
    [null, 'null'],
  ])('join({ stopGracePeriodSecs: %s }) is an ArgumentError naming stopGracePeriodSecs', async (value, described) => {
    const err = await caught(() => new Coordinator().join({ stopGracePeriodSecs: value as number }));
    expectArgumentError(
      err,
      'stopGracePeriodSecs',
      `Expected a non-negative number of seconds (Infinity waits without a limit) for stopGracePeriodSecs but received ${described}`,
    );
  });
});

describe('Coordinator and QueueRunner arguments are checked and named (item 3)', () => {
  it('new Coordinator(null) / bad or unknown options', () => {
    expectArgumentError(
      caughtSync(() => new Coordinator(null as never)),
      'options',
      'Expected an options object for options but received null',
    );
    expectArgumentError(
      caughtSync(() => new Coordinator({ cleanStopExceptionType: [] } as never)),
      'cleanStopExceptionType',
      "Unknown option 'cleanStopExceptionType' for Coordinator (known options: cleanStopExceptionTypes)",
    );
    expectArgumentError(
      caughtSync(() => new Coordinator({ cleanStopExceptionTypes: 'abc' as never })),
      'cleanStopExceptionTypes',
      'Expected an array of error classes for cleanStopExceptionTypes but received string "abc"',
    );
    expectArgumentError(
      caughtSync(() => new Coordinator({ cleanStopExceptionTypes: [OutOfRangeError, 5] as never })),
      'cleanStopExceptionTypes[1]',
      'Expected an error class for cleanStopExceptionTypes[1] but received number 5',
    );
    expectArgumentError(
      caughtSync(() => new Coordinator({ cleanStopExceptionTypes: [() => true] as never })),
      'cleanStopExceptionTypes[0]',
    );
  });

  it('cleanStopExceptionTypes null is the default (Python None: OutOfRangeError)', () => {
    const coord = new Coordinator({ cleanStopExceptionTypes: null });
    coord.requestStop(new OutOfRangeError('eof'));
    expect(coord.shouldStop()).toBe(true);
    expect(coord.requestedError).toBeUndefined();
  });

  it('join(null), unknown join options and bad threads', async () => {
    expectArgumentError(
      await caught(() => new Coordinator().join(null as never)),
      'options',
      'Expected an options object for options but received null',
    );
    expectArgumentError(
      await caught(() => new Coordinator().join({ stopGracePeriod: 1 } as never)),
      'stopGracePeriod',
      "Unknown option 'stopGracePeriod' for Coordinator.join (known options: threads, stopGracePeriodSecs, ignoreLiveThreads)",
    );
    expectArgumentError(
      await caught(() => new Coordinator().join({ threads: 5 as never })),
      'threads',
      'Expected an array of CoordinatedThreads or Promises for threads but received number 5',
    );
    expectArgumentError(await caught(() => new Coordinator().join({ threads: 'ab' as never })), 'threads');
    expectArgumentError(
      await caught(() => new Coordinator().join({ threads: [Promise.resolve(), 5] as never })),
      'threads[1]',
      'Expected a CoordinatedThread or a Promise for threads[1] but received number 5',
    );
    expectArgumentError(await caught(() => new Coordinator().join({ ignoreLiveThreads: 'yes' as never })), 'ignoreLiveThreads');
  });

  it('registerThread and startThread name a bad thread, function or name', () => {
    const coord = new Coordinator();
    expectArgumentError(
      caughtSync(() => coord.registerThread(5 as never)),
      'thread',
    );
    expectArgumentError(
      caughtSync(() => coord.startThread(null as never)),
      'fn',
    );
    expectArgumentError(
      caughtSync(() => coord.startThread(() => 1, 7 as never)),
      'name',
    );
  });

  it('QueueRunner: bad enqueueOps, closeOp, cancelOp, queueName, queueClosedExceptionTypes, unknown options', () => {
    const op = 'an operation (a non-empty name, or an Operation or Output)';
    expectArgumentError(
      caughtSync(() => new QueueRunner({ enqueueOps: [5] as never })),
      'enqueueOps[0]',
      `Expected ${op} for enqueueOps[0] but received number 5`,
    );
    expectArgumentError(
      caughtSync(() => new QueueRunner({ enqueueOps: ['a', null] as never })),
      'enqueueOps[1]',
      `Expected ${op} for enqueueOps[1] but received null`,
    );
    expectArgumentError(
      caughtSync(() => new QueueRunner({ enqueueOps: ['a'], closeOp: {} as never })),
      'closeOp',
      `Expected ${op} for closeOp but received Object`,
    );
    expectArgumentError(
      caughtSync(() => new QueueRunner({ enqueueOps: ['a'], cancelOp: 3 as never })),
      'cancelOp',
    );
    expectArgumentError(
      caughtSync(() => new QueueRunner({ enqueueOps: ['a'], queueName: 5 as never })),
      'queueName',
    );
    expectArgumentError(
      caughtSync(() => new QueueRunner({ enqueueOps: ['a'], queueClosedExceptionTypes: 5 as never })),
      'queueClosedExceptionTypes',
      'Expected an array of TF error codes for queueClosedExceptionTypes but received number 5',
    );
    expectArgumentError(
      caughtSync(() => new QueueRunner({ enqueueOps: ['a'], queueClosedExceptionTypes: ['x'] as never })),
      'queueClosedExceptionTypes[0]',
    );
    expectArgumentError(
      caughtSync(() => new QueueRunner({ enqueueOps: ['a'], closeOps: 'c' } as never)),
      'closeOps',
      "Unknown option 'closeOps' for QueueRunner (known options: queueName, enqueueOps, closeOp, cancelOp, queueClosedExceptionTypes, queueRunnerDef, importScope)",
    );
    // Still fine: names with an output index, objects with a name, null close/cancel ops and codes.
    const qr = new QueueRunner({
      enqueueOps: ['e:0', { name: 'e2' }],
      closeOp: null,
      cancelOp: { name: 'c:0' },
      queueClosedExceptionTypes: null,
    });
    expect([qr.enqueueOps, qr.closeOp, qr.cancelOp, qr.queueClosedExceptionTypes]).toEqual([['e', 'e2'], null, 'c', [Code.OUT_OF_RANGE]]);
  });

  it('QueueRunner.createThreads: bad session, coord and options', () => {
    const qr = new QueueRunner({ enqueueOps: ['a'] });
    const sess = failingSession(new OutOfRangeError('closed'));
    expectArgumentError(
      caughtSync(() => qr.createThreads(null as never)),
      'session',
      'Expected a session (an object with a run() method) for session but received null',
    );
    expectArgumentError(
      caughtSync(() => qr.createThreads(sess, null as never)),
      'options',
    );
    expectArgumentError(
      caughtSync(() => qr.createThreads(sess, { coord: 5 as never })),
      'coord',
      'Expected a Coordinator for coord but received number 5',
    );
    expectArgumentError(
      caughtSync(() => qr.createThreads(sess, { start: 'no' as never })),
      'start',
    );
    expectArgumentError(
      caughtSync(() => qr.createThreads(sess, { daemon: 1 as never })),
      'daemon',
    );
    expectArgumentError(
      caughtSync(() => qr.createThreads(sess, { cord: new Coordinator() } as never)),
      'cord',
      "Unknown option 'cord' for QueueRunner.createThreads (known options: coord, daemon, start)",
    );
  });
});

describe('requestStop() with a falsy non-error is a plain stop, as Python (item 4)', () => {
  it.each([0, false, '', NaN])('requestStop(%s) stops without recording an error', async (value) => {
    const coord = new Coordinator();
    coord.requestStop(value);
    expect(coord.shouldStop()).toBe(true);
    expect(coord.requestedError).toBeUndefined();
    await coord.join();
    expect(() => coord.requestStop(value)).not.toThrow();
  });

  it('a truthy non-Error given to requestStop is recorded wrapped, and thrown at once after join()', async () => {
    const coord = new Coordinator();
    coord.requestStop('boom');
    const err = coord.requestedError as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('requestStop() was given a non-Error value: string "boom"');
    expect(err.cause).toBe('boom');
    await expect(coord.join()).rejects.toBe(err);
    const thrown = caughtSync(() => coord.requestStop(5));
    expect(thrown.message).toBe('requestStop() was given a non-Error value: number 5');
  });

  it('join() still throws RuntimeError for stragglers after a falsy requestStop', async () => {
    const coord = new Coordinator();
    let release!: () => void;
    coord.registerThread(
      new Promise<void>((r) => {
        release = r;
      }),
      'slow',
    );
    coord.requestStop(0);
    const err = await caught(() => coord.join({ stopGracePeriodSecs: 0.01 }));
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toBe('Coordinator stopped with threads still running: slow');
    release();
  });
});

function caughtSync(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}
