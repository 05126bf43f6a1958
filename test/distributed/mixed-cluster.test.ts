/**
 * Mixed clusters, every task from TF_CONFIG: Node ps tasks (`tf-monitored server`) under a Python
 * chief and worker (Python's MonitoredTrainingSession), and Python ps tasks under a Node chief and
 * worker (`tf-monitored train`). Each trains the distributed fixture to its last step. Worker 0
 * is the chief (no `chief` job); the fixture needs 2 ps tasks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCheckpointSync } from '../../lib/checkpoint/checkpoint-state';
import { requirePythonTF } from '../support/python';
import { type Cluster, META, feedsFile, killAll, localCluster, psTask, pythonTask, tfConfig, tmpDir, trainTask } from './support/tasks';

const LAST_STEP = 60;
beforeAll(() => requirePythonTF());
afterAll(() => killAll());

/** Python's own MonitoredTrainingSession as a chief or worker task, from TF_CONFIG. */
function pythonTrainer(name: string, cluster: Cluster, index: number, feeds: string, ckpt: string | null) {
  return pythonTask(
    name,
    `
cfg = json.loads(os.environ['TF_CONFIG'])
t = cfg['task']
server = tf1.train.Server(tf1.train.ClusterSpec(cfg['cluster']), job_name=t['type'], task_index=t['index'])
tf1.train.import_meta_graph(${JSON.stringify(META)})
feeds = json.load(open(${JSON.stringify(feeds)}))
config = tf1.ConfigProto(device_filters=['/job:ps', '/job:worker/task:%d' % t['index']])
is_chief = t['index'] == 0
print('task %s:%d serving at %s' % (t['type'], t['index'], server.target), flush=True)
with tf1.train.MonitoredTrainingSession(master=server.target, is_chief=is_chief, checkpoint_dir=${ckpt ? JSON.stringify(ckpt) : 'None'},
        hooks=[tf1.train.StopAtStepHook(last_step=${LAST_STEP})], config=config, save_checkpoint_steps=20,
        save_checkpoint_secs=None, save_summaries_steps=None, save_summaries_secs=None, log_step_count_steps=None) as s:
    i = 0
    while not s.should_stop():
        _, step = s.run(['train', 'global_step:0'], feed_dict=feeds[i % len(feeds)])
        i += 1
        if i % 10 == 0:
            print('step %d' % step, flush=True)
print('stopped after %d runs at global step %d' % (i, step), flush=True)
`,
    { TF_CONFIG: tfConfig(cluster, 'worker', index) },
  );
}

const PY_PS = `
cfg = json.loads(os.environ['TF_CONFIG'])
spec = tf1.train.ClusterSpec(cfg['cluster'])
servers = [tf1.train.Server(spec, job_name='ps', task_index=i) for i in range(2)]
print('serving ps tasks', flush=True)
import time
while True:
    time.sleep(1)
`;

const finalStep = (out: string) => Number(/stopped after \d+ runs at global step (\d+)/.exec(out)?.[1] ?? NaN);

describe('mixed Node and Python clusters from TF_CONFIG', () => {
  it('Node ps tasks, Python chief and worker', async () => {
    const cluster = await localCluster(2);
    const dir = tmpDir('tfm-mixed-');
    const ckpt = path.join(dir, 'ckpt');
    const feeds = feedsFile(dir);
    const ps = await Promise.all([psTask(cluster, 0), psTask(cluster, 1)]);
    const chief = pythonTrainer('python chief', cluster, 0, feeds, ckpt);
    // Python's worker polls the chief every 30 s: start it once the chief has initialized.
    await chief.waitFor(/^step \d+/m, 120_000, 'the Python chief to train its first steps');
    const worker = pythonTrainer('python worker', cluster, 1, feeds, null);
    await worker.succeeds(120_000, 'the Python worker to train to the last step and exit 0');
    await chief.succeeds(120_000, 'the Python chief to train to the last step and exit 0');
    expect(finalStep(chief.out)).toBeGreaterThanOrEqual(LAST_STEP - 1);
    expect(finalStep(worker.out)).toBeGreaterThanOrEqual(LAST_STEP - 1);
    expect(Number(/model\.ckpt-(\d+)$/.exec(latestCheckpointSync(ckpt) ?? '')?.[1])).toBeGreaterThanOrEqual(LAST_STEP);
    ps.forEach((p) => p.kill('SIGTERM'));
    await Promise.all(ps.map((p) => p.succeeds(20_000, `${p.name} to exit 0 after SIGTERM`)));
  }, 300_000);

  it('Python ps tasks, Node chief and worker', async () => {
    const cluster = await localCluster(2);
    const dir = tmpDir('tfm-mixed-');
    const ckpt = path.join(dir, 'ckpt');
    const feeds = feedsFile(dir);
    const ps = pythonTask('python ps', PY_PS, { TF_CONFIG: tfConfig(cluster, 'ps', 0) });
    await ps.waitFor(/^serving ps tasks$/m, 120_000, 'the Python ps tasks to start');
    const chief = trainTask('chief', cluster, 'worker', 0, feeds, { lastStep: LAST_STEP, checkpointDir: ckpt, saveSteps: 20 });
    const worker = trainTask('worker', cluster, 'worker', 1, feeds, { lastStep: LAST_STEP });
    await chief.succeeds(120_000, 'the Node chief to train to the last step and exit 0');
    await worker.succeeds(120_000, 'the Node worker to train to the last step and exit 0');
    expect(finalStep(chief.out)).toBeGreaterThanOrEqual(LAST_STEP - 1);
    expect(finalStep(worker.out)).toBeGreaterThanOrEqual(LAST_STEP - 1);
    expect(worker.steps().length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(ckpt, 'checkpoint'))).toBe(true);
    expect(Number(/model\.ckpt-(\d+)$/.exec(latestCheckpointSync(ckpt) ?? '')?.[1])).toBeGreaterThanOrEqual(LAST_STEP);
    ps.kill('SIGKILL');
  }, 300_000);
});
