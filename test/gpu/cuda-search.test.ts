// The loader's CUDA search beyond the setup's cache: which file of a library is picked, and the
// layout pip makes for `tensorflow[and-cuda]` (site-packages/tensorflow next to site-packages/nvidia),
// found through an installed Python package.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runTs } from '../support/child';
import { stubLibrary } from './support/stub-index';
import { findCudaLibraries } from '../../lib/gpu/cuda-libraries';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const touch = (file: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '');
};

describe('findCudaLibraries', () => {
  it('picks the soname file over a longer version and over the bare development name', () => {
    const tf = path.join(tmp('tfm-cuda-pick-'), 'tensorflow');
    fs.mkdirSync(tf);
    const lib = path.join(path.dirname(tf), 'nvidia', 'cuda_runtime', 'lib');
    for (const f of ['libcudart.so', 'libcudart.so.12.5.82', 'libcudart.so.12', 'libcudart_static.a', 'libcudart.so.12.bak'])
      touch(path.join(lib, f));
    touch(path.join(path.dirname(tf), 'nvidia', 'cublas', 'lib', 'libcublas.so'));
    const r = findCudaLibraries(tf);
    expect(r.cudaBuild).toBeNull();
    expect(r.found.map((f) => path.relative(path.dirname(tf), f.path))).toEqual([
      'nvidia/cuda_runtime/lib/libcudart.so.12',
      'nvidia/cublas/lib/libcublas.so',
    ]);
    expect(r.missing).toEqual(['libnvJitLink.so', 'libcublasLt.so', 'libcufft.so', 'libcusparse.so', 'libcusolver.so', 'libcudnn.so']);
  });

  it('says nothing about CUDA for a library of unknown build with no wheels next to it', () => {
    const tf = path.join(tmp('tfm-cuda-none-'), 'lib');
    fs.mkdirSync(tf);
    expect(findCudaLibraries(tf)).toMatchObject({
      cudaBuild: null,
      found: [],
      missing: [],
      skipped: expect.stringContaining('no CUDA runtime wheels'),
    });
  });
});

describe('a pip-installed tensorflow[and-cuda]', () => {
  it('is found through Python, its build_info.py read, and the CUDA libraries in site-packages/nvidia opened', () => {
    const site = path.join(tmp('tfm-site-'), 'site-packages');
    const tf = path.join(site, 'tensorflow');
    stubLibrary(path.join(tf, 'libtensorflow_framework.so.2'));
    stubLibrary(path.join(tf, 'libtensorflow_cc.so.2'));
    touch(path.join(tf, 'python', 'platform', 'build_info.py'));
    fs.writeFileSync(
      path.join(tf, 'python', 'platform', 'build_info.py'),
      "import collections\nbuild_info = collections.OrderedDict([('cuda_version', '12.5.1'), ('cudnn_version', '9'), ('is_cuda_build', True), ('is_rocm_build', False)])\n",
    );
    stubLibrary(path.join(site, 'nvidia', 'cuda_runtime', 'lib', 'libcudart.so.12'));
    stubLibrary(path.join(site, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9'));
    // A "Python" that answers the loader's question (where is the tensorflow package?) with this folder.
    const python = path.join(path.dirname(site), 'python');
    fs.writeFileSync(python, `#!/bin/sh\necho ${tf}\n`, { mode: 0o755 });
    const r = runTs(path.join(ROOT, 'test', 'native', 'children', 'load-library.ts'), [], {
      PYTHON: python,
      TF_MONITORED_CACHE_DIR: tmp('tfm-empty-cache-'),
      TF_LIBRARY_PATH: undefined,
    });
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.ok).toBe(false);
    const reason = out.candidates.find((c: { path: string }) => c.path === path.join(tf, 'libtensorflow_cc.so.2')).reason as string;
    expect(reason).toContain(`CUDA libraries for ${tf} (searched ${path.join(site, 'nvidia')})`);
    expect(reason).toContain(`opened ${path.join(site, 'nvidia', 'cuda_runtime', 'lib', 'libcudart.so.12')}`);
    expect(reason).toContain(`opened ${path.join(site, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9')}`);
    // The wheel says CUDA, so the required libraries it lacks are named.
    expect(reason).toContain('missing: libnvJitLink.so, libcublasLt.so, libcublas.so, libcufft.so, libcusparse.so, libcusolver.so');
  }, 120_000);
});
