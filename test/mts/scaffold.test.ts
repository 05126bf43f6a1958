/**
 * Scaffold (docs/python-parity.md §4), the global step (§6) and the SessionManager (§3.3) on real graphs; and
 * MonitoredTrainingSession on the resource-variable and MLP fixtures, bit for bit against Python
 * TF replaying them on this machine (test/support/fixture-replay.ts: not against expected.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, DeadlineExceededError } from '../../lib/core/errors';
import { Graph, type Operation, type Output } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import type { Tensor } from '../../lib/core/tensor';
import { Scaffold } from '../../lib/checkpoint/scaffold';
import { SessionManager } from '../../lib/train/session-manager';
import { Saver } from '../../lib/checkpoint/saver';
import { MonitoredTrainingSession } from '../../lib/train/monitored-training-session';
import { StopAtStepHook } from '../../lib/hooks/basic/stop-at-step-hook';
import { getGlobalStep, getOrCreateGlobalStep, globalStepReadTensor } from '../../lib/core/global-step';
import * as logging from '../../lib/core/logging';
import { fixturePath, loadExpected, stepFeeds, type FixtureName } from '../fixtures/fixtures';
import { requirePythonTF } from '../support/python';
import { type FixtureReplay, expectSameAsPython, replayFixtures } from '../support/fixture-replay';
import { counterGraph, loadFixtureGraph, tmpDir } from './support';
import { freePort } from '../support/child';

const strings = (t: Tensor) => t.bytes.map((b) => Buffer.from(b).toString('utf8'));
const nameOf = (x: unknown) => (x as Operation | Output).name;

function quiet<T>(fn: () => T): T {
  const capture = logging.captureLogs();
  try {
    return fn();
  } finally {
    capture.restore();
  }
}

describe('getOrCreateGlobalStep (docs/python-parity.md §6)', () => {
  it("builds Python's structure and the read tensor global_step/add:0", () => {
    const g = new Graph();
    const gs = getOrCreateGlobalStep(g);
    expect(gs.name).toBe('global_step:0');
    expect(getOrCreateGlobalStep(g).name).toBe('global_step:0');
    for (const [name, type] of [
      ['global_step', 'VariableV2'],
      ['global_step/Initializer/zeros', 'Const'],
      ['global_step/Assign', 'Assign'],
      ['global_step/read', 'Identity'],
    ]) {
      expect(g.operation(name).type).toBe(type);
    }
    expect(g.getCollection('global_step')).toHaveLength(1);
    expect(g.getCollection('variables')).toHaveLength(1);
    const read = globalStepReadTensor(g)!;
    expect(read.name).toBe('global_step/add:0');
    expect(globalStepReadTensor(g)).toBe(read);
    expect(g.getCollection('global_step_read_op_cache')).toEqual([read]);
    // The plain read (docs/python-parity.md §6.3): the snapshot plus a zero.
    expect(read.op.inputs.map((i) => i.name)).toEqual(['global_step/read:0', 'global_step/add/y:0']);
  });

  it("guarded: Python's cond structure, which reads the initial value before initialization", async () => {
    const g = new Graph();
    getOrCreateGlobalStep(g);
    const read = globalStepReadTensor(g, { guarded: true })!;
    expect(read.name).toBe('global_step/add:0');
    for (const name of [
      'global_step/IsVariableInitialized',
      'global_step/cond/Switch',
      'global_step/cond/read/Switch',
      'global_step/cond/Merge',
      'global_step/add/y',
    ]) {
      expect(g.hasOperation(name)).toBe(true);
    }
    const s = new Session(g);
    expect((await s.run(read))!.data).toEqual(BigInt64Array.of(0n));
    await s.run('global_step/Assign');
    g.addOp({
      type: 'AssignAdd',
      name: 'inc',
      inputs: ['global_step', g.addOp({ type: 'Const', name: 'c5', attrs: { dtype: 'int64', value: 5n } })],
    });
    await s.run('inc');
    expect((await s.run(read))!.data).toEqual(BigInt64Array.of(5n));
    await s.close();
  });

  it('finds the global step of a Python graph by its collection, and a resource one', () => {
    expect(getGlobalStep(loadFixtureGraph('linear'))?.name).toBe('global_step:0');
    const g = loadFixtureGraph('resource');
    expect(getGlobalStep(g)?.op.type).toBe('VarHandleOp');
    expect(globalStepReadTensor(g)!.name).toBe('global_step/add:0');
    expect(g.operation('global_step/add').inputs[0].op.type).toBe('ReadVariableOp');
  });
});

describe('Scaffold.finalize() (docs/python-parity.md §4.2)', () => {
  it("builds the missing ops with Python's names, adds them to the collections and finalizes the graph", async () => {
    const g = await counterGraph();
    const scaffold = new Scaffold();
    const capture = logging.captureLogs();
    scaffold.finalize(g);
    capture.restore();
    expect(capture.messages(logging.Level.INFO)).toEqual(['Graph was finalized.']);
    expect(g.finalized).toBe(true);
    expect(nameOf(scaffold.initOp)).toBe('group_deps');
    expect(g.operation('group_deps').controlInputs.map((o) => o.name)).toEqual(['init', 'init_1']);
    expect(
      g
        .operation('init')
        .controlInputs.map((o) => o.name)
        .sort(),
    ).toEqual(['global_step/Assign', 'w/Assign']);
    expect(nameOf(scaffold.readyOp)).toBe('concat:0');
    expect(nameOf(scaffold.readyForLocalInitOp)).toBe('concat_1:0');
    expect(nameOf(scaffold.localInitOp)).toBe('group_deps_1');
    expect(g.operation('group_deps_1').controlInputs.map((o) => o.name)).toEqual(['init_2', 'init_all_tables', 'init_3']);
    expect(nameOf(scaffold.summaryOp)).toBe('Merge/MergeSummary:0');
    expect(scaffold.saver).toBeInstanceOf(Saver);
    expect(scaffold.saver!.saverDef).toMatchObject({
      filenameTensorName: 'save/Const:0',
      saveTensorName: 'save/Identity:0',
      restoreOpName: 'save/restore_all',
      maxToKeep: 5,
      sharded: true,
    });
    for (const key of ['init_op', 'ready_op', 'ready_for_local_init_op', 'local_init_op', 'summary_op', 'savers']) {
      expect(g.getCollection(key)).toHaveLength(1);
    }
    expect(() => g.addOp({ type: 'NoOp', name: 'late' })).toThrow(/Scaffold\.finalize\(\)/);
    // A second finalize (every session re-creation) only finalizes again.
    quiet(() => scaffold.finalize(g));
    g.unfinalize();
  });

  it('reports uninitialized variables by op name, as Python (global_step, w), and nothing once initialized', async () => {
    const g = await counterGraph();
    const scaffold = quiet(() => new Scaffold().finalize(g));
    const s = new Session(g);
    expect(strings((await s.run(scaffold.readyOp as Output))!)).toEqual(['global_step', 'w']);
    await s.run(scaffold.initOp as Operation);
    expect(strings((await s.run(scaffold.readyOp as Output))!)).toEqual([]);
    expect(strings((await s.run(scaffold.readyForLocalInitOp as Output))!)).toEqual([]);
    await s.close();
    g.unfinalize();
  });

  it('takes single collection items of a Python graph instead of building them', () => {
    const g = loadFixtureGraph('linear');
    const scaffold = quiet(() => new Scaffold().finalize(g));
    expect(nameOf(scaffold.initOp)).toBe('init');
    expect(nameOf(scaffold.summaryOp)).toBe('Merge/MergeSummary:0');
    expect(scaffold.saver!.saverDef!.saveTensorName).toBe('save/Identity:0');
    expect(g.hasOperation('save_1/Const')).toBe(false);
    g.unfinalize();
  });

  it('does not add constructor values to the collections; copyFromScaffold copies fields and re-binds initFn', async () => {
    const g = await counterGraph();
    const noop = g.addOp({ type: 'NoOp', name: 'my_init' });
    const seen: unknown[] = [];
    const first = new Scaffold({
      initOp: noop,
      initFn: (sc) => {
        seen.push(sc);
      },
    });
    const second = new Scaffold({ copyFromScaffold: first });
    expect(second.initOp).toBe(noop);
    quiet(() => second.finalize(g));
    expect(g.getCollection('init_op')).toHaveLength(0);
    await second.initFn!(null as never);
    expect(seen).toEqual([second]);
    g.unfinalize();
  });
});

describe('SessionManager (docs/python-parity.md §3.3)', () => {
  it('recoverSession: not restored without a checkpoint, restored (and logged) with one', async () => {
    const g = await counterGraph();
    const scaffold = quiet(() => new Scaffold().finalize(g));
    const sm = new SessionManager({
      graph: g,
      readyOp: scaffold.readyOp,
      readyForLocalInitOp: scaffold.readyForLocalInitOp,
      localInitOp: scaffold.localInitOp,
    });
    const dir = tmpDir();
    const capture = logging.captureLogs();
    try {
      const none = await sm.recoverSession('', { saver: scaffold.saver, checkpointDir: dir });
      expect(none.restored).toBe(false);
      await none.session.run(scaffold.initOp as Operation);
      await none.session.run('train');
      await scaffold.saver!.save(none.session, path.join(dir, 'model.ckpt'), { globalStep: 1 });
      await none.session.close();
      const again = await sm.recoverSession('', { saver: scaffold.saver, checkpointDir: dir });
      expect(again.restored).toBe(true);
      expect((await again.session!.run('w:0'))!.data![0]).toBe(0.375);
      await again.session.close();
    } finally {
      capture.restore();
      g.unfinalize();
    }
    expect(capture.messages(logging.Level.INFO)).toContain(`Restored model from ${dir}`);
  });

  it('prepareSession restores checkpointFilenameWithPath and then skips initOp and initFn', async () => {
    const g = loadFixtureGraph('linear');
    const scaffold = quiet(() => new Scaffold().finalize(g));
    let initFnCalls = 0;
    const sm = new SessionManager({
      graph: g,
      readyOp: scaffold.readyOp,
      readyForLocalInitOp: scaffold.readyForLocalInitOp,
      localInitOp: scaffold.localInitOp,
    });
    const capture = logging.captureLogs();
    const prefix = fixturePath('linear', 'ckpt', 'model.ckpt-3');
    const sess = await sm
      .prepareSession('', {
        saver: scaffold.saver,
        checkpointFilenameWithPath: prefix,
        initOp: scaffold.initOp,
        initFn: () => {
          initFnCalls++;
        },
      })
      .finally(() => capture.restore());
    expect(initFnCalls).toBe(0);
    expect(capture.messages(logging.Level.INFO)).toContain(`Restoring parameters from ${prefix}`);
    expect((await sess.run('global_step:0'))!.data).toEqual(BigInt64Array.of(3n));
    await sess.close();
    g.unfinalize();
  });

  it('waitForSession polls every recoveryWaitSecs and logs why it waits', async () => {
    const g = await counterGraph();
    const scaffold = quiet(() => new Scaffold().finalize(g));
    const sm = new SessionManager({
      graph: g,
      readyOp: scaffold.readyOp,
      readyForLocalInitOp: scaffold.readyForLocalInitOp,
      localInitOp: scaffold.localInitOp,
      recoveryWaitSecs: 0.05,
    });
    const capture = logging.captureLogs();
    await sm
      .waitForSession('', { maxWaitSecs: 0.2 })
      .catch((e) => e)
      .finally(() => capture.restore());
    const waits = capture.messages(logging.Level.INFO).filter((m) => m.startsWith('Waiting for model to be ready.'));
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits[0]).toBe(
      'Waiting for model to be ready.  Ready_for_local_init_op:  Variables not initialized: global_step, w, ready: None',
    );
    g.unfinalize();
  });

  // A remote master nothing listens on: the session's first run would wait inside gRPC forever
  // (Python hangs there too). The wait counts as "not ready" and ends at maxWaitSecs.
  it('a worker whose master accepts no connection gives up at maxWaitSecs, naming why', async () => {
    const port = await freePort();
    const capture = logging.captureLogs();
    const e = await MonitoredTrainingSession({
      graph: loadFixtureGraph('linear'),
      master: `grpc://127.0.0.1:${port}`,
      isChief: false,
      maxWaitSecs: 0.5,
      workerPollIntervalSecs: 0.1,
    })
      .then(
        () => null,
        (x) => x,
      )
      .finally(() => capture.restore());
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect(e.message).toBe(`Session was not ready after waiting 0 secs: grpc://127.0.0.1:${port} accepts no connection (ECONNREFUSED).`);
    expect(capture.messages(logging.Level.INFO)).toContain(`Waiting for grpc://127.0.0.1:${port} to accept connections (ECONNREFUSED).`);
  });

  // Python's deadline test (time left − poll interval < 0) never fires with an interval of 0,
  // which our options allow (workerPollIntervalSecs): the wait looped forever.
  it('with a wait of 0 s between tries, still gives up at maxWaitSecs', async () => {
    const g = await counterGraph();
    const scaffold = quiet(() => new Scaffold().finalize(g));
    const sm = new SessionManager({
      graph: g,
      readyOp: scaffold.readyOp,
      readyForLocalInitOp: scaffold.readyForLocalInitOp,
      localInitOp: scaffold.localInitOp,
      recoveryWaitSecs: 0,
    });
    const capture = logging.captureLogs();
    try {
      const t0 = Date.now();
      const e = await sm.waitForSession('', { maxWaitSecs: 0.3 }).catch((x) => x);
      expect(e).toBeInstanceOf(DeadlineExceededError);
      expect(e.message).toBe('Session was not ready after waiting 0 secs.');
      expect(Date.now() - t0).toBeLessThan(20_000); // not forever; no timing claim beyond that
      // The same for a chief waiting for its first checkpoint.
      const dir = tmpDir();
      const r = await sm.recoverSession('', { saver: scaffold.saver, checkpointDir: dir, waitForCheckpoint: true, maxWaitSecs: 0.3 });
      expect(r.restored).toBe(false);
      await r.session.close();
      for (const [opts, param] of [
        [{ maxWaitSecs: Number.NaN }, 'maxWaitSecs'],
        [{ maxWaitSecs: -1 }, 'maxWaitSecs'],
        [{ waitForCheckpoint: 'yes' }, 'waitForCheckpoint'],
      ] as const) {
        const bad = await sm.recoverSession('', { saver: scaffold.saver, checkpointDir: dir, ...(opts as object) }).catch((x) => x);
        expect(bad).toBeInstanceOf(ArgumentError);
        expect(bad.param).toBe(param);
      }
      expect(await sm.waitForSession('', { maxWaitSecs: -1 }).catch((x) => x.param)).toBe('maxWaitSecs');
    } finally {
      capture.restore();
      g.unfinalize();
    }
  });
});

describe('MonitoredTrainingSession on more Python fixtures, bit for bit', () => {
  const CONFIG = { intraOpParallelismThreads: 1, interOpParallelismThreads: 1 };
  const FIXTURES: FixtureName[] = ['resource', 'mlp_digits'];
  let py: Record<FixtureName, FixtureReplay>;
  beforeAll(() => {
    requirePythonTF();
    py = replayFixtures(FIXTURES);
  });

  it.each(FIXTURES)('%s: trains every recorded step and saves what Python computed', async (name) => {
    const expected = loadExpected(name);
    const dir = tmpDir();
    const last = expected.steps[expected.steps.length - 1].step;
    const capture = logging.captureLogs();
    try {
      const sess = await MonitoredTrainingSession({
        graph: loadFixtureGraph(name),
        checkpointDir: dir,
        config: CONFIG,
        hooks: [new StopAtStepHook({ lastStep: last })],
      });
      let step = 1;
      await sess.using(async (s) => {
        while (!s.shouldStop()) await s.run(expected.names.train_op as string, stepFeeds(name, step++) as never);
      });
    } finally {
      capture.restore();
    }
    expect(fs.existsSync(path.join(dir, `model.ckpt-${last}.index`))).toBe(true);
    const { loadCheckpoint } = await import('../../lib/checkpoint/checkpoint-reader');
    const reader = loadCheckpoint(path.join(dir, `model.ckpt-${last}`));
    // Every variable after the last step, optimizer slots included, as the fixture's checkpoint has them.
    expect(Object.keys(py[name].final).sort()).toEqual(Object.keys(expected.checkpoint.tensors).sort());
    expect(Object.keys(reader.getVariableToShapeMap()).sort()).toEqual(Object.keys(expected.checkpoint.tensors).sort());
    for (const [key, theirs] of Object.entries(py[name].final)) {
      const t = reader.getTensor(key);
      expectSameAsPython({ dtype: t.dtype, shape: t.shape, data: t.data as Float32Array }, theirs, `${name}:${key}`);
    }
    reader.close();
  });
});
