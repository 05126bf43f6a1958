import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { Server } from '../../lib/core/server';
import { Tensor } from '../../lib/core/tensor';
import { freePort } from '../support/child';
import { pythonExecutable, requirePythonTF, runPythonJSONAsync } from '../support/python';
import { type FixtureReplay, expectSameAsPython, replayFixturesAsync } from '../support/fixture-replay';

// A TF1 cluster of mixed processes on loopback: Python hosts the two ps tasks, this Node process
// is the worker (a Server of our own) and trains the `distributed` fixture (variables placed on
// /job:ps by Python's replica_device_setter) through grpc://. Python then reads the variables back
// from the ps tasks as another client of the same cluster. The losses must be those of Python
// training the same graph locally on this machine (not expected.json's: see fixture-replay.ts).
const fixture = path.resolve(__dirname, '..', 'fixtures', 'distributed');
const expected = JSON.parse(fs.readFileSync(path.join(fixture, 'expected.json'), 'utf8'));

let ps: ChildProcess | null = null;
afterAll(() => ps?.kill('SIGKILL'));

let local: FixtureReplay;
beforeAll(async () => {
  requirePythonTF();
  local = (await replayFixturesAsync(['distributed'])).distributed;
});

function startPythonPs(cluster: Record<string, string[]>): Promise<void> {
  const code = `
import sys, tensorflow as tf
tf1 = tf.compat.v1
cluster = tf1.train.ClusterSpec(${JSON.stringify(cluster)})
servers = [tf1.train.Server(cluster, job_name='ps', task_index=i, start=True) for i in range(2)]
print('PS READY', flush=True)
sys.stdin.read()
`;
  ps = spawn(pythonExecutable(), ['-c', code], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  return new Promise((resolve, reject) => {
    let err = '';
    ps!.stdout!.on('data', (d) => {
      if (String(d).includes('PS READY')) resolve();
    });
    ps!.stderr!.on('data', (d) => (err += d));
    ps!.on('exit', (c) => reject(new Error(`python ps exited ${c}: ${err}`)));
  });
}

describe('a ps/worker cluster shared with Python processes', () => {
  it('trains from a Node worker on Python ps tasks, bit-exactly as Python trains locally', async () => {
    requirePythonTF();
    const ports = [await freePort(), await freePort(), await freePort()];
    const cluster = { ps: [`127.0.0.1:${ports[0]}`, `127.0.0.1:${ports[1]}`], worker: [`127.0.0.1:${ports[2]}`] };
    await startPythonPs(cluster);
    const worker = new Server({ cluster, jobName: 'worker', taskIndex: 0 });

    const graph = new Graph();
    graph.importGraphDef(new Uint8Array(fs.readFileSync(path.join(fixture, 'graph.pb'))));
    expect(graph.operation('w').device).toBe('/job:ps/task:1');
    const sess = new Session(graph, { target: worker.target });
    const devices = sess.listDevices().map((d) => d.name);
    expect(devices.some((d) => d.startsWith('/job:ps/replica:0/task:1'))).toBe(true);
    await sess.run(expected.names.init_op);
    const steps = expected.steps as Array<{ feeds: Record<string, { values: number[] }> }>;
    for (const [i, step] of steps.entries()) {
      const feeds = Object.fromEntries(Object.entries(step.feeds).map(([k, v]) => [k, Tensor.from(new Float32Array(v.values))]));
      const { loss } = await sess.run({ loss: 'loss:0', train: 'train' }, feeds);
      expectSameAsPython(loss as Tensor as never, local.steps[i].fetches['loss:0'], `loss of step ${i + 1}`);
    }
    const ours = await sess.run({ w: 'w:0', b: 'b:0', step: 'global_step:0' });
    await sess.close();
    expectSameAsPython(ours.w as Tensor as never, local.final.w, 'w');
    expectSameAsPython(ours.b as Tensor as never, local.final.b, 'b');

    // Python, as a second client of the same cluster, sees the state this worker left on ps.
    const theirs = await runPythonJSONAsync<{ w: number[]; b: number[]; step: number }>(`
tf1.train.import_meta_graph(${JSON.stringify(path.join(fixture, 'model.meta'))})
with tf1.Session(${JSON.stringify(worker.target)}) as s:
    w, b, step = s.run(['w:0', 'b:0', 'global_step:0'])
emit({'w': np.asarray(w).ravel().tolist(), 'b': np.asarray(b).ravel().tolist(), 'step': int(step)})
`);
    expect(theirs.step).toBe(steps.length);
    expect(Number((ours.step as Tensor).scalar())).toBe(steps.length);
    expect(theirs.w).toEqual(Array.from((ours.w as Tensor).data as Float32Array));
    expect(theirs.b).toEqual(Array.from((ours.b as Tensor).data as Float32Array));
    ps!.stdin!.end();
  });
});
