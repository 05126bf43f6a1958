/**
 * The hook-call traces of docs/python-parity.md §2.9 and the construction/close failures of §2.10, reproduced
 * with fakes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortedError, ArgumentError, OutOfRangeError, RuntimeError, ValueError } from '../../lib/core/errors';
import { SessionRunArgs } from '../../lib/hooks/session-run-hook';
import { Coordinator } from '../../lib/core/coordinator';
import { type LogCapture, captureLogs } from '../../lib/core/logging';
import { MonitoredSession, SingularMonitoredSession, StopIteration } from '../../lib/train/monitored-session';
import { FakeGraph, FakeSession, StackSessionCreator, TraceHook, numberOf } from '../support/fakes';

let logs: LogCapture;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
});

/** A graph, a fake session computing `out = 2 * ph`, and a creator that finalizes the graph. */
function setup(trace: string[], sessions = 1) {
  const graph = new FakeGraph();
  const make = (i: number) =>
    new FakeSession(i === 0 ? 's' : `s${i + 1}`, {
      trace,
      graph,
      values: { 'gs:0': 1, 'inc:0': 1, 'out:0': (feeds) => Number(feeds['ph:0'] ?? 0) * 2 },
    });
  const raw = Array.from({ length: sessions }, (_, i) => make(i));
  const creator = new StackSessionCreator(raw, () => graph.finalize());
  return { graph, raw, creator };
}

describe('MonitoredSession hook-call traces (docs/python-parity.md §2.9)', () => {
  it('A: calls begin, afterCreateSession, beforeRun, afterRun and end in hook order around one run', async () => {
    const trace: string[] = [];
    const { graph, raw, creator } = setup(trace);
    const h1 = new TraceHook('h1', trace, {
      request: new SessionRunArgs('gs:0', null, { traceLevel: 1, timeoutInMs: 3 }),
      onBegin: () => `finalized=${graph.finalized}`,
    });
    const h2 = new TraceHook('h2', trace, { request: new SessionRunArgs(['gs:0']), onBegin: () => `finalized=${graph.finalized}` });
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1, h2], graph });
    expect(graph.finalized).toBe(true);

    const userOptions = { timeoutInMs: 5 };
    const result = await sess.using(async (s) => s.run({ o: 'out:0', g: 'inc:0' }, { 'ph:0': 1.0 }, { options: userOptions }));

    expect(trace).toEqual([
      'h1.begin finalized=false',
      'h2.begin finalized=false',
      'h1.acs',
      'h2.acs',
      'h1.before',
      'h2.before',
      's.run',
      'h1.after',
      'h2.after',
      'h1.end',
      'h2.end',
      's.close',
    ]);
    expect(numberOf(result!.o)).toBe(2);
    expect(numberOf(result!.g)).toBe(1);
    expect(numberOf(h1.lastValues!.results)).toBe(1);
    expect(h2.lastValues!.results.map(numberOf)).toEqual([1]);
    for (const h of [h1, h2]) {
      expect(h.lastValues!.options).toEqual({ timeoutInMs: 5, traceLevel: 1 });
      expect(h.acsArgs[0][0]).toBe(raw[0]);
      expect(h.acsArgs[0][1]).toBeInstanceOf(Coordinator);
      expect(h.endSessions).toEqual([raw[0]]);
      expect(h.lastContext!.session).toBe(raw[0]);
    }
    // Python merges the hooks' options into the caller's RunOptions object, in place.
    expect(h1.lastValues!.options).toBe(userOptions);
    expect(userOptions).toEqual({ timeoutInMs: 5, traceLevel: 1 });
    expect(graph.finalized).toBe(false);
  });

  it('E: rejects a tensor fed by both a hook and the user, and end() is not called', async () => {
    const trace: string[] = [];
    const { creator } = setup(trace);
    const h1 = new TraceHook('h1', trace, { request: new SessionRunArgs(null, { 'ph:0': 2.0 }) });
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    const body = sess.using((s) => s.run('out:0', { 'ph:0': 1.0 }));
    await expect(body).rejects.toThrow(RuntimeError);
    await expect(body).rejects.toThrow("Same tensor is fed by a SessionRunHook and user. Conflict(s): ['ph:0']");
    expect(h1.calls.end).toBe(0);
    expect(sess.stopReason).toBe('error');
  });

  it('E: treats "ph" and "ph:0" as the same fed tensor', async () => {
    const { creator } = setup([]);
    const h1 = new TraceHook('h1', [], { request: new SessionRunArgs(null, { ph: 2.0 }) });
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    await expect(sess.run('out:0', { 'ph:0': 1.0 })).rejects.toThrow("Conflict(s): ['ph:0']");
  });

  it('E2: uses the hook feeds when only hooks feed', async () => {
    const { raw, creator } = setup([]);
    const h1 = new TraceHook('h1', [], { request: new SessionRunArgs(null, { 'ph:0': 2.0 }) });
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    expect(numberOf(await sess.run('out:0'))).toBe(4);
    expect(raw[0].runs[0].feeds).toEqual({ 'ph:0': 2.0 });
  });

  it('E2: merges hook and user feeds into a new object and leaves the user feeds alone', async () => {
    const { raw, creator } = setup([]);
    const h1 = new TraceHook('h1', [], { request: new SessionRunArgs(null, { 'a:0': 5 }) });
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    const userFeeds = { 'ph:0': 3 };
    expect(numberOf(await sess.run('out:0', userFeeds))).toBe(6);
    expect(raw[0].runs[0].feeds).toEqual({ 'a:0': 5, 'ph:0': 3 });
    expect(userFeeds).toEqual({ 'ph:0': 3 });
  });

  it('F: rejects a tensor fed by two hooks', async () => {
    const { creator } = setup([]);
    const h1 = new TraceHook('h1', [], { request: new SessionRunArgs(null, { 'ph:0': 1 }) });
    const h2 = new TraceHook('h2', [], { request: new SessionRunArgs(null, { 'ph:0': 2 }) });
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1, h2] });
    const run = sess.run('out:0');
    await expect(run).rejects.toThrow(RuntimeError);
    await expect(run).rejects.toThrow("Same tensor is fed by two hooks. Conflict(s): ['ph:0']");
  });

  it('G: a stop requested in afterRun makes shouldStop() true, and a further run throws', async () => {
    const trace: string[] = [];
    const { creator } = setup(trace);
    const h1 = new TraceHook('h1', trace, { stopInAfterRun: true });
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    expect(sess.shouldStop()).toBe(false);
    expect(sess.stopReason).toBeNull();
    await sess.run('out:0', { 'ph:0': 1 });
    expect(sess.shouldStop()).toBe(true);
    expect(sess.stopReason).toBe('hook-request');
    const again = sess.run('out:0', { 'ph:0': 1 });
    await expect(again).rejects.toThrow(RuntimeError);
    await expect(again).rejects.toThrow('Run called even after should_stop requested.');
    expect(trace.filter((l) => l === 's.run')).toHaveLength(1);
  });

  it('B: OutOfRangeError inside using() runs end() and exits normally', async () => {
    const trace: string[] = [];
    const { raw, creator } = setup(trace);
    const h1 = new TraceHook('h1', trace);
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    const out = await sess.using(async () => {
      throw new OutOfRangeError('End of sequence');
    });
    expect(out).toBeUndefined();
    expect(h1.calls.end).toBe(1);
    expect(raw[0].closed).toBe(true);
    expect(sess.stopReason).toBe('out-of-range');
    expect(sess.stopError).toBeInstanceOf(OutOfRangeError);
  });

  it('B: an OutOfRangeError from run() is swallowed by using() after end()', async () => {
    const trace: string[] = [];
    const graph = new FakeGraph();
    const raw = new FakeSession('s', {
      trace,
      failOnRun: { n: 2, error: () => new OutOfRangeError('End of sequence') },
      values: { 'x:0': 1 },
    });
    const h1 = new TraceHook('h1', trace);
    const sess = await MonitoredSession.create({ sessionCreator: new StackSessionCreator([raw]), hooks: [h1], graph });
    let steps = 0;
    await sess.using(async (s) => {
      while (!s.shouldStop()) {
        await s.run('x:0');
        steps++;
      }
    });
    expect(steps).toBe(1);
    expect(trace).toEqual(['h1.begin', 'h1.acs', 'h1.before', 's.run', 'h1.after', 'h1.before', 's.run', 'h1.end', 's.close']);
  });

  it('D: StopIteration inside using() runs end() and exits normally', async () => {
    const trace: string[] = [];
    const { creator } = setup(trace);
    const h1 = new TraceHook('h1', trace);
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    await expect(
      sess.using(() => {
        throw new StopIteration();
      }),
    ).resolves.toBeUndefined();
    expect(h1.calls.end).toBe(1);
  });

  it('C: any other error inside using() skips end(), closes the session and propagates', async () => {
    const trace: string[] = [];
    const { graph, raw, creator } = setup(trace);
    const h1 = new TraceHook('h1', trace);
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1], graph });
    const body = sess.using(() => {
      throw new ValueError('boom');
    });
    await expect(body).rejects.toThrow(ValueError);
    await expect(body).rejects.toThrow('boom');
    expect(h1.calls.end).toBe(0);
    expect(raw[0].closed).toBe(true);
    expect(sess.shouldStop()).toBe(true);
    expect(graph.finalized).toBe(false);
    expect(sess.stopReason).toBe('error');
  });

  it('C: a subclass of OutOfRangeError is not swallowed (exact type match, docs/python-parity.md §2.4)', async () => {
    class EndOfFile extends OutOfRangeError {}
    const { creator } = setup([]);
    const h1 = new TraceHook('h1', []);
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    await expect(
      sess.using(() => {
        throw new EndOfFile('eof');
      }),
    ).rejects.toThrow(EndOfFile);
    expect(h1.calls.end).toBe(0);
  });

  it("J: AbortedError in a hook's beforeRun re-creates the session, runs afterCreateSession again, and retries", async () => {
    const trace: string[] = [];
    const { raw, creator } = setup(trace, 2);
    const h1 = new TraceHook('h1', trace, { throwIn: { method: 'before', error: () => new AbortedError('Abort'), once: true } });
    const h2 = new TraceHook('h2', trace);
    const sess = await MonitoredSession.create({
      sessionCreator: creator,
      hooks: [h1, h2],
      recovery: { initialBackoffSecs: 0 },
    });
    trace.push('|');
    const out = await sess.run('gs:0');
    expect(numberOf(out)).toBe(1);
    expect(trace).toEqual([
      'h1.begin',
      'h2.begin',
      'h1.acs',
      'h2.acs',
      '|',
      'h1.before',
      's.close',
      'h1.acs',
      'h2.acs',
      'h1.before',
      'h2.before',
      's2.run',
      'h1.after',
      'h2.after',
    ]);
    expect(raw[0].closed).toBe(true);
    expect(h1.calls.begin).toBe(1);
    expect(sess.shouldStop()).toBe(false);
  });

  it('I: runStepFn runs raw on stepContext.session, with hooks through runWithHooks, and requestStop ends using()', async () => {
    const trace: string[] = [];
    const { raw, creator } = setup(trace);
    const h1 = new TraceHook('h1', trace);
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    const seen: number[] = [];
    trace.push('|');
    await sess.using(async (s) => {
      while (!s.shouldStop()) {
        await s.runStepFn(async (ctx) => {
          expect(ctx.session).toBe(raw[0]);
          seen.push(numberOf(await ctx.session.run('out:0', { 'ph:0': 0.5 })));
          trace.push('raw done');
          seen.push(numberOf(await ctx.runWithHooks('out:0', { 'ph:0': 0.25 })));
          ctx.requestStop();
        });
      }
    });
    expect(seen).toEqual([1, 0.5]);
    expect(trace).toEqual(['h1.begin', 'h1.acs', '|', 's.run', 'raw done', 'h1.before', 's.run', 'h1.after', 'h1.end', 's.close']);
    expect(sess.stopReason).toBe('step-fn');
  });

  it('I: requestStop throws StopIteration out of runStepFn outside using(), and shouldStop() stays false', async () => {
    const { creator } = setup([]);
    const sess = await MonitoredSession.create({ sessionCreator: creator });
    const step = sess.runStepFn((ctx) => ctx.requestStop());
    await expect(step).rejects.toThrow(StopIteration);
    await expect(step).rejects.toThrow('step_fn has requested the iterations to stop.');
    expect(sess.shouldStop()).toBe(false);
  });

  it('I: runStepFn returns what the step function returns', async () => {
    const { creator } = setup([]);
    const sess = await MonitoredSession.create({ sessionCreator: creator });
    expect(await sess.runStepFn(() => 42)).toBe(42);
  });

  it('I2: rejects a step function that takes more than one argument', async () => {
    const { creator } = setup([]);
    const sess = await MonitoredSession.create({ sessionCreator: creator });
    const twoArgs = (_a: unknown, _b: unknown) => 1;
    const call = () => sess.runStepFn(twoArgs as never);
    await expect(call()).rejects.toThrow(ValueError);
    await expect(call()).rejects.toThrow(
      "`step_fn` may either have one `step_context` argument, or `self` and `step_context` arguments if it's an instance method. Got 2 arguments instead.",
    );
    await expect(sess.runStepFn('nope' as never)).rejects.toThrow(ArgumentError);
    await expect(sess.runStepFn('nope' as never)).rejects.toThrow('Expected a function for stepFn but received string "nope"');
  });

  it('H: a second close() throws "Session is already closed." without calling end() again', async () => {
    const trace: string[] = [];
    const { creator } = setup(trace);
    const h1 = new TraceHook('h1', trace);
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    expect(sess.graph).toBeInstanceOf(FakeGraph);
    await sess.close();
    const second = sess.close();
    await expect(second).rejects.toThrow(RuntimeError);
    await expect(second).rejects.toThrow('Session is already closed.');
    expect(sess.shouldStop()).toBe(true);
    expect(sess.graph).toBeNull();
    expect(h1.calls.end).toBe(1);
    expect(sess.stopReason).toBe('closed');
  });

  it('H: run() after close() throws ClosedError', async () => {
    const { creator } = setup([]);
    const sess = await MonitoredSession.create({ sessionCreator: creator });
    await sess.close();
    await expect(sess.run('out:0')).rejects.toThrow('MonitoredSession is closed');
  });

  it('K: SingularMonitoredSession lets AbortedError propagate and exposes the raw session', async () => {
    const trace: string[] = [];
    const { raw, creator } = setup(trace, 2);
    const h1 = new TraceHook('h1', trace, { throwIn: { method: 'before', error: () => new AbortedError('Abort'), once: true } });
    const sess = await SingularMonitoredSession.create({ sessionCreator: creator, hooks: [h1] });
    expect(sess.rawSession()).toBe(raw[0]);
    await expect(sess.run('gs:0')).rejects.toThrow(AbortedError);
    expect(creator.created).toBe(1);
    expect(h1.calls.acs).toBe(1);
    expect(sess.stopReason).toBe('preemption');
    await sess.close();
    expect(sess.rawSession()).toBeNull();
  });
});

describe('MonitoredSession construction and close failures (docs/python-parity.md §2.10)', () => {
  it('rejects creation when afterCreateSession throws, leaving the graph finalized and end() uncalled', async () => {
    const trace: string[] = [];
    const { graph, raw, creator } = setup(trace);
    const h1 = new TraceHook('h1', trace, { throwIn: { method: 'acs', error: () => new ValueError('acs failed') } });
    const create = MonitoredSession.create({ sessionCreator: creator, hooks: [h1], graph });
    await expect(create).rejects.toThrow(ValueError);
    await expect(create).rejects.toThrow('acs failed');
    expect(graph.finalized).toBe(true);
    expect(h1.calls.end).toBe(0);
    // Better than Python: the raw session made for the failed construction is closed.
    expect(raw[0].closed).toBe(true);
  });

  it('propagates an error from end(), skips the later hooks, and still closes and un-finalizes', async () => {
    const trace: string[] = [];
    const { graph, raw, creator } = setup(trace);
    const h1 = new TraceHook('h1', trace, { throwIn: { method: 'end', error: () => new ValueError('end failed') } });
    const h2 = new TraceHook('h2', trace);
    const sess = await MonitoredSession.create({ sessionCreator: creator, hooks: [h1, h2], graph });
    const done = sess.using(async () => 'ok');
    await expect(done).rejects.toThrow(ValueError);
    await expect(done).rejects.toThrow('end failed');
    expect(h2.calls.end).toBe(0);
    expect(raw[0].closed).toBe(true);
    expect(graph.finalized).toBe(false);
    expect(sess.shouldStop()).toBe(true);
  });

  it('keeps a graph that was finalized before construction finalized after close', async () => {
    const { graph, creator } = setup([]);
    graph.finalize();
    const sess = await MonitoredSession.create({ sessionCreator: creator, graph });
    await sess.close();
    expect(graph.finalized).toBe(true);
  });
});
