/**
 * The MLP of model-step (784-512-10, batch 128, Adam; built by bench/tf1_bench.py) on the GPU and
 * on the CPU, in one process, same graph and feeds: ms per `runSync(['loss:0', 'train'])` step.
 * The CPU session hides the GPU with `deviceCount: { GPU: 0 }`. Where TF sees no GPU the GPU row
 * says why; scripts/gpu-check.sh runs this on a GPU machine (docs/gpu.md).
 *
 *   npm run bench -- gpu-mlp --iters 50 --repeats 5
 */
import './lib/env'; // first: sets TF's environment before the library loads
import fs from 'node:fs';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { Graph } from '../lib/graph-io/graph';
import { Session } from '../lib/core/session';
import { libraryPath, tfVersion } from '../lib/native';
import { gpuBuildInfo } from '../lib/gpu/build-info';
import { listDevices } from '../lib/gpu/devices';
import { RunMetadataSchema } from '../lib/proto/gen/tensorflow/core/protobuf/config_pb';
import { mlpFeeds } from './lib/mlp-feeds';
import { benchOptions } from './lib/options';
import { PyServer } from './lib/python';
import { cellOf, measureInterleaved, type Row } from './lib/rows';
import { ratioTable } from './lib/table';
import { timeSync } from './lib/timing';

const FETCH = ['loss:0', 'train'];

// The share of the step's ops that ran on a GPU, from one traced run.
async function gpuShare(s: Session, feeds: ReturnType<typeof mlpFeeds>): Promise<string> {
  const sink: { bytes?: Uint8Array } = {};
  await s.run(FETCH, feeds, { options: { traceLevel: 'FULL_TRACE' }, runMetadata: sink });
  const devs = fromBinary(RunMetadataSchema, sink.bytes!).stepStats?.devStats ?? [];
  const count = (re: RegExp) => new Set(devs.filter((d) => re.test(d.device)).flatMap((d) => d.nodeStats.map((n) => n.nodeName))).size;
  return `${count(/device:GPU:\d+$/)} of ${count(/device:(GPU|CPU):\d+$/)} ops on a GPU`;
}

async function main(): Promise<void> {
  const opts = benchOptions({ iters: 50, repeats: 5 });
  fs.mkdirSync(opts.outDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(opts.outDir, 'gpu-mlp-'));
  const py = await PyServer.start();
  const devices = await listDevices();
  const gpus = devices.filter((d) => d.type === 'GPU');
  const build = gpuBuildInfo();
  console.log('# MLP training step on GPU and CPU (ms per step)\n');
  console.log(
    `libtensorflow ${tfVersion()} from ${libraryPath()}; CUDA build: ${build.cuda ? 'yes' : 'no'}; ` +
      `GPUs: ${gpus.map((g) => `${g.name} (${(g.memoryBytes / 2 ** 30).toFixed(1)} GiB)`).join(', ') || 'none'}`,
  );
  console.log(
    `${opts.iters} steps per measurement, ${opts.stat} of ${opts.repeats} (rows interleaved), ${opts.warmup} warm-up steps per row`,
  );
  if (typeof py === 'string') {
    console.log(`\nnot measured: the MLP is built by bench/tf1_bench.py and ${py}`);
    return;
  }
  const meta = path.join(scratch, 'mlp.meta');
  await py.call({ op: 'build', kind: 'mlp', out: meta });
  await py.close();
  const metaBytes = fs.readFileSync(meta);
  const feeds = mlpFeeds();
  const open = async (config: object) => {
    const s = new Session(Graph.fromMetaGraph(metaBytes), { config: { allowSoftPlacement: true, ...config } });
    s.runSync('init');
    return s;
  };
  const cpu = await open({ deviceCount: { GPU: 0 } });
  const gpu = gpus.length ? await open({}) : null;
  const placement = [`CPU session: ${await gpuShare(cpu, feeds)}`];
  if (gpu) placement.unshift(`GPU session: ${await gpuShare(gpu, feeds)}`);
  const noGpu = build.cuda ? 'no GPU visible' : 'not a CUDA build';
  const rows: Row[] = [
    { key: 'cpu', label: 'CPU (`deviceCount: { GPU: 0 }`)', measure: (n) => timeSync(n, () => cpu.runSync(FETCH, feeds)) },
    { key: 'gpu', label: 'GPU (default placement)', measure: gpu ? (n) => timeSync(n, () => gpu.runSync(FETCH, feeds)) : noGpu },
  ];
  const samples = await measureInterleaved(rows, opts);
  await cpu.close();
  await gpu?.close();
  const ms = (key: string) => {
    const c = cellOf(samples, key, opts.stat);
    return typeof c === 'number' ? c / 1000 : c;
  };
  console.log(`placement (one traced step): ${placement.join('; ')}\n`);
  console.log(
    ratioTable({
      head: 'device',
      groups: ['MLP 784-512-10, batch 128, Adam'],
      baseline: 0,
      baselineName: 'CPU',
      unit: 'ms/step',
      rows: rows.map((r) => ({ label: r.label, cells: [ms(r.key)] })),
    }),
  );
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ bench: 'gpu-mlp', options: opts, cuda: build.cuda, gpus, placement, samples }, null, 2));
  }
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
