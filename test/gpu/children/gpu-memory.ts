// GPU memory settings are fixed when a process first makes its GPU devices, so each setting gets
// its own process. argv: ConfigProto as JSON. Runs a small MatMul on /device:GPU:0 and prints
// JSON: the devices TF made, and how much GPU memory in use (nvidia-smi) grew meanwhile.
import { execFileSync } from 'node:child_process';
import { Graph, Session, Tensor, loadLibtensorflow } from '../../../lib';

const usedMiB = () =>
  Number(execFileSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '--id=0'], { encoding: 'utf8' }).trim());
const totalMiB = Number(
  execFileSync('nvidia-smi', ['--query-gpu=memory.total', '--format=csv,noheader,nounits', '--id=0'], { encoding: 'utf8' }).trim(),
);

async function main() {
  loadLibtensorflow();
  const before = usedMiB();
  const g = new Graph();
  g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32' }, device: '/device:GPU:0' });
  g.addOp({ type: 'MatMul', name: 'y', inputs: ['x:0', 'x:0'], attrs: { T: 'float32' }, device: '/device:GPU:0' });
  const s = new Session(g, { config: JSON.parse(process.argv[2]) });
  await s.run('y:0', {
    'x:0': Tensor.from([
      [1, 2],
      [3, 4],
    ]),
  });
  const after = usedMiB();
  process.stdout.write(`${JSON.stringify({ devices: s.listDevices(), deltaMiB: after - before, totalMiB })}\n`);
  await s.close();
}
main().catch((e) => {
  process.stdout.write(`${JSON.stringify({ error: String(e) })}\n`);
  process.exitCode = 1;
});
