/**
 * The graph-independent basic hooks: FeedFnHook, FinalOpsHook, NanTensorHook (docs/python-parity.md §5.8,
 * §5.10, §5.11), run inside a MonitoredSession over fakes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArgumentError, OutOfRangeError, RuntimeError } from '../../lib/core/errors';
import { FeedFnHook } from '../../lib/hooks/basic/feed-fn-hook';
import { FinalOpsHook } from '../../lib/hooks/basic/final-ops-hook';
import { NanLossDuringTrainingError, NanTensorHook } from '../../lib/hooks/basic/nan-tensor-hook';
import { SessionRunArgs } from '../../lib/hooks/session-run-hook';
import { Level, type LogCapture, captureLogs } from '../../lib/core/logging';
import { MonitoredSession } from '../../lib/train/monitored-session';
import { FakeSession, StackSessionCreator, failingSession, tensor, numberOf } from '../support/fakes';

let logs: LogCapture;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
});

const sessionWith = (raw: FakeSession) => ({ sessionCreator: new StackSessionCreator([raw]) });

describe('FeedFnHook', () => {
  it('feeds what feedFn returns into every run', async () => {
    let n = 0;
    const raw = new FakeSession('s', { values: { 'y:0': (f) => Number(f['x:0']) * 10 } });
    const sess = await MonitoredSession.create({ ...sessionWith(raw), hooks: [new FeedFnHook({ feedFn: () => ({ 'x:0': ++n }) })] });
    expect(numberOf(await sess.run('y:0'))).toBe(10);
    expect(numberOf(await sess.run('y:0'))).toBe(20);
  });

  it('accepts an async feedFn', async () => {
    const raw = new FakeSession('s', { values: { 'y:0': (f) => Number(f['x:0']) } });
    const sess = await MonitoredSession.create({ ...sessionWith(raw), hooks: [new FeedFnHook({ feedFn: async () => ({ 'x:0': 3 }) })] });
    expect(numberOf(await sess.run('y:0'))).toBe(3);
  });

  it('answers synchronously for a synchronous feedFn, and with a Promise for an async one (any thenable)', async () => {
    const sync = new FeedFnHook({ feedFn: () => ({ 'x:0': 1 }) }).beforeRun(null as never);
    expect(sync).toBeInstanceOf(SessionRunArgs);
    expect((sync as SessionRunArgs).feedDict).toEqual({ 'x:0': 1 });
    const thenable = { then: (resolve: (v: unknown) => void) => resolve({ 'x:0': 2 }) };
    const later = new FeedFnHook({ feedFn: () => thenable as never }).beforeRun(null as never);
    expect(later).toBeInstanceOf(Promise);
    expect((await later).feedDict).toEqual({ 'x:0': 2 });
  });

  it('conflicts with a user feed of the same tensor', async () => {
    const raw = new FakeSession('s', { values: { 'y:0': 1 } });
    const sess = await MonitoredSession.create({ ...sessionWith(raw), hooks: [new FeedFnHook({ feedFn: () => ({ 'x:0': 1 }) })] });
    await expect(sess.run('y:0', { x: 2 })).rejects.toThrow("Same tensor is fed by a SessionRunHook and user. Conflict(s): ['x']");
  });

  it('requires a function', () => {
    expect(() => new FeedFnHook({ feedFn: { 'x:0': 1 } as never })).toThrow(ArgumentError);
    expect(() => new FeedFnHook({ feedFn: 3 as never })).toThrow('Expected a function for feedFn but received number 3');
  });
});

describe('FinalOpsHook', () => {
  it('runs the final ops with their feeds in end() and keeps the values', async () => {
    const raw = new FakeSession('s', { values: { 'acc:0': (f) => Number(f['k:0']) / 2, 'x:0': 0 } });
    const hook = new FinalOpsHook({ finalOps: { acc: 'acc:0', op: 'update' }, finalOpsFeedDict: { 'k:0': 3 } });
    const sess = await MonitoredSession.create({ ...sessionWith(raw), hooks: [hook] });
    await sess.run('x:0');
    expect(hook.finalOpsValues).toBeNull();
    await sess.close();
    expect(numberOf(hook.finalOpsValues.acc)).toBe(1.5);
    expect(hook.finalOpsValues.op).toBeNull();
    expect(raw.runs.at(-1)!.feeds).toEqual({ 'k:0': 3 });
  });

  it('does nothing without final ops', async () => {
    const raw = new FakeSession('s');
    const hook = new FinalOpsHook({ finalOps: null });
    const sess = await MonitoredSession.create({ ...sessionWith(raw), hooks: [hook] });
    await sess.close();
    expect(raw.runs).toHaveLength(0);
  });

  it('warns that final ops must not read input when they hit OutOfRangeError, and rethrows', async () => {
    const raw = failingSession('s', 1, () => new OutOfRangeError('End of sequence'));
    const hook = new FinalOpsHook({ finalOps: 'acc:0' });
    const sess = await MonitoredSession.create({ ...sessionWith(raw), hooks: [hook] });
    await expect(sess.close()).rejects.toThrow(OutOfRangeError);
    const [warning] = logs.messages(Level.WARN);
    expect(warning).toMatch(/^An OutOfRangeError or StopIteration exception is raised by the code in FinalOpsHook\. .* Please fix that\.$/);
    expect(raw.closed).toBe(true);
  });
});

describe('NanTensorHook', () => {
  const lossSession = (losses: number[]) => {
    let i = 0;
    return new FakeSession('s', { values: { 'loss:0': () => losses[i++] } });
  };

  it('fetches the loss with every run and lets finite losses pass', async () => {
    const raw = lossSession([1, 0.5]);
    const sess = await MonitoredSession.create({ ...sessionWith(raw), hooks: [new NanTensorHook({ lossTensor: 'loss:0' })] });
    await sess.run('train');
    await sess.run('train');
    expect(raw.runs[0].fetches).toEqual({ caller: 'train', 'hook:0': 'loss:0' });
    expect(sess.shouldStop()).toBe(false);
  });

  it('throws NanLossDuringTrainingError and logs at ERROR by default', async () => {
    const sess = await MonitoredSession.create({
      ...sessionWith(lossSession([Number.NaN])),
      hooks: [new NanTensorHook({ lossTensor: 'loss:0' })],
    });
    const run = sess.run('train');
    await expect(run).rejects.toThrow(NanLossDuringTrainingError);
    await expect(run).rejects.toThrow(RuntimeError);
    await expect(run).rejects.toThrow('NaN loss during training.');
    expect(logs.messages(Level.ERROR)).toEqual(['Model diverged with loss = NaN.']);
  });

  it('with failOnNanLoss: false logs a warning and requests a stop', async () => {
    const sess = await MonitoredSession.create({
      ...sessionWith(lossSession([Number.NaN])),
      hooks: [new NanTensorHook({ lossTensor: { name: 'loss:0' }, failOnNanLoss: false })],
    });
    await sess.run('train');
    expect(sess.shouldStop()).toBe(true);
    expect(sess.stopReason).toBe('hook-request');
    expect(logs.messages(Level.WARN)).toEqual(['Model diverged with loss = NaN.']);
  });

  it('sees a NaN anywhere in a non-scalar loss', async () => {
    const raw = new FakeSession('s', { values: { 'loss:0': tensor('float32', [2], Float32Array.of(1, Number.NaN)) } });
    const sess = await MonitoredSession.create({
      ...sessionWith(raw),
      hooks: [new NanTensorHook({ lossTensor: 'loss:0', failOnNanLoss: false })],
    });
    await sess.run('train');
    expect(sess.shouldStop()).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new NanTensorHook({ lossTensor: 3 as never })).toThrow(
      'Expected a tensor name or an Output for lossTensor but received number 3',
    );
    expect(() => new NanTensorHook({ lossTensor: 'l:0', failOnNanLoss: 'yes' as never })).toThrow(ArgumentError);
  });

  it('is usable as a SessionRunArgs source outside a session', () => {
    expect(new NanTensorHook({ lossTensor: 'loss:0' }).beforeRun(null as never)).toEqual(new SessionRunArgs('loss:0'));
  });
});
