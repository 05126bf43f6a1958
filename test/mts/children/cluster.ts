// A chief and a worker of one TF cluster (one gRPC server in this process) under
// MonitoredTrainingSession: the worker starts first and waits, polling every 0.2 s
// (workerPollIntervalSecs) with maxWaitSecs 20, which a fixed 30 s poll could never meet.
// Prints RESULT <json>.
import { Server } from '../../../lib/core/server';
import { MonitoredTrainingSession } from '../../../lib/train/monitored-training-session';
import * as logging from '../../../lib/core/logging';
import { loadExpected, resolveFeed } from '../../fixtures/fixtures';
import { loadFixtureGraph } from '../support';

const port = Number(process.argv[2]);
const feeds = Object.fromEntries(Object.entries(loadExpected('linear').steps[0].feeds).map(([k, f]) => [k, resolveFeed('linear', f)]));
const step = (t: { data: unknown }) => Number((t.data as BigInt64Array)[0]);

(async () => {
  const capture = logging.captureLogs();
  const server = new Server({ cluster: { worker: [`127.0.0.1:${port}`] }, jobName: 'worker', taskIndex: 0 });
  const t0 = Date.now();
  const workerP = MonitoredTrainingSession({
    graph: loadFixtureGraph('linear'),
    master: server.target,
    isChief: false,
    maxWaitSecs: 20,
    workerPollIntervalSecs: 0.2,
  });
  await new Promise((r) => setTimeout(r, 700));
  const chief = await MonitoredTrainingSession({ graph: loadFixtureGraph('linear'), master: server.target, isChief: true });
  const chiefSteps: number[] = [];
  for (let i = 0; i < 3; i++) chiefSteps.push(step((await chief.run(['train', 'global_step:0'], feeds))[1]!));
  const worker = await workerP;
  const workerReadyMs = Date.now() - t0;
  const workerSteps: number[] = [];
  for (let i = 0; i < 2; i++) workerSteps.push(step((await worker.run(['train', 'global_step:0'], feeds))[1]!));
  await worker.close();
  await chief.close();
  capture.restore();
  const waits = capture.messages(logging.Level.INFO).filter((m) => m.startsWith('Waiting for model to be ready.'));
  process.stdout.write(
    `RESULT ${JSON.stringify({ chiefSteps, workerSteps, workerReadyMs, waits: waits.slice(0, 1), waitCount: waits.length, target: server.target })}\n`,
  );
  process.exit(0); // the gRPC server cannot be stopped
})().catch((e) => {
  process.stdout.write(`ERROR ${e?.stack ?? e}\n`);
  process.exit(3);
});
