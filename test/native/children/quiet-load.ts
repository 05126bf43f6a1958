// Child of quiet-load.test.ts: the whole life of a training job (load TF, load a graph, train with
// checkpoints and summaries, close), so that anything TF or the package prints shows on stderr.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Graph } from '../../../lib/graph-io/graph';
import { MonitoredTrainingSession } from '../../../lib/train/monitored-training-session';
import { StopAtStepHook } from '../../../lib/hooks/basic/stop-at-step-hook';
import { loadLibtensorflow } from '../../../lib/native';

async function main() {
  loadLibtensorflow({ verbose: process.argv[2] === 'verbose' });
  const root = path.resolve(__dirname, '..', '..', '..');
  const graph = await Graph.load(path.join(root, 'test', 'fixtures', 'linear', 'model.meta'));
  const feeds = JSON.parse(fs.readFileSync(path.join(root, 'examples', 'linear', 'feeds.json'), 'utf8')) as Array<Record<string, number[]>>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-quiet-'));
  const sess = await MonitoredTrainingSession({
    graph,
    checkpointDir: dir,
    saveSummariesSteps: 5,
    hooks: [new StopAtStepHook({ lastStep: 20 })],
  });
  const trainOp = graph.collections.trainOp()!;
  for (let i = 0; !sess.shouldStop(); i++) await sess.run(trainOp, feeds[i % feeds.length]);
  await sess.close();
  const files = fs.readdirSync(dir);
  // stdout: proof that the job did what the test claims (a checkpoint and an events file).
  console.log(
    JSON.stringify({ checkpoint: files.includes('model.ckpt-20.index'), events: files.some((f) => f.startsWith('events.out.tfevents.')) }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
