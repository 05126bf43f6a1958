#!/usr/bin/env node
// Fetches the pinned libtensorflow with pip and extracts only what the addon needs:
// the two shared libraries and the C headers. Nothing from TF is committed; this script is the
// only way TF reaches the package. Idempotent: a finished extraction is marked by manifest.json,
// written last, so an interrupted run is redone rather than trusted.
//
//   node scripts/setup-libtensorflow.mjs                 fetch + extract when missing
//   node scripts/setup-libtensorflow.mjs --print-include print the header folder (for builds)
//   node scripts/setup-libtensorflow.mjs --print-lib     print the library folder
//   node scripts/setup-libtensorflow.mjs --force         fetch again
//
// Environment: TF_LIBRARY_PATH set -> the library fetch is skipped (the user brings their own);
// TF_INCLUDE_DIR set -> headers are taken from there; TF_MONITORED_CACHE_DIR -> cache folder.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pin = JSON.parse(fs.readFileSync(path.join(here, 'libtensorflow.json'), 'utf8'));
const packageRoot = path.resolve(here, '..');

export function cacheDir() {
  const base = process.env.TF_MONITORED_CACHE_DIR || path.join(packageRoot, '.libtensorflow');
  return path.join(base, `${pin.pipPackage}-${pin.version}`);
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

function readManifest(dir) {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    if (m.version !== pin.version || m.pipPackage !== pin.pipPackage) return null;
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
    } catch { /* try next */ }
  }
  throw new Error('tf-monitored setup: no Python with pip found (tried $PYTHON, python3, python). ' +
    'Install pip, or set TF_LIBRARY_PATH to an existing libtensorflow and TF_INCLUDE_DIR to its headers.');
}

// pip retries the public index for a while before falling back to configured ones; when the
// machine configures its own index, ask only that one (much faster, and works offline).
export function configuredIndexArgs(py) {
  let text = '';
  try { text = execFileSync(py, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' }); } catch { return []; }
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

export function downloadWheel(py, into) {
  const spec = `${pin.pipPackage}==${pin.version}`;
  const base = ['-m', 'pip', 'download', spec, '--no-deps', '--only-binary=:all:', '-d', into];
  const fast = configuredIndexArgs(py);
  const attempts = fast.length ? [fast, []] : [[]];
  let lastError;
  for (const extra of attempts) {
    try {
      log(`pip download ${spec}${extra.length ? ' (configured index)' : ''}`);
      execFileSync(py, [...base, ...extra], { stdio: ['ignore', 'ignore', 'inherit'] });
      const wheel = fs.readdirSync(into).find((f) => f.endsWith('.whl'));
      if (wheel) return path.join(into, wheel);
    } catch (e) { lastError = e; }
  }
  throw new Error(`tf-monitored setup: pip could not download ${spec}: ${lastError?.message ?? 'no wheel'}`);
}

function extract(py, wheel, dest) {
  // Python's zipfile: pip already requires Python, so this adds no dependency.
  const code = `
import sys, zipfile, os, json, shutil
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
print(json.dumps(out))
`;
  const out = execFileSync(py, ['-c', code, wheel, dest, JSON.stringify(LIBRARIES), JSON.stringify(HEADER_PREFIXES)],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out);
}

export function ensureLibtensorflow({ force = false } = {}) {
  const dir = cacheDir();
  const existing = !force && readManifest(dir);
  if (existing) {
    log(`libtensorflow ${pin.version} already in ${dir}`);
    return dir;
  }
  const py = python();
  const started = Date.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-monitored-wheel-'));
  try {
    const wheel = downloadWheel(py, tmp);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    log(`extracting libraries and C headers from ${path.basename(wheel)}`);
    const files = extract(py, wheel, dir);
    const manifest = { pipPackage: pin.pipPackage, version: pin.version, wheel: path.basename(wheel), files };
    const part = path.join(dir, 'manifest.json.part');
    fs.writeFileSync(part, JSON.stringify(manifest, null, 2));
    fs.renameSync(part, path.join(dir, 'manifest.json'));
    log(`libtensorflow ${pin.version}: ${files.length} files into ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
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
  if (args.has('--print-lib')) return console.log(path.join(ensureLibtensorflow(), 'lib'));
  if (process.env.TF_LIBRARY_PATH && !args.has('--force')) {
    log(`TF_LIBRARY_PATH=${process.env.TF_LIBRARY_PATH}: using it, nothing to fetch`);
    return;
  }
  ensureLibtensorflow({ force: args.has('--force') });
}

// Run as a program (not imported): `node scripts/setup-libtensorflow.mjs`, or the package's
// `tf-monitored-setup` bin, whose node_modules/.bin link node reports as argv[1] unresolved.
function invokedPath() {
  try { return fs.realpathSync(path.resolve(process.argv[1])); } catch { return ''; }
}
if (process.argv[1] && invokedPath() === fs.realpathSync(fileURLToPath(import.meta.url))) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
