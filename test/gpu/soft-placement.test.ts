// A graph exported from Python with ops pinned to /device:GPU:0, on a machine without a GPU (or
// with a CPU build): it runs with allowSoftPlacement as in Python, and fails naming the device
// without it. The GPU-related ConfigProto fields reach TF as the bytes Python's ConfigProto gives.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toBinary } from '@bufbuild/protobuf';
import { ArgumentError, configProto, errors, Graph, Session, Tensor } from '../../lib';
import { listDevices } from '../../lib/gpu';
import { ConfigProtoSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/config_pb';
import { runTs } from '../support/child';
import { decodeRaw, requirePythonTF, runPythonJSON, type RawTensor } from '../support/python';

interface Py {
  y: RawTensor;
  error: string;
  config: string;
  devices: Record<string, string>;
}
let py: Py;
let meta = '';
// Where a GPU is visible the pinned graph simply runs there (test/gpu/gpu.test.ts covers that).
const hasGpu = (await listDevices()).some((d) => d.type === 'GPU');
if (hasGpu) console.log('soft-placement tests for a CPU-only machine skipped: a GPU is visible');

beforeAll(async () => {
  requirePythonTF();
  meta = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-gpu-pinned-')), 'model.meta');
  py = runPythonJSON<Py>(
    `
with tf.device('/device:GPU:0'):
    x = tf1.placeholder(tf.float32, [None, 3], name='x')
    w = tf1.get_variable('w', initializer=tf.constant([[1.5], [2.25], [-0.5]]))
    y = tf.matmul(x, w, name='y')
init = tf1.global_variables_initializer()
assert init.name == 'init'
tf1.train.Saver()
tf1.train.export_meta_graph(sys.argv[1])
feed = {x: np.array([[1, 2, 3]], np.float32)}
with tf1.Session(config=tf1.ConfigProto(allow_soft_placement=True)) as s:
    s.run(init)
    out = s.run(y, feed)
err = ''
try:
    with tf1.Session() as s:
        s.run(init)
except tf.errors.InvalidArgumentError as e:
    err = e.message
cfg = tf1.ConfigProto(allow_soft_placement=True, log_device_placement=True,
    gpu_options=tf1.GPUOptions(allow_growth=True, per_process_gpu_memory_fraction=0.25, visible_device_list='0'))
emit({'y': raw(out), 'error': err, 'config': base64.b64encode(cfg.SerializeToString()).decode(),
      'devices': {n.name: n.device for n in tf1.get_default_graph().as_graph_def().node if n.name in ('x', 'w', 'y')}})
`,
    { args: [meta] },
  );
}, 120_000);

describe('a graph pinned to /device:GPU:0 on a CPU-only machine', () => {
  it('keeps its device pins when imported', () => {
    const g = Graph.fromMetaGraph(fs.readFileSync(meta));
    for (const [name, device] of Object.entries(py.devices)) {
      expect(device).toBe('/device:GPU:0');
      expect(g.operation(name).device).toBe(device);
    }
  });

  it.skipIf(hasGpu)('runs with allowSoftPlacement and gives the bytes Python gives', async () => {
    const s = new Session(Graph.fromMetaGraph(fs.readFileSync(meta)), { config: { allowSoftPlacement: true } });
    await s.run('init');
    const y = (await s.run('y:0', { 'x:0': Tensor.from([[1, 2, 3]]) }))!;
    await s.close();
    const want = decodeRaw(py.y);
    expect(y.shape).toEqual(want.shape);
    const got = y.data as Float32Array;
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength)).toEqual(Buffer.from((want.data as Float32Array).buffer));
  });

  it.skipIf(hasGpu)('fails without it with an InvalidArgumentError naming the op and the device, as Python does', async () => {
    const s = new Session(Graph.fromMetaGraph(fs.readFileSync(meta)));
    const err = await s.run('init').then(
      () => null,
      (e: Error) => e,
    );
    await s.close();
    expect(err).toBeInstanceOf(errors.InvalidArgumentError);
    expect(err!.message).toMatch(/Cannot assign a device for operation w.*explicitly assigned to \/device:GPU:0/s);
    expect(py.error).toMatch(/Cannot assign a device for operation w.*explicitly assigned to \/device:GPU:0/s);
  });

  it('logDevicePlacement reaches TF: placements are printed only when it is set', () => {
    const r = runTs(path.join(__dirname, 'children', 'placement.ts'), [meta]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // TF printf()s one line per op at a session's first run; stdio buffers them to the exit, so
    // the two sessions' lines are told apart by count: one session (the second) printed.
    const lines = r.stdout.match(/^y: \(MatMul\): \/job:localhost\/replica:0\/task:0\/device:(CPU|GPU):0$/gm) ?? [];
    expect(lines).toHaveLength(1);
  }, 120_000);
});

describe('GPU options in the session config', () => {
  it("serialize to the bytes of Python's ConfigProto (what TF_SetConfig receives)", () => {
    const ours = toBinary(
      ConfigProtoSchema,
      configProto({
        allowSoftPlacement: true,
        logDevicePlacement: true,
        gpuOptions: { allowGrowth: true, perProcessGpuMemoryFraction: 0.25, visibleDeviceList: '0' },
      }),
    );
    expect(Buffer.from(ours).toString('base64')).toBe(py.config);
  });

  it('rejects a memory fraction or device list TF could not use, naming the field', () => {
    for (const bad of [-0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => configProto({ gpuOptions: { perProcessGpuMemoryFraction: bad } })).toThrow(ArgumentError);
      expect(() => configProto({ gpuOptions: { perProcessGpuMemoryFraction: bad } })).toThrow(
        /config\.gpuOptions\.perProcessGpuMemoryFraction/,
      );
    }
    for (const bad of ['gpu0', '0,,1', '0;1', '-1']) {
      expect(() => configProto({ gpuOptions: { visibleDeviceList: bad } })).toThrow(/config\.gpuOptions\.visibleDeviceList/);
    }
    expect(() => configProto({ gpuOptions: { visibleDeviceList: '0,1', perProcessGpuMemoryFraction: 1.5 } })).not.toThrow();
  });
});
