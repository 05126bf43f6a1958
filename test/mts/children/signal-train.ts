// Trains the linear fixture under MonitoredTrainingSession({ handleSignals: true }) until stopped;
// prints READY after 5 steps, then DONE <json> once closed. The parent sends SIGTERM/SIGINT.
// With a third argument 'sync': syncRuns and a tight loop (no timer between steps), whose steps are
// synchronous: the signal gets in only through the event-loop turns syncRuns makes every 20 ms.
import { MonitoredTrainingSession } from '../../../lib/train/monitored-training-session';
import { loadExpected, resolveFeed } from '../../fixtures/fixtures';
import { loadFixtureGraph } from '../support';

const dir = process.argv[2];
const sync = process.argv[3] === 'sync';
const feeds = Object.fromEntries(Object.entries(loadExpected('linear').steps[0].feeds).map(([k, f]) => [k, resolveFeed('linear', f)]));

(async () => {
  const sess = await MonitoredTrainingSession({
    graph: loadFixtureGraph('linear'),
    checkpointDir: dir,
    handleSignals: true,
    saveCheckpointSecs: 3600,
    syncRuns: sync,
  });
  let steps = 0;
  try {
    while (!sess.shouldStop()) {
      await sess.run('train', feeds);
      steps++;
      if (steps === 5) process.stdout.write('READY\n');
      if (!sync) await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await sess.close();
  }
  process.stdout.write(`DONE ${JSON.stringify({ reason: sess.stopReason, steps, listeners: process.listenerCount('SIGTERM') })}\n`);
})().catch((e) => {
  process.stdout.write(`ERROR ${e?.stack ?? e}\n`);
  process.exit(3);
});
