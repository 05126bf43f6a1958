/**
 * Coordinator (docs/python-parity.md §9.1): stop requests, recorded errors, joining async "threads".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, OutOfRangeError, RuntimeError, ValueError } from '../../lib/core/errors';
import { Coordinator } from '../../lib/core/coordinator';
import { Level, type LogCapture, captureLogs } from '../../lib/core/logging';
import { StopIteration } from '../../lib/train/monitored-session';

let logs: LogCapture;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
});

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('Coordinator', () => {
  it('should stop after requestStop() and not before', () => {
    const coord = new Coordinator();
    expect(coord.shouldStop()).toBe(false);
    coord.requestStop();
    expect(coord.shouldStop()).toBe(true);
  });

  it('clearStop() resets the stop flag and the recorded error', async () => {
    const coord = new Coordinator();
    coord.requestStop(new ValueError('x'));
    coord.clearStop();
    expect(coord.shouldStop()).toBe(false);
    expect(() => coord.raiseRequestedException()).not.toThrow();
    expect(await coord.waitForStop(0.01)).toBe(false);
    coord.requestStop();
    expect(await coord.waitForStop(0.01)).toBe(true);
  });

  it('records only the first error and logs it', () => {
    const coord = new Coordinator();
    coord.requestStop(new ValueError('first'));
    coord.requestStop(new ValueError('second'));
    expect(() => coord.raiseRequestedException()).toThrow('first');
    expect(logs.messages(Level.INFO)).toEqual(['Error reported to Coordinator: ValueError, first']);
  });

  it('ignores errors after a plain stop request', () => {
    const coord = new Coordinator();
    coord.requestStop();
    coord.requestStop(new ValueError('late'));
    expect(() => coord.raiseRequestedException()).not.toThrow();
  });

  it('treats OutOfRangeError as a clean stop by default, and custom types when asked', () => {
    const byDefault = new Coordinator();
    byDefault.requestStop(new OutOfRangeError('eof'));
    expect(byDefault.shouldStop()).toBe(true);
    expect(byDefault.requestedError).toBeUndefined();

    const custom = new Coordinator({ cleanStopExceptionTypes: [StopIteration] });
    custom.requestStop(new StopIteration());
    expect(custom.requestedError).toBeUndefined();
    const none = new Coordinator({ cleanStopExceptionTypes: [] });
    none.requestStop(new OutOfRangeError('eof'));
    expect(none.requestedError).toBeInstanceOf(OutOfRangeError);
  });

  it('waitForStop() resolves true on a stop request and false on timeout', async () => {
    const coord = new Coordinator();
    expect(await coord.waitForStop(0.005)).toBe(false);
    const waiting = coord.waitForStop();
    coord.requestStop();
    expect(await waiting).toBe(true);
  });

  it('stopOnException() reports the error instead of throwing it', async () => {
    const coord = new Coordinator();
    expect(await coord.stopOnException(() => 3)).toBe(3);
    expect(coord.shouldStop()).toBe(false);
    expect(
      await coord.stopOnException(async () => {
        throw new ValueError('oops');
      }),
    ).toBeUndefined();
    expect(coord.shouldStop()).toBe(true);
    expect(coord.requestedError).toBeInstanceOf(ValueError);
  });

  it('join() waits for all threads to end when no stop is requested', async () => {
    const coord = new Coordinator();
    const done: number[] = [];
    coord.startThread(async () => {
      await tick();
      done.push(1);
    });
    coord.startThread(async () => {
      await tick();
      await tick();
      done.push(2);
    });
    await coord.join();
    expect(done.sort()).toEqual([1, 2]);
    expect(coord.joined).toBe(true);
  });

  it('join() also waits for the threads it is given', async () => {
    const coord = new Coordinator();
    let ended = false;
    await coord.join({
      threads: [
        tick().then(() => {
          ended = true;
        }),
      ],
    });
    expect(ended).toBe(true);
  });

  it('join() re-raises the error a thread reported, after the other threads ended', async () => {
    const coord = new Coordinator();
    let otherEnded = false;
    coord.startThread(async (c) => {
      await c.waitForStop();
      await tick();
      otherEnded = true;
    });
    coord.startThread(() => {
      throw new InvalidArgumentError('enqueue failed');
    }, 'bad');
    await expect(coord.join()).rejects.toThrow('enqueue failed');
    expect(otherEnded).toBe(true);
  });

  it('join() reports a rejected registered promise through requestStop', async () => {
    const coord = new Coordinator();
    coord.registerThread(Promise.reject(new ValueError('rejected')));
    await expect(coord.join()).rejects.toThrow(ValueError);
  });

  it('join() throws RuntimeError naming the threads still running after the grace period', async () => {
    const coord = new Coordinator();
    let release!: () => void;
    coord.registerThread(
      new Promise<void>((r) => {
        release = r;
      }),
      'QueueRunnerThread-q-enqueue',
    );
    coord.startThread(async (c) => {
      await c.waitForStop();
    }, 'polite');
    coord.requestStop();
    const err = await coord.join({ stopGracePeriodSecs: 0.02 }).catch((e) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toBe('Coordinator stopped with threads still running: QueueRunnerThread-q-enqueue');
    release();
  });

  it('join() only logs stragglers with ignoreLiveThreads', async () => {
    const coord = new Coordinator();
    let release!: () => void;
    coord.registerThread(
      new Promise<void>((r) => {
        release = r;
      }),
      'slow',
    );
    coord.requestStop();
    await coord.join({ stopGracePeriodSecs: 0.01, ignoreLiveThreads: true });
    expect(logs.messages(Level.INFO)).toContain('Coordinator stopped with threads still running: slow');
    release();
  });

  it('requestStop(error) after join() throws the error at once', async () => {
    const coord = new Coordinator();
    await coord.join();
    expect(() => coord.requestStop(new ValueError('after join'))).toThrow('after join');
    expect(() => coord.requestStop()).not.toThrow();
  });

  it('names unnamed threads Thread-N', () => {
    const coord = new Coordinator();
    const t1 = coord.registerThread(Promise.resolve());
    const t2 = coord.startThread(() => undefined);
    expect([t1.name, t2.name]).toEqual(['Thread-1', 'Thread-2']);
  });
});
