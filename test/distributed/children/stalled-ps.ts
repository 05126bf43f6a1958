// A worker (MonitoredTrainingSession on its own in-process server, default runMode) trains while
// one of its two ps tasks (`tf-monitored server --cluster/--job/--task` children) is SIGSTOPped;
// a timer of this process SIGCONTs it 2 s later. Prints `DONE <steps> <longest event-loop stall
// in ms>`. If a run waiting for the stopped ps held the JS thread, the timer could never fire.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Graph } from '../../../lib/graph-io/graph';
import { Server } from '../../../lib/core/server';
import { Tensor } from '../../../lib/core/tensor';
import { MonitoredTrainingSession } from '../../../lib/train/monitored-training-session';

const root = path.resolve(__dirname, '..', '..', '..');
const ports = process.argv.slice(2).map(Number);
const cluster = { ps: [`127.0.0.1:${ports[0]}`, `127.0.0.1:${ports[1]}`], worker: [`127.0.0.1:${ports[2]}`] };
const ps = [0, 1].map((i) =>
  spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'lib', 'cli', 'main.ts'),
      'server',
      '--cluster',
      JSON.stringify(cluster),
      '--job',
      'ps',
      '--task',
      String(i),
    ],
    { stdio: 'ignore' },
  ),
);
// The test ends them by PID if this process is killed (a hang).
process.stdout.write(`PS ${ps.map((p) => p.pid).join(' ')}\n`);
const end = (code: number) => {
  ps.forEach((p) => p.kill('SIGKILL'));
  process.exit(code);
};
process.on('uncaughtException', (e) => {
  process.stdout.write(`ERROR ${e.message}\n`);
  end(1);
});

(async () => {
  const server = new Server({ cluster, jobName: 'worker', taskIndex: 0 });
  const graph = await Graph.load(path.join(root, 'test', 'fixtures', 'distributed', 'model.meta'));
  const sess = await MonitoredTrainingSession({ graph, master: server.target, logStepCountSteps: null, saveSummariesSteps: null });
  const feeds = { 'x:0': Tensor.from(new Float32Array([0, 0.5, 1, 1.5])), 'y:0': Tensor.from(new Float32Array([1, 2, 3, 4])) };
  // Enough steps for the run scheduler to know them as short ones.
  for (let i = 0; i < 100; i++) await sess.run('train', feeds);
  let last = performance.now();
  let stall = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last - 20);
    last = now;
  }, 20);
  process.kill(ps[0].pid!, 'SIGSTOP');
  setTimeout(() => process.kill(ps[0].pid!, 'SIGCONT'), 2000);
  let steps = 0;
  for (; steps < 30; steps++) await sess.run('train', feeds);
  clearInterval(probe);
  process.stdout.write(`DONE ${steps} ${Math.round(stall)}\n`);
  end(0);
})().catch((e) => {
  process.stdout.write(`ERROR ${e?.name}: ${e?.message}\n`);
  end(1);
});
