// A worker of a cluster whose ps tasks never answer (nothing listens on their port): TF's master
// waits for them without a limit. Prints each warning line the package logs, as `LOG <message>`,
// on stdout; the test reads the first "still waiting" line and kills this process.
import path from 'node:path';
import { Graph } from '../../../lib/graph-io/graph';
import { Server } from '../../../lib/core/server';
import { MonitoredTrainingSession } from '../../../lib/train/monitored-training-session';
import * as logging from '../../../lib/core/logging';

const [psPort, workerPort] = process.argv.slice(2).map(Number);
logging.setSink((r) => process.stdout.write(`LOG ${r.levelName} ${r.message}\n`));

(async () => {
  const cluster = { ps: [`127.0.0.1:${psPort}`, `127.0.0.1:${psPort}`], worker: [`127.0.0.1:${workerPort}`] };
  const server = new Server({ cluster, jobName: 'worker', taskIndex: 0 });
  const graph = await Graph.load(path.resolve(__dirname, '..', '..', 'fixtures', 'distributed', 'model.meta'));
  process.stdout.write(`STARTED ${server.target}\n`);
  await MonitoredTrainingSession({ graph, master: server.target, isChief: false, workerPollIntervalSecs: 0.1 });
  process.stdout.write('CREATED (unexpected)\n');
})().catch((e) => {
  process.stdout.write(`ERROR ${e?.name}: ${e?.message}\n`);
  process.exit(1);
});
