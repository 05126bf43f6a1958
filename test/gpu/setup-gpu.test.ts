// The GPU setup path and the loader's CUDA search, on a machine without a GPU or the real CUDA
// wheels: against a local index of stand-in wheels with the real wheels' layout (support/stub-index.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runTs } from '../support/child';
import { buildStubIndex, pipEnvFor, STUB_CUDA_WHEELS } from './support/stub-index';
import { CUDA_LIBRARIES, describeCudaReport, findCudaLibraries } from '../../lib/gpu/cuda-libraries';

const script = path.join(ROOT, 'scripts', 'setup-libtensorflow.mjs');
const pin = JSON.parse(fs.readFileSync(path.join(ROOT, 'scripts', 'libtensorflow.json'), 'utf8'));
const loadChild = path.join(ROOT, 'test', 'native', 'children', 'load-library.ts');

function setup(env: Record<string, string>, args: string[] = []) {
  return spawnSync(process.execPath, [script, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
}
const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const listFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();

describe('tf-monitored-setup --gpu against a local index', () => {
  let index = '';
  let cache = '';
  let gpuDir = '';
  beforeAll(() => {
    index = buildStubIndex({ version: pin.version, tfPackage: pin.gpuPipPackage });
    cache = tmp('tfm-gpu-cache-');
    gpuDir = path.join(cache, `${pin.gpuPipPackage}-${pin.version}`);
  }, 120_000);

  it('--gpu --and-cuda puts the CUDA build and the runtime libraries its and-cuda extra pins into the cache', () => {
    const r = setup({ ...pipEnvFor(index), TF_MONITORED_CACHE_DIR: cache }, ['--gpu', '--and-cuda']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`pip download ${pin.gpuPipPackage}==${pin.version}`);
    const expected = Object.values(STUB_CUDA_WHEELS).flatMap(({ pkg, libs }) => libs.map((l) => `nvidia/${pkg}/lib/${l}`));
    // Only the libraries, the C headers and the manifest: no Python code, no other headers, no nvidia include/.
    expect(listFiles(gpuDir)).toEqual(
      [
        'include/tensorflow/c/c_api.h',
        'lib/libtensorflow_cc.so.2',
        'lib/libtensorflow_framework.so.2',
        'manifest.json',
        ...expected,
      ].sort(),
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(gpuDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      pipPackage: pin.gpuPipPackage,
      version: pin.version,
      buildInfo: { is_cuda_build: true, cuda_version: '12.5.1', cudnn_version: '9' },
    });
    expect(manifest.cudaRequirements.sort()).toEqual(
      Object.keys(STUB_CUDA_WHEELS)
        .map((n) => `${n}==12.5.0`)
        .sort(),
    );
    expect(manifest.cudaRuntime).toHaveLength(Object.keys(STUB_CUDA_WHEELS).length);
    // The CPU build's folder is another one, untouched.
    expect(fs.readdirSync(cache)).toEqual([`${pin.gpuPipPackage}-${pin.version}`]);
  }, 300_000);

  it('a second run fetches nothing (with no index and no pip at all)', () => {
    for (const args of [['--gpu'], ['--gpu', '--and-cuda']]) {
      const r = setup({ TF_MONITORED_CACHE_DIR: cache, PYTHON: '/nonexistent/python', PATH: '/nonexistent' }, args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`libtensorflow ${pin.version} already in ${gpuDir}`);
      expect(r.stderr).not.toContain('pip download');
    }
    // TF_MONITORED_GPU is the same request for `npm install`.
    const r = setup({ TF_MONITORED_CACHE_DIR: cache, TF_MONITORED_GPU: 'and-cuda', PATH: '/nonexistent', PYTHON: '/nonexistent/python' });
    expect(r.stderr).toContain(`already in ${gpuDir}`);
  });

  it('TF_MONITORED_GPU=1 fetches the CUDA build alone; a later --and-cuda fetches only the runtime wheels', () => {
    const c2 = tmp('tfm-gpu-cache2-');
    const first = setup({ ...pipEnvFor(index), TF_MONITORED_CACHE_DIR: c2, TF_MONITORED_GPU: '1' });
    expect(first.status, first.stderr).toBe(0);
    const dir = path.join(c2, `${pin.gpuPipPackage}-${pin.version}`);
    expect(fs.existsSync(path.join(dir, 'nvidia'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'lib', 'libtensorflow_cc.so.2'))).toBe(true);
    const second = setup({ ...pipEnvFor(index), TF_MONITORED_CACHE_DIR: c2 }, ['--gpu', '--and-cuda']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).not.toContain(`pip download ${pin.gpuPipPackage}==`);
    expect(second.stderr).toContain('pip download nvidia-');
    expect(fs.existsSync(path.join(dir, 'nvidia', 'cuda_runtime', 'lib', 'libcudart.so.12'))).toBe(true);
  }, 300_000);

  it('rejects a TF_MONITORED_GPU value it does not know, naming it', () => {
    const r = setup({ TF_MONITORED_CACHE_DIR: tmp('tfm-gpu-bad-'), TF_MONITORED_GPU: 'yes-please' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("TF_MONITORED_GPU must be 1, true, and-cuda, 0 or false; got 'yes-please'");
  });

  it('fails clearly when the index has no CUDA build', () => {
    const r = setup({ ...pipEnvFor(tmp('tfm-empty-index-')), TF_MONITORED_CACHE_DIR: tmp('tfm-gpu-none-') }, ['--gpu']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`pip could not download ${pin.gpuPipPackage}==${pin.version}`);
  }, 120_000);

  it('the loader finds every CUDA library in the cache, in load order, and names the missing ones', () => {
    const report = findCudaLibraries(path.join(gpuDir, 'lib'));
    expect(report.cudaBuild).toBe(true);
    expect(report.searched).toEqual([path.join(gpuDir, 'nvidia')]);
    expect(report.found.map((f) => path.relative(gpuDir, f.path))).toEqual([
      'nvidia/cuda_runtime/lib/libcudart.so.12',
      'nvidia/nvjitlink/lib/libnvJitLink.so.12',
      'nvidia/cublas/lib/libcublasLt.so.12',
      'nvidia/cublas/lib/libcublas.so.12',
      'nvidia/cufft/lib/libcufft.so.11',
      'nvidia/cusparse/lib/libcusparse.so.12',
      'nvidia/cusolver/lib/libcusolver.so.11',
      'nvidia/cudnn/lib/libcudnn.so.9',
      'nvidia/curand/lib/libcurand.so.10',
      'nvidia/cuda_nvrtc/lib/libnvrtc.so.12',
      'nvidia/cuda_cupti/lib/libcupti.so.12',
      'nvidia/nccl/lib/libnccl.so.2',
    ]);
    expect(report.missing).toEqual([]);
    // A copy without cuDNN and cuFFT: both named missing; the optional NCCL is not.
    const copy = path.join(tmp('tfm-gpu-partial-'), 'tf');
    fs.cpSync(gpuDir, copy, { recursive: true });
    for (const p of ['cudnn', 'cufft', 'nccl']) fs.rmSync(path.join(copy, 'nvidia', p), { recursive: true });
    const partial = findCudaLibraries(path.join(copy, 'lib'));
    expect(partial.missing).toEqual(['libcufft.so', 'libcudnn.so']);
    expect(describeCudaReport(partial).join('\n')).toContain('missing: libcufft.so, libcudnn.so');
    // A CPU build (its wheel says so) gets nothing opened, even with CUDA wheels next to it.
    const manifest = path.join(copy, 'manifest.json');
    fs.writeFileSync(manifest, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifest, 'utf8')), buildInfo: { is_cuda_build: false } }));
    expect(findCudaLibraries(path.join(copy, 'lib'))).toMatchObject({
      cudaBuild: false,
      found: [],
      skipped: expect.stringContaining('not a CUDA build'),
    });
  });

  it('loading searches the CUDA build first; its error names the CUDA libraries it opened', () => {
    const r = runTs(loadChild, [], {
      TF_MONITORED_CACHE_DIR: cache,
      PYTHON: '/nonexistent/python',
      PATH: '/nonexistent',
      TF_LIBRARY_PATH: undefined,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.ok).toBe(false);
    const paths = out.candidates.map((c: { path: string }) => c.path);
    const gpuLib = path.join(gpuDir, 'lib', 'libtensorflow_cc.so.2');
    const cpuLib = path.join(cache, `${pin.pipPackage}-${pin.version}`, 'lib', 'libtensorflow_cc.so.2');
    expect(paths.indexOf(gpuLib)).toBeGreaterThanOrEqual(0);
    expect(paths.indexOf(gpuLib)).toBeLessThan(paths.indexOf(cpuLib));
    const reason = out.candidates.find((c: { path: string }) => c.path === gpuLib).reason as string;
    expect(reason).toContain('is not a usable libtensorflow: it does not export TF_Version');
    expect(reason).toContain(`CUDA libraries for ${path.join(gpuDir, 'lib')} (searched ${path.join(gpuDir, 'nvidia')})`);
    // Opened by absolute path (the stand-ins are real shared libraries), in load order.
    const opened = [...reason.matchAll(/opened (\S+)/g)].map((m) => path.basename(m[1]));
    expect(opened.slice(0, 4)).toEqual(['libcudart.so.12', 'libnvJitLink.so.12', 'libcublasLt.so.12', 'libcublas.so.12']);
    expect(opened).toHaveLength(CUDA_LIBRARIES.length);
    expect(out.message).toContain(`opened ${path.join(gpuDir, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9')}`);
  }, 120_000);

  it('a TF that loads gets the libraries opened first and reports them (cudaLibraryReport, info, TF_MONITORED_VERBOSE)', () => {
    // The real CPU libraries (hard links) in the CUDA build's folder, its manifest without build
    // info (so the build is unknown until loaded), the stand-in CUDA libraries next to it.
    const base = tmp('tfm-gpu-real-');
    const dir = path.join(base, path.basename(gpuDir));
    fs.cpSync(path.join(gpuDir, 'nvidia'), path.join(dir, 'nvidia'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'lib'));
    const cpuLib = spawnSync(process.execPath, [script, '--print-lib'], { encoding: 'utf8' }).stdout.trim();
    for (const f of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) fs.linkSync(path.join(cpuLib, f), path.join(dir, 'lib', f));
    const { buildInfo: _, ...manifest } = JSON.parse(fs.readFileSync(path.join(gpuDir, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const r = runTs(path.join(ROOT, 'lib', 'cli', 'main.ts'), ['info', '--json'], {
      TF_MONITORED_CACHE_DIR: base,
      TF_MONITORED_VERBOSE: '1',
      TF_LIBRARY_PATH: undefined,
    });
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(info.path).toBe(path.join(dir, 'lib', 'libtensorflow_cc.so.2'));
    expect(info.cudaLibraries).toMatchObject({ tfDir: path.join(dir, 'lib'), cudaBuild: null, missing: [] });
    expect(info.cudaLibraries.found).toHaveLength(CUDA_LIBRARIES.length);
    expect(info.cudaLibraries.found.filter((f: { error?: string }) => f.error)).toEqual([]);
    // The kernels tell the truth the wheel did not: a CPU build.
    expect(info.build).toMatchObject({ cuda: false, gpuKernels: false, wheelSaysCuda: null });
    expect(r.stderr).toContain(`opened ${path.join(dir, 'nvidia', 'cuda_runtime', 'lib', 'libcudart.so.12')}`);
  }, 120_000);

  it('does not open a CUDA library from a world-writable folder unless the TF library was named explicitly', () => {
    const base = tmp('tfm-gpu-ww-');
    const dir = path.join(base, path.basename(gpuDir));
    fs.cpSync(gpuDir, dir, { recursive: true });
    const cudnn = path.join(dir, 'nvidia', 'cudnn', 'lib');
    fs.chmodSync(cudnn, 0o777);
    const load = (env: Record<string, string | undefined>) => {
      const r = runTs(loadChild, [], { PYTHON: '/nonexistent/python', PATH: '/nonexistent', TF_LIBRARY_PATH: undefined, ...env });
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: boolean; message: string };
    };
    const searched = load({ TF_MONITORED_CACHE_DIR: base });
    expect(searched.message).toContain(`not usable ${path.join(cudnn, 'libcudnn.so.9')}: not opened: ${cudnn} is world-writable`);
    expect(searched.message).toContain(`opened ${path.join(dir, 'nvidia', 'cublas', 'lib', 'libcublas.so.12')}`);
    const named = load({ TF_LIBRARY_PATH: path.join(dir, 'lib') });
    expect(named.ok).toBe(false);
    expect(named.message).toContain(`opened ${path.join(cudnn, 'libcudnn.so.9')}`);
  }, 120_000);
});
