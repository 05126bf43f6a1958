// Resumes the cnn_digits model (scripts/fixtures/cnn_digits.py) from DIR to LAST_STEP, the way a
// user's training script would: a fresh process, the graph from the latest checkpoint's .meta,
// MonitoredTrainingSession with the script's settings. Prints {"losses": [hex float32, ...]}.
// A child process because TF sizes its thread pools once per process (docs/process-wide-tf-state.md): in the test
// runner's shared process an earlier test's session would decide them.
import { Graph } from '../../../lib/graph-io/graph';
import '../../../lib/graph-io';
import { StopAtStepHook } from '../../../lib/hooks/basic/stop-at-step-hook';
import { latestCheckpoint } from '../../../lib/checkpoint/checkpoint-state';
import { MonitoredTrainingSession } from '../../../lib/train/monitored-training-session';

const [dir, lastStep, settingsJson] = process.argv.slice(2);
const settings = JSON.parse(settingsJson) as { save_checkpoint_steps: number; save_summaries_steps: number; log_step_count_steps: number };

(async () => {
  const graph = await Graph.load(`${await latestCheckpoint(dir)}.meta`);
  const sess = await MonitoredTrainingSession({
    graph,
    checkpointDir: dir,
    hooks: [new StopAtStepHook({ lastStep: Number(lastStep) })],
    saveCheckpointSteps: settings.save_checkpoint_steps,
    saveSummariesSteps: settings.save_summaries_steps,
    logStepCountSteps: settings.log_step_count_steps,
  });
  const losses: string[] = [];
  await sess.using(async (s) => {
    while (!s.shouldStop()) {
      const { loss } = await s.run({ loss: 'loss:0', train: 'train_op' });
      const data = loss!.data as Float32Array;
      losses.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex'));
    }
  });
  process.stdout.write(`\n${JSON.stringify({ losses })}\n`);
})().catch((e) => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(3);
});
