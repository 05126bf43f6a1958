/**
 * LoggingTensorHook (docs/python-parity.md §5.7, observed lines in §5.7) and its numpy-style value printing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArgumentError, ValueError } from '../../lib/core/errors';
import { LoggingTensorHook, formatTensorValue } from '../../lib/hooks/basic/logging-tensor-hook';
import { Level, type LogCapture, captureLogs } from '../../lib/core/logging';
import { MonitoredSession } from '../../lib/train/monitored-session';
import { FakeSession, StackSessionCreator, scalar, tensor } from '../support/fakes';

let logs: LogCapture;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
});

/** As in §5.7: `train` bumps the step; the loss after it is the one Python printed for that step. */
const LOSS_AT_STEP = [Number.NaN, 4.0, 2.56, 1.6384, 1.0485759, 0.6710886, 0.4294967];
function trainingSession() {
  let step = 0;
  return new FakeSession('s', {
    ops: {
      train: () => {
        step++;
      },
    },
    values: {
      'loss:0': () => scalar(LOSS_AT_STEP[step], 'float32'),
      'global_step:0': () => scalar(step, 'int64'),
    },
  });
}

describe('LoggingTensorHook', () => {
  it('logs "tag = value" in sorted tag order every N iterations, with the seconds since the last line', async () => {
    let now = 100;
    const hook = new LoggingTensorHook({ tensors: { step: 'global_step:0', loss: 'loss' }, everyNIter: 2, clock: () => now });
    const raw = trainingSession();
    const sess = await MonitoredSession.create({ sessionCreator: new StackSessionCreator([raw]), hooks: [hook] });
    for (let i = 0; i < 4; i++) {
      await sess.run('train');
      now += 0.0055;
    }
    expect(logs.messages(Level.INFO)).toEqual(['loss = 4.0, step = 1', 'loss = 1.6384, step = 3 (0.011 sec)']);
    expect(raw.runs[0].fetches).toEqual({ caller: 'train', 'hook:0': { step: 'global_step:0', loss: 'loss:0' } });
    expect(raw.runs[1].fetches).toEqual({ caller: 'train' });
  });

  it('logs a list of tensors in list order, tagged by name, and at the end from its own run', async () => {
    const hook = new LoggingTensorHook({ tensors: ['loss:0'], atEnd: true });
    const raw = trainingSession();
    const sess = await MonitoredSession.create({ sessionCreator: new StackSessionCreator([raw]), hooks: [hook] });
    for (let i = 0; i < 4; i++) await sess.run('train');
    expect(logs.messages(Level.INFO)).toEqual([]);
    await sess.close();
    expect(logs.messages(Level.INFO)).toEqual(['loss:0 = 1.0485759']);
    expect(raw.runs.at(-1)!.fetches).toEqual({ 'loss:0': 'loss:0' });
  });

  it('logs every N seconds', async () => {
    let now = 0;
    const hook = new LoggingTensorHook({ tensors: ['global_step:0'], everyNSecs: 10, clock: () => now });
    const sess = await MonitoredSession.create({ sessionCreator: new StackSessionCreator([trainingSession()]), hooks: [hook] });
    for (const t of [0, 5, 9.9, 10, 12, 25]) {
      now = t;
      await sess.run('train');
    }
    expect(logs.messages(Level.INFO)).toEqual(['global_step:0 = 1', 'global_step:0 = 4 (10.000 sec)', 'global_step:0 = 6 (15.000 sec)']);
  });

  it('passes tag → value to a formatter and logs its string as is', async () => {
    const hook = new LoggingTensorHook({
      tensors: { s: 'global_step:0' },
      everyNIter: 1,
      formatter: (v) => `step is ${(v.s as { data: ArrayLike<bigint> }).data[0]}`,
    });
    const sess = await MonitoredSession.create({ sessionCreator: new StackSessionCreator([trainingSession()]), hooks: [hook] });
    await sess.run('train');
    await sess.run('train');
    expect(logs.messages(Level.INFO)).toEqual(['step is 1', 'step is 2']);
  });

  it('counts its own iterations from begin(), not the global step', async () => {
    const hook = new LoggingTensorHook({ tensors: ['global_step:0'], everyNIter: 3 });
    const sess = await MonitoredSession.create({ sessionCreator: new StackSessionCreator([trainingSession()]), hooks: [hook] });
    for (let i = 0; i < 7; i++) await sess.run('train');
    expect(logs.messages(Level.INFO).map((m) => m.replace(/ \(.*\)$/, ''))).toEqual([
      'global_step:0 = 1',
      'global_step:0 = 4',
      'global_step:0 = 7',
    ]);
  });

  it.each([
    [{ tensors: ['a:0'] }],
    [{ tensors: ['a:0'], everyNIter: 1, everyNSecs: 1 }],
    [{ tensors: ['a:0'], atEnd: true, everyNIter: 1, everyNSecs: 1 }],
  ])('requires at_end and/or exactly one period (%#)', (opts) => {
    expect(() => new LoggingTensorHook(opts)).toThrow(ValueError);
    expect(() => new LoggingTensorHook(opts)).toThrow(
      'either at_end and/or exactly one of every_n_iter and every_n_secs must be provided.',
    );
  });

  it('rejects a non-positive every_n_iter', () => {
    expect(() => new LoggingTensorHook({ tensors: ['a:0'], everyNIter: 0 })).toThrow(ValueError);
    expect(() => new LoggingTensorHook({ tensors: ['a:0'], everyNIter: 0 })).toThrow('invalid every_n_iter=0.');
    expect(() => new LoggingTensorHook({ tensors: ['a:0'], everyNIter: -3 })).toThrow('invalid every_n_iter=-3.');
  });

  it('accepts at_end together with one period', () => {
    expect(() => new LoggingTensorHook({ tensors: ['a:0'], atEnd: true, everyNIter: 5 })).not.toThrow();
  });

  it('rejects tensors that are not names or Outputs, naming the entry', () => {
    const err = (() => {
      try {
        new LoggingTensorHook({ tensors: ['a:0', 7 as never], everyNIter: 1 });
      } catch (e) {
        return e;
      }
    })() as ArgumentError;
    expect(err).toBeInstanceOf(ArgumentError);
    expect(err.param).toBe('tensors[1]');
    expect(() => new LoggingTensorHook({ tensors: { loss: null as never }, everyNIter: 1 })).toThrow(
      'Expected a tensor name or an Output for tensors.loss but received null',
    );
    expect(() => new LoggingTensorHook({ tensors: 'loss:0' as never, everyNIter: 1 })).toThrow(
      'Expected an object or array of tensors for tensors but received string "loss:0"',
    );
  });
});

describe('formatTensorValue (numpy 2 with suppress=True; expected strings printed by numpy)', () => {
  const f32 = (shape: number[], data: number[]) => tensor('float32', shape, Float32Array.from(data));
  const f64 = (shape: number[], data: number[]) => tensor('float64', shape, Float64Array.from(data));
  it.each([
    [f32([], [4.0]), '4.0'],
    [f32([], [1.6384]), '1.6384'],
    [f32([], [1.0485759]), '1.0485759'],
    [f32([], [1e-5]), '1e-05'],
    [f32([], [1e8]), '1e+08'],
    [f32([], [1e6]), '1e+06'],
    [f32([], [999999]), '999999.0'],
    [f64([], [123456789]), '123456789.0'],
    [f64([], [1e16]), '1e+16'],
    [f32([], [0.1]), '0.1'],
    [f32([], [Number.NaN]), 'nan'],
    [f64([], [-Infinity]), '-inf'],
    [f32([], [-0]), '-0.0'],
    [tensor('int32', [], Int32Array.of(7)), '7'],
    [tensor('int64', [], BigInt64Array.of(12n)), '12'],
    [tensor('bool', [], [true]), 'True'],
    [tensor('string', [], ["it's"]), 'b"it\'s"'],
    [f32([2], [1.5, 2.25]), '[1.5  2.25]'],
    [f32([3], [1, 2, 3]), '[1. 2. 3.]'],
    [f32([2], [1e-5, 1e8]), '[1.e-05 1.e+08]'],
    [f32([2], [1, 1e6]), '[1.e+00 1.e+06]'],
    [f64([1], [123456789.123]), '[1.23456789e+08]'],
    [tensor('int64', [3], BigInt64Array.of(1n, 10n, -100n)), '[   1   10 -100]'],
    [f32([2, 2], [1.5, 2, 3, 4]), '[[1.5 2. ]\n [3.  4. ]]'],
    [f64([3], [0.1, 0.2, 0.3]), '[0.1 0.2 0.3]'],
    [tensor('bool', [2], Uint8Array.of(1, 0)), '[ True False]'],
    [tensor('string', [2], [Uint8Array.of(97), Uint8Array.of(98, 99)]), "[b'a' b'bc']"],
    [f64([3], [Number.NaN, 1.5, -Infinity]), '[ nan  1.5 -inf]'],
    [f32([3], [Number.NaN, Number.NaN, Infinity]), '[nan nan inf]'],
    [f64([2], [1.123456789, 2]), '[1.12345679 2.        ]'],
    [f64([2], [-1.5, 2]), '[-1.5  2. ]'],
    [f64([2], [1.5, -2.25e-3]), '[ 1.5     -0.00225]'],
    [f64([0], []), '[]'],
    [f64([2, 2, 2], [0, 0, 0, 0, 0, 0, 0, 0]), '[[[0. 0.]\n  [0. 0.]]\n\n [[0. 0.]\n  [0. 0.]]]'],
    [
      f32(
        [40],
        Array.from({ length: 40 }, (_, i) => i),
      ),
      '[ 0.  1.  2.  3.  4.  5.  6.  7.  8.  9. 10. 11. 12. 13. 14. 15. 16. 17.\n' +
        ' 18. 19. 20. 21. 22. 23. 24. 25. 26. 27. 28. 29. 30. 31. 32. 33. 34. 35.\n 36. 37. 38. 39.]',
    ],
    [
      f64(
        [30],
        Array.from({ length: 30 }, (_, i) => i / 7),
      ),
      '[0.         0.14285714 0.28571429 0.42857143 0.57142857 0.71428571\n' +
        ' 0.85714286 1.         1.14285714 1.28571429 1.42857143 1.57142857\n' +
        ' 1.71428571 1.85714286 2.         2.14285714 2.28571429 2.42857143\n' +
        ' 2.57142857 2.71428571 2.85714286 3.         3.14285714 3.28571429\n' +
        ' 3.42857143 3.57142857 3.71428571 3.85714286 4.         4.14285714]',
    ],
    [
      tensor(
        'int32',
        [2000],
        Int32Array.from({ length: 2000 }, (_, i) => i),
      ),
      '[   0    1    2 ... 1997 1998 1999]',
    ],
    [
      f64(
        [2, 1100],
        Array.from({ length: 2200 }, (_, i) => i * 0.5),
      ),
      '[[   0.     0.5    1.  ...  548.5  549.   549.5]\n [ 550.   550.5  551.  ... 1098.5 1099.  1099.5]]',
    ],
  ])('prints numpy case %# as numpy does', (value, expected) => {
    expect(formatTensorValue(value)).toBe(expected);
  });

  it('prints plain values as Python would print them where it can', () => {
    expect(formatTensorValue(null)).toBe('None');
    expect(formatTensorValue(true)).toBe('True');
    expect(formatTensorValue(3)).toBe('3');
  });
});
