// What only a machine with an NVIDIA GPU can show: kernels placed on /device:GPU:0, GPU memory
// options honoured, a checkpoint written on the GPU restored on the CPU and by Python. Skipped,
// with the reason printed, where TF sees no GPU; scripts/gpu-check.sh runs them on a GPU machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, libraryPath, loadLibtensorflow, Saver, Session, Tensor, type RunMetadataSink } from '../../lib';
import { cudaLibraryReport, gpuBuildInfo, listDevices } from '../../lib/gpu';
import { RunMetadataSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/config_pb';
import { runTs } from '../support/child';
import { requirePythonTF, runPythonJSON } from '../support/python';

loadLibtensorflow();
const devices = await listDevices();
const gpus = devices.filter((d) => d.type === 'GPU');
function whyNoGpu(): string {
  const build = gpuBuildInfo();
  if (!build.cuda) return `${libraryPath()} is not a CUDA build (run \`tf-monitored-setup --gpu --and-cuda\`, docs/gpu.md)`;
  const cuda = cudaLibraryReport();
  if (cuda?.missing.length) return `CUDA libraries missing: ${cuda.missing.join(', ')}`;
  return 'TF sees no GPU (no NVIDIA driver, or CUDA_VISIBLE_DEVICES hides it)';
}
if (gpus.length === 0) console.log(`GPU tests skipped: ${whyNoGpu()}`);

const GPU0 = /\/device:GPU:0$/;
let meta = '';

describe.skipIf(gpus.length === 0)('on a GPU', () => {
  beforeAll(() => {
    requirePythonTF();
    meta = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-gpu-')), 'model.meta');
    runPythonJSON(
      `
with tf.device('/device:GPU:0'):
    x = tf1.placeholder(tf.float32, [None, 3], name='x')
    w = tf1.get_variable('w', initializer=tf.constant([[1.5], [2.25], [-0.5]]))
    b = tf1.get_variable('b', initializer=tf.constant([0.25]))
    y = tf.add(tf.matmul(x, w), b, name='y')
    loss = tf.reduce_sum(tf.square(y), name='loss')
    train = tf1.train.GradientDescentOptimizer(0.01).minimize(loss, name='train')
init = tf1.global_variables_initializer()
tf1.train.Saver()
tf1.train.export_meta_graph(sys.argv[1])
emit({'init': init.name})
`,
      { args: [meta], env: { CUDA_VISIBLE_DEVICES: '' } },
    );
  });

  it('the loaded TF is a CUDA build and its session lists /device:GPU:0 with memory', () => {
    expect(gpuBuildInfo()).toMatchObject({ cuda: true, gpuKernels: true });
    expect(gpus[0].name).toMatch(GPU0);
    expect(gpus[0].memoryBytes).toBeGreaterThan(0);
  });

  it('places the pinned ops on /device:GPU:0 (RunMetadata step stats)', async () => {
    const s = new Session(Graph.fromMetaGraph(fs.readFileSync(meta)));
    await s.run('init');
    const sink: RunMetadataSink = {};
    await s.run(['loss:0', 'train'], { 'x:0': Tensor.from([[1, 2, 3]]) }, { options: { traceLevel: 'FULL_TRACE' }, runMetadata: sink });
    await s.close();
    const stats = fromBinary(RunMetadataSchema, sink.bytes!).stepStats!.devStats;
    const onGpu = new Set(stats.filter((d) => GPU0.test(d.device)).flatMap((d) => d.nodeStats.map((n) => n.nodeName)));
    for (const op of ['y', 'loss', 'train/update_w/ApplyGradientDescent']) expect(onGpu, `${op} on ${[...onGpu]}`).toContain(op);
  });

  it('honours allowGrowth, perProcessGpuMemoryFraction and visibleDeviceList (one process each)', () => {
    const run = (config: object) => {
      const r = runTs(path.join(__dirname, 'children', 'gpu-memory.ts'), [JSON.stringify(config)]);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(out.error, r.stderr).toBeUndefined();
      return out as { devices: Array<{ type: string; memoryBytes: number }>; deltaMiB: number; totalMiB: number };
    };
    const whole = run({});
    const grow = run({ gpuOptions: { allowGrowth: true, perProcessGpuMemoryFraction: 0.3, visibleDeviceList: '0' } });
    const gpuOf = (o: typeof whole) => o.devices.filter((d) => d.type === 'GPU');
    expect(gpuOf(grow)).toHaveLength(1);
    // The fraction caps TF's allocator; growth takes memory only as needed (a 2x2 MatMul needs little).
    expect(gpuOf(grow)[0].memoryBytes).toBeLessThanOrEqual(0.3 * grow.totalMiB * 2 ** 20 * 1.01);
    expect(gpuOf(whole)[0].memoryBytes).toBeGreaterThan(gpuOf(grow)[0].memoryBytes);
    expect(grow.deltaMiB * 2).toBeLessThan(whole.deltaMiB);
  }, 180_000);

  it('a checkpoint written on the GPU is restored on the CPU and by Python, bit for bit', async () => {
    const graph = Graph.fromMetaGraph(fs.readFileSync(meta));
    const s = new Session(graph);
    await s.run('init');
    for (let i = 0; i < 3; i++)
      await s.run('train', {
        'x:0': Tensor.from([
          [1, 2, 3],
          [-1, 0.5, 2],
        ]),
      });
    const prefix = await new Saver({ graph, saverDef: graph.saverDef }).save(s, path.join(path.dirname(meta), 'model.ckpt'));
    const ours: Record<string, string> = {};
    for (const n of ['w', 'b']) {
      const d = (await s.run(`${n}:0`))!.data as Float32Array;
      ours[n] = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
    }
    await s.close();
    const cpu = runTs(path.join(__dirname, 'children', 'restore-on-cpu.ts'), [meta, prefix!, 'w,b'], { CUDA_VISIBLE_DEVICES: '' });
    const restored = JSON.parse(cpu.stdout.trim().split('\n').pop()!);
    expect(restored.error, cpu.stderr).toBeUndefined();
    expect(restored.devices).not.toContain('GPU');
    expect(restored.values).toEqual(ours);
    const py = runPythonJSON<Record<string, string>>(
      `
tf1.train.import_meta_graph(sys.argv[1])
with tf1.Session(config=tf1.ConfigProto(allow_soft_placement=True)) as s:
    tf1.train.Saver().restore(s, sys.argv[2])
    emit({n: base64.b64encode(np.ascontiguousarray(s.run(n + ':0'), '<f4').tobytes()).decode() for n in ('w', 'b')})
`,
      { args: [meta, prefix!], env: { CUDA_VISIBLE_DEVICES: '' } },
    );
    expect(py).toEqual(ours);
  }, 180_000);
});
