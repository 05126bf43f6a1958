/**
 * A local package index with stand-ins for the CUDA build of TF and its CUDA runtime wheels: the
 * real wheels' file layout (tensorflow/libtensorflow_*.so.2, C headers, python/platform/build_info.py,
 * METADATA pinning nvidia-* for the and-cuda extra; nvidia/<pkg>/lib/lib*.so.N), with tiny shared
 * libraries compiled here instead of TF and CUDA. pip reads it with --no-index --find-links.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The runtime wheels the stub TF pins, with the libraries each installs (as TF 2.21's and-cuda extra). */
export const STUB_CUDA_WHEELS: Record<string, { pkg: string; libs: string[] }> = {
  'nvidia-cuda-runtime-cu12': { pkg: 'cuda_runtime', libs: ['libcudart.so.12'] },
  'nvidia-nvjitlink-cu12': { pkg: 'nvjitlink', libs: ['libnvJitLink.so.12'] },
  'nvidia-cublas-cu12': { pkg: 'cublas', libs: ['libcublas.so.12', 'libcublasLt.so.12', 'libnvblas.so.12'] },
  'nvidia-cufft-cu12': { pkg: 'cufft', libs: ['libcufft.so.11', 'libcufftw.so.11'] },
  'nvidia-curand-cu12': { pkg: 'curand', libs: ['libcurand.so.10'] },
  'nvidia-cusolver-cu12': { pkg: 'cusolver', libs: ['libcusolver.so.11', 'libcusolverMg.so.11'] },
  'nvidia-cusparse-cu12': { pkg: 'cusparse', libs: ['libcusparse.so.12'] },
  'nvidia-cudnn-cu12': { pkg: 'cudnn', libs: ['libcudnn.so.9', 'libcudnn_ops.so.9'] },
  'nvidia-nccl-cu12': { pkg: 'nccl', libs: ['libnccl.so.2'] },
  'nvidia-cuda-nvrtc-cu12': { pkg: 'cuda_nvrtc', libs: ['libnvrtc.so.12'] },
  'nvidia-cuda-cupti-cu12': { pkg: 'cuda_cupti', libs: ['libcupti.so.12'] },
};

// argv: out folder, name, version, {archive path: source file}, extra METADATA lines.
const BUILD = [
  'import sys, zipfile, json, os, hashlib, base64',
  'out, name, version, files = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])',
  'meta = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version] + json.loads(sys.argv[5])',
  'dist = name.replace("-", "_") + "-" + version + ".dist-info/"',
  'whl = os.path.join(out, name.replace("-", "_") + "-" + version + "-py3-none-any.whl")',
  'with zipfile.ZipFile(whl, "w") as z:',
  '    for arc, src in files.items():',
  '        z.write(src, arc)',
  '    z.writestr(dist + "METADATA", "\\n".join(meta) + "\\n")',
  '    z.writestr(dist + "WHEEL", "Wheel-Version: 1.0\\nGenerator: tf-monitored-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")',
  '    z.writestr(dist + "RECORD", "")',
  'print(whl)',
].join('\n');

/** A tiny shared library with the given soname at `file` (what the loader opens in place of TF or CUDA). */
export function stubLibrary(file: string, soname = path.basename(file)): string {
  const src = `${file}.c`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(src, 'int tfm_stub_library(void) { return 42; }\n');
  execFileSync('cc', ['-shared', '-fPIC', `-Wl,-soname,${soname}`, '-o', file, src]);
  fs.rmSync(src);
  return file;
}

/** Builds the index in a new temporary folder; returns its path. */
export function buildStubIndex(opts: { version: string; tfPackage: string }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-stub-index-'));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-stub-src-'));
  const so = (soname: string) => {
    const out = path.join(work, soname);
    return fs.existsSync(out) ? out : stubLibrary(out);
  };
  const text = (name: string, body: string) => {
    const p = path.join(work, name);
    fs.writeFileSync(p, body);
    return p;
  };
  const wheel = (name: string, version: string, files: Record<string, string>, meta: string[] = []) =>
    execFileSync('python3', ['-c', BUILD, dir, name, version, JSON.stringify(files), JSON.stringify(meta)], { encoding: 'utf8' });

  const requires = Object.keys(STUB_CUDA_WHEELS).map((n) => `Requires-Dist: ${n}==12.5.0; extra == "and-cuda"`);
  wheel(
    opts.tfPackage,
    opts.version,
    {
      'tensorflow/libtensorflow_framework.so.2': so('libtensorflow_framework.so.2'),
      'tensorflow/libtensorflow_cc.so.2': so('libtensorflow_cc.so.2'),
      'tensorflow/include/tensorflow/c/c_api.h': text('c_api.h', '/* stub */\n'),
      'tensorflow/include/tensorflow/core/framework/tensor.h': text('tensor.h', '/* not extracted */\n'),
      'tensorflow/python/platform/build_info.py': text(
        'build_info.py',
        "import collections\nbuild_info = collections.OrderedDict([('cuda_version', '12.5.1'), ('cudnn_version', '9'), ('is_cuda_build', True), ('is_rocm_build', False), ('is_tensorrt_build', False)])\n",
      ),
      'tensorflow/python/__init__.py': text('init.py', ''),
    },
    ['Requires-Dist: numpy>=1.26.0', ...requires, 'Provides-Extra: and-cuda'],
  );
  for (const [name, { pkg, libs }] of Object.entries(STUB_CUDA_WHEELS)) {
    const files: Record<string, string> = { [`nvidia/${pkg}/__init__.py`]: text('init.py', '') };
    for (const lib of libs) files[`nvidia/${pkg}/lib/${lib}`] = so(lib);
    files[`nvidia/${pkg}/include/${pkg}.h`] = text(`${pkg}.h`, '/* not extracted */\n');
    wheel(name, '12.5.0', files);
  }
  fs.rmSync(work, { recursive: true, force: true });
  return dir;
}

/** Environment for pip to see only `index` (no configured index, no constraints file). */
export function pipEnvFor(index: string): Record<string, string> {
  return { PIP_CONFIG_FILE: os.devNull, PIP_NO_INDEX: '1', PIP_FIND_LINKS: index, PIP_DISABLE_PIP_VERSION_CHECK: '1' };
}
