/**
 * An all-Node TF1 cluster from the command line, every task told its role by TF_CONFIG: two ps
 * tasks (`tf-monitored server`; the distributed fixture's variables sit on /job:ps/task:0 and 1)
 * and two `tf-monitored train` workers. With no `chief` job, worker 0 is the chief (the chief
 * rule); the fixture pins its compute to `/job:worker`, which each worker's master places on
 * itself, so neither worker depends on the other.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePythonTF, runPythonJSONAsync } from '../support/python';
import { type Task, feedsFile, killAll, localCluster, psTask, tmpDir, trainTask } from './support/tasks';
import { latestCheckpointSync } from '../../lib/checkpoint/checkpoint-state';

beforeAll(() => requirePythonTF());
afterAll(() => killAll());

const finalStep = (t: Task) => Number(/stopped after \d+ runs at global step (\d+)/.exec(t.out)?.[1] ?? NaN);

describe('tf-monitored server + tf-monitored train from TF_CONFIG', () => {
  it('trains the distributed fixture to the last step; the final checkpoint holds the ps variables, and Python reads it', async () => {
    const cluster = await localCluster(2);
    const dir = tmpDir('tfm-cluster-');
    const ckpt = path.join(dir, 'ckpt');
    const feeds = feedsFile(dir);
    const ps = await Promise.all([psTask(cluster, 0), psTask(cluster, 1)]);
    // The worker stops earlier, so the chief trains alone at the end and nothing runs after its
    // final save: the checkpoint must then equal what the ps tasks hold.
    const chief = trainTask('chief', cluster, 'worker', 0, feeds, { lastStep: 120, checkpointDir: ckpt, saveSteps: 40 });
    const worker = trainTask('worker', cluster, 'worker', 1, feeds, { lastStep: 60 });
    await chief.waitFor(/^task \/job:worker\/task:0 \(chief\) serving at grpc:/m, 60_000, 'the chief to start its server');
    await worker.waitFor(/^task \/job:worker\/task:1 \(worker\) serving at grpc:/m, 60_000, 'the worker to start its server');
    await worker.succeeds(120_000, 'the worker to train to step 60 and exit 0');
    await chief.succeeds(120_000, 'the chief to train to step 120 and exit 0');
    // The printed step is the one fetched with the last train op: the step before or after it.
    expect(finalStep(worker)).toBeGreaterThanOrEqual(59);
    expect(finalStep(chief)).toBeGreaterThanOrEqual(119);
    expect(worker.steps().length).toBeGreaterThan(0); // the worker did train, not only wait
    expect(latestCheckpointSync(ckpt)).toBe(path.join(ckpt, 'model.ckpt-120'));

    const read = await runPythonJSONAsync<{ ckpt: number[]; ps: number[] }>(
      `
reader = tf.train.load_checkpoint(${JSON.stringify(ckpt)})
# The variables where the fixture put them, by name (TF1 variables on a server are shared by name);
# not model.meta, whose compute ops need /job:worker tasks, and the workers have exited.
with tf1.device('/job:ps/task:0'):
    step_v = tf1.Variable(0, dtype=tf.int64, name='global_step')
    b_v = tf1.Variable(0.0, name='b')
with tf1.device('/job:ps/task:1'):
    w_v = tf1.Variable(0.0, name='w')
with tf1.Session('grpc://${cluster.ps[0]}', config=tf1.ConfigProto(device_filters=['/job:ps'])) as s:
    w, b, step = s.run([w_v, b_v, step_v])
emit({'ckpt': [float(reader.get_tensor('w')), float(reader.get_tensor('b')), int(reader.get_tensor('global_step'))],
      'ps': [float(w), float(b), int(step)]})
`,
      { timeoutMs: 90_000 },
    );
    expect(read.ckpt[2]).toBe(120);
    expect(read.ckpt).toEqual(read.ps);
    expect(Number.isFinite(read.ckpt[0]) && read.ckpt[0] !== 0.5).toBe(true); // w moved from its initial 0.5
    ps.forEach((p) => p.kill('SIGKILL'));
  }, 240_000);

  it('SIGTERM to every task: the chief writes a final checkpoint and every process exits 0', async () => {
    const cluster = await localCluster(2);
    const dir = tmpDir('tfm-cluster-');
    const ckpt = path.join(dir, 'ckpt');
    const feeds = feedsFile(dir);
    const ps = await Promise.all([psTask(cluster, 0), psTask(cluster, 1)]);
    const chief = trainTask('chief', cluster, 'worker', 0, feeds, { lastStep: 1_000_000, checkpointDir: ckpt, saveSteps: 1000 });
    const worker = trainTask('worker', cluster, 'worker', 1, feeds, { lastStep: 1_000_000 });
    await chief.waitFor(/^step \d+/m, 90_000, 'the chief to train its first steps');
    await worker.waitFor(/^step \d+/m, 90_000, 'the worker to train its first steps');
    const t0 = Date.now();
    for (const t of [...ps, chief, worker]) t.kill('SIGTERM');
    await Promise.all([...ps, chief, worker].map((t) => t.succeeds(30_000, `${t.name} to exit 0 after SIGTERM`)));
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(30_000);
    expect(chief.out).toMatch(/stopped after \d+ runs at global step \d+ \(signal\)/);
    expect(worker.out).toMatch(/\(signal\)/);
    // No periodic save was due (every 1000 steps): a checkpoint past step 0 is the final one, at the
    // chief's last step or later (the worker may have run a step meanwhile).
    const saved = Number(/model\.ckpt-(\d+)$/.exec(latestCheckpointSync(ckpt) ?? '')?.[1]);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeGreaterThanOrEqual(finalStep(chief));
    expect(saved).toBeLessThan(1000);
  }, 180_000);
});
