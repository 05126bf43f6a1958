/**
 * Bad options given to the hooks and the timer: each is an ArgumentError naming the option the
 * caller wrote (not an internal name), raised by the constructor. No session is needed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArgumentError, ValueError } from '../../lib/core/errors';
import { Graph } from '../../lib/core/graph';
import { CheckpointSaverHook } from '../../lib/hooks/basic/checkpoint-saver-hook';
import { FeedFnHook } from '../../lib/hooks/basic/feed-fn-hook';
import { FinalOpsHook } from '../../lib/hooks/basic/final-ops-hook';
import { GlobalStepWaiterHook } from '../../lib/hooks/basic/global-step-waiter-hook';
import { LoggingTensorHook } from '../../lib/hooks/basic/logging-tensor-hook';
import { NanTensorHook } from '../../lib/hooks/basic/nan-tensor-hook';
import { ProfilerHook } from '../../lib/hooks/basic/profiler-hook';
import { StepCounterHook } from '../../lib/hooks/basic/step-counter-hook';
import { StopAtStepHook } from '../../lib/hooks/basic/stop-at-step-hook';
import { SummarySaverHook } from '../../lib/hooks/basic/summary-saver-hook';
import { SecondOrStepTimer } from '../../lib/hooks/second-or-step-timer';
import { SessionRunHook, checkHook, checkHooks } from '../../lib/hooks/session-run-hook';
import { type LogCapture, captureLogs } from '../../lib/core/logging';
import { Scaffold } from '../../lib/checkpoint/scaffold';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hook-options-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

let logs: LogCapture;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
});

/** The ArgumentError `make` throws; fails the test if it throws anything else or nothing. */
function argError(make: () => unknown): ArgumentError {
  let error: unknown;
  try {
    make();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ArgumentError);
  return error as ArgumentError;
}

function expectParam(make: () => unknown, param: string, message?: string | RegExp): void {
  const e = argError(make);
  expect(e.param).toBe(param);
  expect(e.message).toContain(`for ${param} but received`);
  if (message !== undefined) expect(e.message).toMatch(message);
}

const s = (x: unknown) => x as never;

describe('unknown option names', () => {
  it.each([
    ['StepCounterHook', 'everyNStep', () => new StepCounterHook(s({ everyNStep: 5 }))],
    ['StopAtStepHook', 'numStep', () => new StopAtStepHook(s({ lastStep: 5, numStep: 3 }))],
    ['NanTensorHook', 'failOnNan', () => new NanTensorHook(s({ lossTensor: 'loss:0', failOnNan: false }))],
    ['LoggingTensorHook', 'everyNIters', () => new LoggingTensorHook(s({ tensors: ['a:0'], everyNIters: 5, atEnd: true }))],
    ['CheckpointSaverHook', 'saveStep', () => new CheckpointSaverHook(s({ checkpointDir: 'd', saveStep: 5 }))],
    ['SummarySaverHook', 'summaryOps', () => new SummarySaverHook(s({ saveSteps: 1, summaryOp: 's:0', summaryOps: 's:0' }))],
    ['ProfilerHook', 'outputDirectory', () => new ProfilerHook(s({ saveSteps: 1, outputDirectory: 'x' }))],
    ['GlobalStepWaiterHook', 'waitUntil', () => new GlobalStepWaiterHook(s({ waitUntilStep: 1, waitUntil: 2 }))],
    ['FinalOpsHook', 'finalOpsFeed', () => new FinalOpsHook(s({ finalOps: 'a:0', finalOpsFeed: {} }))],
    ['FeedFnHook', 'fn', () => new FeedFnHook(s({ feedFn: () => ({}), fn: 1 }))],
    ['SecondOrStepTimer', 'everyStep', () => new SecondOrStepTimer(s({ everySteps: 1, everyStep: 2 }))],
  ])('%s rejects %s, naming it', (owner, key, make) => {
    const e = argError(make);
    expect(e.param).toBe(key);
    expect(e.message).toContain(`Unknown option '${key}' for ${owner} (known options: `);
  });

  it('accepts every documented option of a hook (undefined counts as not given)', () => {
    expect(() => new StopAtStepHook({ numSteps: undefined, lastStep: 3, graph: null })).not.toThrow();
    expect(
      () =>
        new StepCounterHook({
          everyNSteps: 5,
          everyNSecs: null,
          outputDir: null,
          summaryWriter: null,
          stepsPerRun: 1,
          graph: null,
          clock: () => 0,
        }),
    ).not.toThrow();
  });
});

describe("periods: the error names the hook's own option", () => {
  it.each([
    ['saveSteps', () => new CheckpointSaverHook(s({ checkpointDir: 'd', saveSteps: '5' }))],
    ['saveSecs', () => new CheckpointSaverHook(s({ checkpointDir: 'd', saveSecs: NaN }))],
    ['saveSteps', () => new SummarySaverHook(s({ summaryOp: 's:0', saveSteps: Infinity }))],
    ['saveSecs', () => new SummarySaverHook(s({ summaryOp: 's:0', saveSecs: '1' }))],
    ['saveSteps', () => new ProfilerHook(s({ saveSteps: NaN }))],
    ['saveSecs', () => new ProfilerHook(s({ saveSecs: Infinity }))],
    ['everyNSteps', () => new StepCounterHook(s({ everyNSteps: '5' }))],
    ['everyNSecs', () => new StepCounterHook(s({ everyNSteps: null, everyNSecs: NaN }))],
    ['everyNIter', () => new LoggingTensorHook(s({ tensors: ['a:0'], everyNIter: NaN }))],
    ['everyNIter', () => new LoggingTensorHook(s({ tensors: ['a:0'], everyNIter: Infinity }))],
  ])('%s', (param, make) => {
    expectParam(make, param);
  });

  it('the timer alone still names its own parameters', () => {
    expectParam(
      () => new SecondOrStepTimer(s({ everySteps: '10' })),
      'everySteps',
      'Expected a finite number or null for everySteps but received string "10"',
    );
    expectParam(() => new SecondOrStepTimer(s({ everySecs: NaN })), 'everySecs');
  });

  it("keeps Python's ValueErrors for missing or doubled periods", () => {
    expect(() => new CheckpointSaverHook({ checkpointDir: 'd' })).toThrow(ValueError);
    expect(() => new StepCounterHook({ everyNSteps: null })).toThrow('exactly one of every_n_steps and every_n_secs should be provided.');
    expect(() => new LoggingTensorHook({ tensors: ['a:0'], everyNIter: 0 })).toThrow('invalid every_n_iter=0.');
  });
});

describe('step counts are integers; zero and negative values stay accepted, as in Python', () => {
  it.each([
    ['saveSteps', () => new CheckpointSaverHook({ checkpointDir: 'd', saveSteps: 1.5 })],
    ['saveSteps', () => new SummarySaverHook({ summaryOp: 's:0', saveSteps: 1.5 })],
    ['saveSteps', () => new ProfilerHook({ saveSteps: 1.5 })],
    ['everyNSteps', () => new StepCounterHook({ everyNSteps: 2.5 })],
    ['everyNIter', () => new LoggingTensorHook({ tensors: ['a:0'], everyNIter: 1.5 })],
    ['numSteps', () => new StopAtStepHook({ numSteps: 1.5 })],
    ['lastStep', () => new StopAtStepHook({ lastStep: 10.25 })],
    ['lastStep', () => new StopAtStepHook(s({ lastStep: '10' }))],
    ['everySteps', () => new SecondOrStepTimer({ everySteps: 0.5 })],
  ])('%s: 1.5 is rejected', (param, make) => {
    expectParam(make, param, /integer/);
  });

  it('zero, negative and fractional-second periods are accepted', () => {
    const dir = tmp();
    expect(() => new StopAtStepHook({ numSteps: 0 })).not.toThrow();
    expect(() => new StopAtStepHook({ numSteps: -3 })).not.toThrow();
    expect(() => new StopAtStepHook({ lastStep: -1 })).not.toThrow();
    expect(() => new CheckpointSaverHook({ checkpointDir: dir, saveSteps: 0 })).not.toThrow();
    expect(() => new CheckpointSaverHook({ checkpointDir: dir, saveSteps: -5 })).not.toThrow();
    expect(() => new CheckpointSaverHook({ checkpointDir: dir, saveSecs: 0.5 })).not.toThrow();
    expect(() => new LoggingTensorHook({ tensors: ['a:0'], everyNSecs: 0.25 })).not.toThrow();
  });
});

describe('SecondOrStepTimer options', () => {
  it('null or a non-object is an ArgumentError naming options', () => {
    expectParam(() => new SecondOrStepTimer(s(null)), 'options', 'Expected an object for options but received null');
    expectParam(() => new SecondOrStepTimer(s(5)), 'options');
  });
});

describe('booleans must be booleans', () => {
  it.each([
    ['saveGraphDef', () => new CheckpointSaverHook(s({ checkpointDir: 'd', saveSteps: 1, saveGraphDef: 'false' }))],
    ['atEnd', () => new LoggingTensorHook(s({ tensors: ['a:0'], atEnd: 'yes' }))],
    ['atEnd', () => new LoggingTensorHook(s({ tensors: ['a:0'], everyNIter: 1, atEnd: 1 }))],
    ['showDataflow', () => new ProfilerHook(s({ saveSteps: 1, showDataflow: 'no' }))],
    ['showMemory', () => new ProfilerHook(s({ saveSteps: 1, showMemory: 0 }))],
    ['failOnNanLoss', () => new NanTensorHook(s({ lossTensor: 'l:0', failOnNanLoss: 'false' }))],
  ])('%s', (param, make) => {
    expectParam(make, param, /a boolean/);
  });

  it('true and false are accepted', () => {
    expect(() => new CheckpointSaverHook({ checkpointDir: tmp(), saveSteps: 1, saveGraphDef: false })).not.toThrow();
    expect(() => new LoggingTensorHook({ tensors: ['a:0'], atEnd: true })).not.toThrow();
  });
});

describe('CheckpointSaverHook', () => {
  const base = { checkpointDir: 'd', saveSteps: 1 };

  it('listeners: an array of objects whose listener methods are functions', () => {
    expectParam(() => new CheckpointSaverHook(s({ ...base, listeners: [5] })), 'listeners[0]');
    expectParam(() => new CheckpointSaverHook(s({ ...base, listeners: [{}, null] })), 'listeners[1]');
    expectParam(() => new CheckpointSaverHook(s({ ...base, listeners: [{ afterSave: true }] })), 'listeners[0].afterSave', /a function/);
    expectParam(() => new CheckpointSaverHook(s({ ...base, listeners: 'l' })), 'listeners');
    expect(() => new CheckpointSaverHook({ ...base, checkpointDir: tmp(), listeners: [{ afterSave: () => false }, {}] })).not.toThrow();
  });

  it('scaffold: a Scaffold', () => {
    expectParam(
      () => new CheckpointSaverHook(s({ ...base, scaffold: {} })),
      'scaffold',
      'Expected a Scaffold or null for scaffold but received Object',
    );
    expect(() => new CheckpointSaverHook({ ...base, checkpointDir: tmp(), scaffold: new Scaffold() })).not.toThrow();
  });

  it('graph: a Graph', () => {
    expectParam(() => new CheckpointSaverHook(s({ ...base, graph: 'g' })), 'graph', /a Graph/);
    expect(() => new CheckpointSaverHook({ ...base, checkpointDir: tmp(), graph: new Graph() })).not.toThrow();
  });

  it('checkpointDir and checkpointBasename: paths without NUL', () => {
    expectParam(() => new CheckpointSaverHook({ ...base, checkpointDir: 'runs/a\0b' }), 'checkpointDir', /NUL/);
    expectParam(() => new CheckpointSaverHook({ ...base, checkpointBasename: 'model\0.ckpt' }), 'checkpointBasename', /NUL/);
    expectParam(() => new CheckpointSaverHook(s({ ...base, checkpointDir: 5 })), 'checkpointDir');
    expectParam(() => new CheckpointSaverHook({ ...base, checkpointDir: '' }), 'checkpointDir');
  });
});

describe('SummarySaverHook', () => {
  it('scaffold: a Scaffold', () => {
    expectParam(() => new SummarySaverHook(s({ saveSteps: 1, scaffold: {} })), 'scaffold', /a Scaffold/);
    expect(() => new SummarySaverHook({ saveSteps: 1, scaffold: new Scaffold() })).not.toThrow();
  });

  it('summaryOp: a tensor name/Output or an array of them, checked at construction', () => {
    expectParam(() => new SummarySaverHook(s({ saveSteps: 1, summaryOp: 5 })), 'summaryOp', /a summary tensor/);
    expectParam(() => new SummarySaverHook(s({ saveSteps: 1, summaryOp: '' })), 'summaryOp');
    expectParam(() => new SummarySaverHook(s({ saveSteps: 1, summaryOp: ['a:0', { x: 1 }] })), 'summaryOp[1]');
    expect(() => new SummarySaverHook({ saveSteps: 1, summaryOp: ['a:0', 'b:0'] })).not.toThrow();
  });

  it('outputDir: a path without NUL; graph: a Graph', () => {
    expectParam(() => new SummarySaverHook({ saveSteps: 1, summaryOp: 's:0', outputDir: 'a\0b' }), 'outputDir', /NUL/);
    expectParam(() => new SummarySaverHook(s({ saveSteps: 1, summaryOp: 's:0', outputDir: 7 })), 'outputDir');
    expectParam(() => new SummarySaverHook(s({ saveSteps: 1, summaryOp: 's:0', graph: {} })), 'graph');
  });
});

describe('StepCounterHook and ProfilerHook outputDir', () => {
  it('a path without NUL', () => {
    expectParam(() => new StepCounterHook({ outputDir: 'a\0b' }), 'outputDir', /NUL/);
    expectParam(() => new ProfilerHook({ saveSteps: 1, outputDir: 'a\0b' }), 'outputDir', /NUL/);
    expectParam(() => new ProfilerHook(s({ saveSteps: 1, outputDir: null })), 'outputDir');
    expect(() => new StepCounterHook({ outputDir: '' })).not.toThrow();
  });

  it('graph: a Graph', () => {
    expectParam(() => new StepCounterHook(s({ graph: 5 })), 'graph');
    expectParam(() => new ProfilerHook(s({ saveSteps: 1, graph: 5 })), 'graph');
  });
});

describe('FinalOpsHook', () => {
  it('takes an options object', () => {
    expectParam(() => new FinalOpsHook(s('x')), 'options');
    expectParam(() => new FinalOpsHook(s(null)), 'options');
    expectParam(() => new FinalOpsHook(s(['a:0'])), 'options');
  });

  it('finalOps: fetches, checked at construction', () => {
    expectParam(() => new FinalOpsHook(s({ finalOps: 5 })), 'finalOps');
    expectParam(() => new FinalOpsHook(s({})), 'finalOps');
    expectParam(() => new FinalOpsHook(s({ finalOps: { acc: 'acc:0', bad: true } })), 'finalOps.bad');
    expectParam(() => new FinalOpsHook(s({ finalOps: ['a:0', 3] })), 'finalOps[1]');
    expect(() => new FinalOpsHook({ finalOps: { acc: 'acc:0', op: 'update', list: ['a:0', null] } })).not.toThrow();
    expect(() => new FinalOpsHook({ finalOps: null })).not.toThrow();
  });

  it('finalOpsFeedDict: an object or Map of feeds, not a string', () => {
    expectParam(() => new FinalOpsHook(s({ finalOps: 'a:0', finalOpsFeedDict: 'x:0' })), 'finalOpsFeedDict');
    expectParam(() => new FinalOpsHook(s({ finalOps: 'a:0', finalOpsFeedDict: [1] })), 'finalOpsFeedDict');
    expect(() => new FinalOpsHook({ finalOps: 'a:0', finalOpsFeedDict: { 'k:0': 3 } })).not.toThrow();
    expect(() => new FinalOpsHook({ finalOps: 'a:0', finalOpsFeedDict: new Map() as never })).not.toThrow();
  });
});

describe('FeedFnHook', () => {
  it("accepts the function alone, as Python's FeedFnHook(feed_fn)", () => {
    const fn = () => ({ 'x:0': 1 });
    expect(new FeedFnHook(fn).feedFn).toBe(fn);
    expect(new FeedFnHook({ feedFn: fn }).feedFn).toBe(fn);
  });

  it('rejects anything else, naming feedFn', () => {
    expectParam(() => new FeedFnHook(s('x')), 'feedFn');
    expectParam(() => new FeedFnHook(s(null)), 'feedFn');
    expectParam(() => new FeedFnHook(s(undefined)), 'feedFn');
    expectParam(() => new FeedFnHook(s({ feedFn: 3 })), 'feedFn', 'Expected a function for feedFn but received number 3');
  });
});

describe('NanTensorHook and GlobalStepWaiterHook', () => {
  it('lossTensor: a non-empty tensor name', () => {
    expectParam(() => new NanTensorHook({ lossTensor: '' }), 'lossTensor');
    expectParam(() => new NanTensorHook(s(null)), 'options');
  });

  it('graph: a Graph', () => {
    expectParam(() => new GlobalStepWaiterHook(s({ waitUntilStep: 1, graph: 5 })), 'graph', /a Graph/);
    expectParam(() => new StopAtStepHook(s({ lastStep: 1, graph: 'g' })), 'graph');
    expect(() => new GlobalStepWaiterHook({ waitUntilStep: 1, graph: new Graph() })).not.toThrow();
  });
});

describe('LoggingTensorHook tensors', () => {
  it('an empty tensor name is rejected, naming the entry', () => {
    expectParam(() => new LoggingTensorHook({ tensors: ['a:0', ''], everyNIter: 1 }), 'tensors[1]');
    expectParam(() => new LoggingTensorHook({ tensors: { loss: '' }, everyNIter: 1 }), 'tensors.loss');
  });
});

describe('checkHook / checkHooks', () => {
  it('accepts hooks, plain objects with some methods, and an empty object', () => {
    expect(() => checkHook(new SessionRunHook(), 'hooks[0]')).not.toThrow();
    expect(() => checkHook(new StopAtStepHook({ lastStep: 1 }), 'hooks[0]')).not.toThrow();
    expect(() => checkHook({ beforeRun: () => null }, 'hooks[0]')).not.toThrow();
    expect(() => checkHook({}, 'hooks[0]')).not.toThrow();
  });

  it('names the method that is not a function', () => {
    expectParam(
      () => checkHook({ begin: 5 }, 'hooks[0]'),
      'hooks[0].begin',
      'Expected a function for hooks[0].begin but received number 5',
    );
    expectParam(() => checkHook({ beforeRun: 'x' }, 'hooks[2]'), 'hooks[2].beforeRun');
    expectParam(() => checkHook({ afterCreateSession: null }, 'h'), 'h.afterCreateSession');
  });

  it('rejects what is not an object, a hook class included', () => {
    expectParam(() => checkHook(StopAtStepHook, 'hooks[0]'), 'hooks[0]', /a SessionRunHook/);
    expectParam(() => checkHook(null, 'hooks[0]'), 'hooks[0]');
    expectParam(() => checkHook('hook', 'hooks[0]'), 'hooks[0]');
  });

  it('checkHooks checks each entry, naming its index', () => {
    expect(checkHooks(undefined, 'hooks')).toEqual([]);
    expectParam(() => checkHooks([new SessionRunHook(), { end: 1 }], 'chiefOnlyHooks'), 'chiefOnlyHooks[1].end');
    expectParam(() => checkHooks({}, 'hooks'), 'hooks');
  });
});
