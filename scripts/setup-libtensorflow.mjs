#!/usr/bin/env node
// Fetches the pinned libtensorflow with pip and extracts only what the addon needs:
// the two shared libraries and the C headers. Nothing from TF is committed; this script is the
// only way TF reaches the package. Idempotent: a finished extraction is marked by manifest.json,
// written last, so an interrupted run is redone rather than trusted.
//
//   node scripts/setup-libtensorflow.mjs                 fetch + extract when missing
//   node scripts/setup-libtensorflow.mjs --gpu           the CUDA build of the same version instead
//   node scripts/setup-libtensorflow.mjs --gpu --and-cuda  and the CUDA runtime wheels it pins
//   node scripts/setup-libtensorflow.mjs --print-include print the header folder (for builds)
//   node scripts/setup-libtensorflow.mjs --print-lib     print the library folder
//   node scripts/setup-libtensorflow.mjs --force         fetch again
//
// Environment: TF_LIBRARY_PATH set -> the library fetch is skipped (the user brings their own);
// TF_INCLUDE_DIR set -> headers are taken from there; TF_MONITORED_CACHE_DIR -> cache folder;
// TF_MONITORED_GPU=1 (or =and-cuda) -> as --gpu (or --gpu --and-cuda), for `npm install`.
// The GPU layout and how the loader uses it: docs/gpu.md.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pin = JSON.parse(fs.readFileSync(path.join(here, 'libtensorflow.json'), 'utf8'));
const packageRoot = path.resolve(here, '..');

/** The cache folder of one build: the CPU wheel's package, or (gpu) the CUDA one's. */
export function cacheDir({ gpu = false } = {}) {
  const base = process.env.TF_MONITORED_CACHE_DIR || path.join(packageRoot, '.libtensorflow');
  return path.join(base, `${gpu ? pin.gpuPipPackage : pin.pipPackage}-${pin.version}`);
}

/** What the flags and TF_MONITORED_GPU ask for: { gpu, andCuda }. */
export function gpuRequest(args = new Set(), env = process.env) {
  const v = (env.TF_MONITORED_GPU ?? '').trim().toLowerCase();
  const fromEnv = { '': 0, 0: 0, false: 0, 1: 1, true: 1, 'and-cuda': 2 }[v];
  if (fromEnv === undefined) {
    throw new Error(`tf-monitored setup: TF_MONITORED_GPU must be 1, true, and-cuda, 0 or false; got '${env.TF_MONITORED_GPU}'`);
  }
  const andCuda = args.has('--and-cuda') || fromEnv === 2;
  return { gpu: args.has('--gpu') || andCuda || fromEnv >= 1, andCuda };
}

const LIBRARIES = ['tensorflow/libtensorflow_framework.so.2', 'tensorflow/libtensorflow_cc.so.2'];
// c_api.h pulls in these; everything else under include/ is C++ we do not use.
const HEADER_PREFIXES = [
  'tensorflow/include/tensorflow/c/',
  'tensorflow/include/xla/tsl/c/',
  'tensorflow/include/tensorflow/core/platform/ctstring',
  'tensorflow/include/tsl/platform/ctstring',
];

const log = (msg) => process.stderr.write(`[tf-monitored setup] ${msg}\n`);

function readManifest(dir, pipPackage) {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    if (m.version !== pin.version || m.pipPackage !== pipPackage) return null;
    const ok = m.files.every((f) => fs.existsSync(path.join(dir, f)));
    return ok ? m : null;
  } catch {
    return null;
  }
}

export function python() {
  for (const exe of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    try {
      execFileSync(exe, ['-m', 'pip', '--version'], { stdio: 'ignore' });
      return exe;
    } catch {
      /* try next */
    }
  }
  throw new Error(
    'tf-monitored setup: no Python with pip found (tried $PYTHON, python3, python). ' +
      'Install pip, or set TF_LIBRARY_PATH to an existing libtensorflow and TF_INCLUDE_DIR to its headers.',
  );
}

// pip retries the public index for a while before falling back to configured ones; when the
// machine configures its own index, ask only that one (much faster, and works offline).
export function configuredIndexArgs(py) {
  let text = '';
  try {
    text = execFileSync(py, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const values = (key) => {
    const m = [...text.matchAll(new RegExp(`^[^\\n]*\\.${key}='([^']*)'`, 'gm'))];
    return m.flatMap((x) => x[1].split(/\s+/).filter(Boolean));
  };
  const index = values('index-url');
  const extra = values('extra-index-url');
  const all = [...new Set([...index, ...extra])];
  if (all.length === 0) return [];
  return ['--index-url', all[0], ...all.slice(1).flatMap((u) => ['--extra-index-url', u])];
}

/** Downloads one wheel per requirement into `into` (no dependencies, binary only); their paths. */
export function downloadWheels(py, into, specs) {
  const spec = specs.join(' ');
  const base = ['-m', 'pip', 'download', ...specs, '--no-deps', '--only-binary=:all:', '-d', into];
  const fast = configuredIndexArgs(py);
  const attempts = fast.length ? [fast, []] : [[]];
  let lastError;
  for (const extra of attempts) {
    try {
      log(`pip download ${spec}${extra.length ? ' (configured index)' : ''}`);
      execFileSync(py, [...base, ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
      const wheels = fs.readdirSync(into).filter((f) => f.endsWith('.whl'));
      if (wheels.length >= specs.length) return wheels.map((w) => path.join(into, w));
    } catch (e) {
      lastError = e;
    }
  }
  throw new Error(`tf-monitored setup: pip could not download ${spec}: ${lastError?.message ?? 'no wheel'}`);
}

/** The pinned CPU wheel (or `spec`) downloaded into `into`; its path. */
export function downloadWheel(py, into, spec = `${pin.pipPackage}==${pin.version}`) {
  return downloadWheels(py, into, [spec])[0];
}

function extract(py, wheel, dest) {
  // Python's zipfile: pip already requires Python, so this adds no dependency.
  const code = String.raw`
import sys, zipfile, os, json, shutil, re
wheel, dest, libs, prefixes = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
z = zipfile.ZipFile(wheel)
out = []
for info in z.infolist():
    n = info.filename
    if n.endswith('/'):
        continue
    if n in libs:
        target = os.path.join(dest, 'lib', os.path.basename(n))
    elif any(n.startswith(p) for p in prefixes):
        target = os.path.join(dest, 'include', n[len('tensorflow/include/'):])
    else:
        continue
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with z.open(info) as src, open(target, 'wb') as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    out.append(os.path.relpath(target, dest))
# What the wheel says about itself: whether it is the CUDA build (build_info.py, read as text,
# never run) and the CUDA runtime wheels its and-cuda extra pins (METADATA's Requires-Dist).
info, cuda = {}, []
for n in z.namelist():
    if n == 'tensorflow/python/platform/build_info.py':
        text = z.read(n).decode('utf8', 'replace')
        for key in ('is_cuda_build', 'is_rocm_build', 'cuda_version', 'cudnn_version'):
            m = re.search(r"['\"]%s['\"]\s*[,:]\s*(True|False|'[^']*'|\"[^\"]*\")" % key, text)
            if m:
                v = m.group(1)
                info[key] = v == 'True' if v in ('True', 'False') else v[1:-1]
    elif n.endswith('.dist-info/METADATA'):
        for line in z.read(n).decode('utf8', 'replace').splitlines():
            m = re.match(r'Requires-Dist:\s*([^;]+);(.*)$', line)
            # Only the CUDA runtime wheels (nvidia-*): what the loader opens.
            if m and m.group(1).strip().startswith('nvidia-') and re.search(r'extra\s*==\s*["\']and-cuda["\']', m.group(2)):
                cuda.append(m.group(1).strip().replace(' ', ''))
print(json.dumps({'files': out, 'buildInfo': info, 'cudaRequirements': cuda}))
`;
  const out = execFileSync(py, ['-c', code, wheel, dest, JSON.stringify(LIBRARIES), JSON.stringify(HEADER_PREFIXES)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out);
}

// A CUDA runtime wheel (nvidia-*) installs its libraries as nvidia/<package>/lib/lib*.so*; the
// same relative path under the cache folder is where the loader looks (and where the TF wheel's
// own RUNPATH, $ORIGIN/../nvidia/<package>/lib, points).
function extractCudaLibraries(py, wheels, dest) {
  const code = String.raw`
import sys, zipfile, os, json, shutil, re
dest, out = sys.argv[1], []
for wheel in sys.argv[2:]:
    z = zipfile.ZipFile(wheel)
    for info in z.infolist():
        if not re.match(r'^nvidia/[^/]+/lib/lib[^/]*\.so(\.[0-9]+)*$', info.filename):
            continue
        target = os.path.join(dest, info.filename)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        out.append(info.filename)
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(py, ['-c', code, dest, ...wheels], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

function writeManifest(dir, manifest) {
  const part = path.join(dir, 'manifest.json.part');
  fs.writeFileSync(part, JSON.stringify(manifest, null, 2));
  fs.renameSync(part, path.join(dir, 'manifest.json'));
}

/**
 * Fetches and extracts one build when its cache is missing or incomplete; returns its folder.
 * gpu: the CUDA build (`tensorflow`) instead of `tensorflow-cpu`; andCuda: also the CUDA runtime
 * wheels that build pins (fetched once, also into a cache made earlier without them).
 */
export function ensureLibtensorflow({ force = false, gpu = false, andCuda = false } = {}) {
  const pipPackage = gpu ? pin.gpuPipPackage : pin.pipPackage;
  const dir = cacheDir({ gpu });
  let manifest = !force && readManifest(dir, pipPackage);
  if (manifest && (!andCuda || manifest.cudaRuntime)) {
    log(`libtensorflow ${pin.version} already in ${dir}`);
    return dir;
  }
  const py = python();
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-monitored-wheel-'));
  try {
    if (!manifest) {
      const wheel = downloadWheel(py, tmp, `${pipPackage}==${pin.version}`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      log(`extracting libraries and C headers from ${path.basename(wheel)}`);
      const { files, buildInfo, cudaRequirements } = extract(py, wheel, dir);
      manifest = { pipPackage, version: pin.version, wheel: path.basename(wheel), files, buildInfo, cudaRequirements };
      if (gpu && buildInfo.is_cuda_build !== true) {
        log(`warning: ${path.basename(wheel)} does not say it is a CUDA build (its build_info.py: ${JSON.stringify(buildInfo)})`);
      }
      log(`libtensorflow ${pin.version}: ${files.length} files into ${dir}`);
    }
    if (andCuda) {
      const reqs = manifest.cudaRequirements ?? [];
      if (reqs.length === 0)
        throw new Error(`tf-monitored setup: ${manifest.wheel} pins no CUDA runtime wheels (no Requires-Dist with extra == "and-cuda")`);
      const into = fs.mkdtempSync(path.join(tmp, 'cuda-'));
      const wheels = downloadWheels(py, into, reqs);
      const files = extractCudaLibraries(py, wheels, dir);
      manifest = { ...manifest, files: [...manifest.files, ...files], cudaRuntime: wheels.map((w) => path.basename(w)).sort() };
      log(`CUDA runtime: ${files.length} libraries from ${wheels.length} wheels into ${path.join(dir, 'nvidia')}`);
    }
    writeManifest(dir, manifest);
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return dir;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function main(argv) {
  const args = new Set(argv);
  if (args.has('--print-include')) {
    if (process.env.TF_INCLUDE_DIR) return console.log(process.env.TF_INCLUDE_DIR);
    return console.log(path.join(ensureLibtensorflow(), 'include'));
  }
  const request = gpuRequest(args);
  if (args.has('--print-lib')) return console.log(path.join(ensureLibtensorflow(request), 'lib'));
  if (process.env.TF_LIBRARY_PATH && !args.has('--force')) {
    log(`TF_LIBRARY_PATH=${process.env.TF_LIBRARY_PATH}: using it, nothing to fetch`);
    return;
  }
  ensureLibtensorflow({ force: args.has('--force'), ...request });
}

// Run as a program (not imported): `node scripts/setup-libtensorflow.mjs`, or the package's
// `tf-monitored-setup` bin, whose node_modules/.bin link node reports as argv[1] unresolved.
function invokedPath() {
  try {
    return fs.realpathSync(path.resolve(process.argv[1]));
  } catch {
    return '';
  }
}
if (process.argv[1] && invokedPath() === fs.realpathSync(fileURLToPath(import.meta.url))) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
