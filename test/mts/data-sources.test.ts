/**
 * Input pipelines under MonitoredTrainingSession (issue 6, "It must show" 4): a tf.data iterator
 * that ends with OutOfRangeError, and a queue fed by a QueueRunner from the graph's collection.
 * The trained values are compared with Python TF replaying the fixtures on this machine
 * (test/support/fixture-replay.ts says why not with expected.json).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { InvalidArgumentError, OutOfRangeError } from '../../lib/core/errors';
import { MonitoredTrainingSession } from '../../lib/train/monitored-training-session';
import { StopAtStepHook } from '../../lib/hooks/basic/stop-at-step-hook';
import { SessionRunHook } from '../../lib/hooks/session-run-hook';
import { getOrCreateGlobalStep } from '../../lib/core/global-step';
import { QueueRunner } from '../../lib/core/queue-runner';
import { loadCheckpoint } from '../../lib/checkpoint/checkpoint-reader';
import * as logging from '../../lib/core/logging';
import { loadExpected, type FixtureName } from '../fixtures/fixtures';
import { requirePythonTF } from '../support/python';
import { type FixtureReplay, expectSameAsPython, replayFixtures } from '../support/fixture-replay';
import { loadFixtureGraph, tmpDir } from './support';

const CONFIG = { intraOpParallelismThreads: 1, interOpParallelismThreads: 1 };

let py: Record<FixtureName, FixtureReplay>;
beforeAll(() => {
  requirePythonTF();
  py = replayFixtures(['dataset', 'queue']);
});

/** Every variable of the checkpoint at `prefix` equals Python's after the fixture's recorded steps. */
function expectPythonsFinalValues(name: FixtureName, prefix: string): void {
  const reader = loadCheckpoint(prefix);
  try {
    expect(Object.keys(reader.getVariableToShapeMap()).sort()).toEqual(Object.keys(py[name].final).sort());
    for (const [key, theirs] of Object.entries(py[name].final)) {
      const t = reader.getTensor(key);
      expectSameAsPython({ dtype: t.dtype, shape: t.shape, data: t.data as Float32Array }, theirs, `${name}:${key}`);
    }
  } finally {
    reader.close();
  }
}

class EndRecorder extends SessionRunHook {
  ended = 0;
  override end(): void {
    this.ended++;
  }
}

describe('MonitoredTrainingSession with a tf.data iterator (dataset fixture)', () => {
  it('ends cleanly on OutOfRangeError inside using(), runs end() hooks and writes the final checkpoint', async () => {
    const expected = loadExpected('dataset');
    const dir = tmpDir();
    const recorder = new EndRecorder();
    const capture = logging.captureLogs();
    const sess = await MonitoredTrainingSession({
      graph: loadFixtureGraph('dataset'),
      checkpointDir: dir,
      hooks: [recorder],
      config: CONFIG,
    });
    let runs = 0;
    let thrown: unknown = null;
    try {
      await sess.using(async (s) => {
        while (!s.shouldStop()) {
          try {
            await s.run('train');
          } catch (e) {
            thrown = e;
            throw e;
          }
          runs++;
        }
      });
    } finally {
      capture.restore();
    }
    expect(thrown).toBeInstanceOf(OutOfRangeError);
    expect(runs).toBe(expected.successful_steps);
    expect(recorder.ended).toBe(1);
    expect(sess.stopReason).toBe('out-of-range');
    // Saved at creation (0) and in end() (4), with the values Python computed.
    expect(capture.messages(logging.Level.INFO)).toContain(`Saving checkpoints for 4 into ${dir}/model.ckpt.`);
    expect(fs.existsSync(path.join(dir, 'model.ckpt-4.index'))).toBe(true);
    expect(py.dataset.end_error).toBe('OutOfRangeError');
    expectPythonsFinalValues('dataset', path.join(dir, 'model.ckpt-4'));
  });

  it('lets OutOfRangeError through run() outside using(), and close() still ends the hooks', async () => {
    const recorder = new EndRecorder();
    const sess = await MonitoredTrainingSession({ graph: loadFixtureGraph('dataset'), hooks: [recorder] });
    for (let i = 0; i < 4; i++) await sess.run('train');
    await expect(sess.run('train')).rejects.toBeInstanceOf(OutOfRangeError);
    await sess.close();
    expect(recorder.ended).toBe(1);
  });
});

describe('MonitoredTrainingSession with a QueueRunner (queue fixture)', () => {
  it("trains from the queue runner of the graph's collection and closes without stragglers", async () => {
    const dir = tmpDir();
    const capture = logging.captureLogs();
    const graph = loadFixtureGraph('queue');
    const sess = await MonitoredTrainingSession({
      graph,
      checkpointDir: dir,
      hooks: [new StopAtStepHook({ lastStep: 5 })],
      config: CONFIG,
      stopGracePeriodSecs: 30,
    });
    const dequeued: number[][] = [];
    try {
      await sess.using(async (s) => {
        while (!s.shouldStop()) {
          const [, x] = await s.run(['train', 'dequeue:0']);
          dequeued.push(Array.from(x!.data as Float32Array));
        }
      });
    } finally {
      capture.restore();
    }
    expect(dequeued).toEqual(Array(5).fill([1, 2]));
    // The enqueue loop and the close-on-stop loop ended within the grace period.
    expect(capture.messages().some((m) => m.startsWith('Coordinator stopped with threads still running'))).toBe(false);
    expect(py.queue.steps).toHaveLength(5);
    expectPythonsFinalValues('queue', path.join(dir, 'model.ckpt-5'));
  });

  it('surfaces an enqueue error as Python does: shouldStop() turns true, close() throws it', async () => {
    const g = new Graph();
    getOrCreateGlobalStep(g);
    const q = g.addOp({ type: 'FIFOQueueV2', name: 'q', attrs: { component_types: ['float32'], shapes: [[]], capacity: 2 } });
    const never = g.addOp({ type: 'Placeholder', name: 'never_fed', attrs: { dtype: 'float32', shape: [] } });
    g.addOp({ type: 'QueueEnqueueV2', name: 'enqueue', inputs: [q, [never]], attrs: { Tcomponents: ['float32'] } });
    g.addOp({ type: 'QueueCloseV2', name: 'q_Close', inputs: [q] });
    g.addOp({ type: 'QueueCloseV2', name: 'q_Close_1', inputs: [q], attrs: { cancel_pending_enqueues: true } });
    g.addToCollection(
      'queue_runners',
      new QueueRunner({ queueName: 'q', enqueueOps: ['enqueue'], closeOp: 'q_Close', cancelOp: 'q_Close_1' }),
    );
    const recorder = new EndRecorder();
    const capture = logging.captureLogs();
    try {
      const sess = await MonitoredTrainingSession({ graph: g, hooks: [recorder] });
      for (let i = 0; i < 200 && !sess.shouldStop(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(sess.shouldStop()).toBe(true);
      expect(sess.stopReason).toBe('coordinator');
      await expect(sess.close()).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(recorder.ended).toBe(1);
    } finally {
      capture.restore();
    }
    expect(capture.messages(logging.Level.INFO).some((m) => m.startsWith('Error reported to Coordinator: InvalidArgumentError'))).toBe(
      true,
    );
  });
});
