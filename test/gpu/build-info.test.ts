// How a GPU build is told from a CPU one (lib/gpu/build-info.ts), checked against Python's kernel
// registry live; `tf-monitored info` on this machine's build; gpu-check's table verdicts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gpuBuildInfo, kernelDeviceTypes, listDevices } from '../../lib/gpu';
import { ArgumentError, libraryPath, loadLibtensorflow } from '../../lib';
import { ROOT, runTs } from '../support/child';
import { requirePythonTF, runPythonJSON } from '../support/python';

const OPS = ['MatMul', 'Conv2D', 'Identity', 'AssignVariableOp'];
let py: { kernels: Record<string, string[]>; cuda: boolean };

beforeAll(() => {
  requirePythonTF();
  loadLibtensorflow();
  py = runPythonJSON(
    `
from tensorflow.python.framework import kernels
from tensorflow.python.platform import build_info
emit({'kernels': {op: sorted({k.device_type for k in kernels.get_registered_kernels_for_op(op).kernel}) for op in sys.argv[1:]},
      'cuda': bool(build_info.build_info.get('is_cuda_build'))})
`,
    { args: OPS },
  );
});

describe('gpuBuildInfo()', () => {
  it('reads the same kernel registry as Python (same TF version): device types per op', () => {
    // XLA registers its JIT kernels (XLA_CPU_JIT, XLA_GPU_JIT) lazily, once something in the process
    // has used XLA; in a test worker shared with other tests they may be there, in a fresh Python not.
    const notJit = (types: string[]) => types.filter((t) => !/^XLA_\w+_JIT$/.test(t));
    for (const op of OPS) expect(notJit(kernelDeviceTypes(op)), op).toEqual(notJit(py.kernels[op]));
  });

  it('tells the build by a GPU MatMul kernel (a CPU build has GPU kernels for host ops such as Identity)', () => {
    const info = gpuBuildInfo();
    expect(info.gpuKernels).toBe(py.kernels.MatMul.includes('GPU'));
    if (!py.cuda) {
      // This machine's CPU build: Identity still has a GPU kernel, so "any GPU kernel" would be wrong.
      expect(py.kernels.Identity).toContain('GPU');
      expect(info).toMatchObject({ gpuKernels: false, cuda: false });
    }
  });

  it('rejects an op name that is not a string, naming the parameter', () => {
    for (const bad of [42, '', null]) expect(() => kernelDeviceTypes(bad as never)).toThrow(ArgumentError);
    expect(() => kernelDeviceTypes(42 as never)).toThrow(/\bop\b/);
    // An unknown op has no kernels (TF answers an empty list, as Python's registry does).
    expect(kernelDeviceTypes('NoSuchOpAnywhere')).toEqual([]);
  });
});

describe('tf-monitored info', () => {
  it('prints the library, whether it is a CUDA build, its CUDA libraries and the devices', async () => {
    const r = runTs(path.join(ROOT, 'lib', 'cli', 'main.ts'), ['info', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(info.path).toBe(libraryPath());
    expect(info.build).toEqual(gpuBuildInfo());
    expect(info.devices).toEqual(await listDevices());
    expect(info.devices.map((d: { type: string }) => d.type)).toContain('CPU');
    const text = runTs(path.join(ROOT, 'lib', 'cli', 'main.ts'), ['info']);
    expect(text.stdout).toContain(`from ${libraryPath()}`);
    expect(text.stdout).toMatch(new RegExp(`built with CUDA: ${info.build.cuda ? 'yes' : 'no'}`));
    expect(text.stdout).toMatch(/devices:\n {2}\/job:localhost\/replica:0\/task:0\/device:CPU:0 {2}CPU {2}\d+ MiB/);
  }, 120_000);
});

describe('scripts/gpu-check-table.mjs', () => {
  const table = (files: Record<string, unknown>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-gpu-check-'));
    for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), JSON.stringify(v));
    return spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'gpu-check-table.mjs'), dir], { encoding: 'utf8' });
  };
  const gpu = { name: '/job:localhost/replica:0/task:0/device:GPU:0', type: 'GPU', memoryBytes: 15 * 2 ** 30 };
  const info = {
    version: '2.21.0',
    path: '/x/libtensorflow_cc.so.2',
    build: { cuda: true, gpuKernels: true, cudaVersion: '12.5.1' },
    cudaLibraries: {
      searched: ['/x/nvidia'],
      found: [{ name: 'libcudart.so.12', path: '/x/nvidia/cuda_runtime/lib/libcudart.so.12' }],
      missing: [],
    },
    devices: [{ name: 'cpu', type: 'CPU', memoryBytes: 1 }, gpu],
  };
  const tests = { numPassedTests: 4, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0 };
  const bench = { samples: { cpu: [9000, 8000], gpu: [1100, 1000] }, placement: ['GPU session: 40 of 56 ops on a GPU'] };

  it('passes a good run: every row yes, exit 0', () => {
    const r = table({ 'info.json': info, 'tests.json': tests, 'bench.json': bench });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain('| GPU tests (test/gpu/gpu.test.ts) | yes | 4 passed, 0 failed, 0 skipped |');
    expect(r.stdout).toContain("| MLP step, GPU | yes | 1.00 ms (8.0× the CPU's speed); GPU session: 40 of 56 ops on a GPU |");
    expect(r.stdout).toContain('gpu-check: all checks passed');
  });

  it('fails a run whose GPU tests were skipped, or whose CUDA libraries are missing', () => {
    const skipped = table({ 'info.json': info, 'tests.json': { ...tests, numPassedTests: 0, numPendingTests: 4 }, 'bench.json': bench });
    expect(skipped.status).toBe(1);
    expect(skipped.stdout).toContain('| GPU tests (test/gpu/gpu.test.ts) | NO | 0 passed, 0 failed, 4 skipped |');
    const missing = table({
      'info.json': { ...info, cudaLibraries: { ...info.cudaLibraries, missing: ['libcudnn.so'] } },
      'tests.json': tests,
      'bench.json': bench,
    });
    expect(missing.stdout).toContain('| CUDA libraries | NO | 1 opened from /x/nvidia; missing: libcudnn.so |');
    expect(table({}).stdout).toContain('| libtensorflow | NO | tf-monitored info failed |');
  });
});
