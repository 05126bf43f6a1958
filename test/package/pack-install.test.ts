import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/child';

// `npm pack` → install into an empty project → load from the prebuild, with compilers replaced by
// shims that record any call: proves the install compiled nothing.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-pack-'));
const project = path.join(work, 'app');
const shims = path.join(work, 'shims');
const marker = path.join(work, 'compiler-was-called');
const libDir = execFileSync(process.execPath, [path.join(ROOT, 'scripts/setup-libtensorflow.mjs'), '--print-lib'], { encoding: 'utf8' }).trim();
const env = {
  ...process.env,
  PATH: `${shims}:${process.env.PATH}`,
  TF_LIBRARY_PATH: libDir, // the setup step is then skipped: no second 800 MB download here
  TF_CPP_MIN_LOG_LEVEL: '2',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  fs.mkdirSync(shims);
  for (const tool of ['cc', 'c++', 'gcc', 'g++', 'make', 'cmake', 'ld']) {
    fs.writeFileSync(path.join(shims, tool), `#!/bin/sh\necho "${tool} $*" >> "${marker}"\nexit 1\n`, { mode: 0o755 });
  }
  const tgz = packFromCopy();
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', tgz], { cwd: project, env, stdio: 'pipe' });
}, 600_000);

/**
 * Packs the package from a copy of its sources, so that building the prebuild (cmake-js wipes
 * build/) never disturbs other tests that load the addon from this tree meanwhile. CI built the
 * prebuild just before the tests: it is reused when no native source is newer.
 */
function packFromCopy(): string {
  const copy = path.join(work, 'pkg');
  fs.mkdirSync(copy);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const entries = new Set<string>([...pkg.files, 'package.json', 'lib', 'tsconfig.json', 'scripts']);
  for (const e of entries) {
    const from = path.join(ROOT, e.replace(/\/$/, ''));
    if (fs.existsSync(from) && !e.startsWith('dist') && !e.startsWith('prebuilds')) fs.cpSync(from, path.join(copy, e.replace(/\/$/, '')), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  const prebuild = path.join(ROOT, 'prebuilds', 'linux-x64', 'tf-monitored.node');
  const nativeDir = path.join(ROOT, 'native');
  const newestSource = Math.max(...fs.readdirSync(nativeDir).map((f) => fs.statSync(path.join(nativeDir, f)).mtimeMs));
  if (fs.existsSync(prebuild) && fs.statSync(prebuild).mtimeMs >= newestSource) {
    fs.mkdirSync(path.join(copy, 'prebuilds', 'linux-x64'), { recursive: true });
    fs.copyFileSync(prebuild, path.join(copy, 'prebuilds', 'linux-x64', 'tf-monitored.node'));
  } else {
    // The copy builds against this tree's headers (no second libtensorflow download).
    const include = execFileSync(process.execPath, [path.join(ROOT, 'scripts/setup-libtensorflow.mjs'), '--print-include'], { encoding: 'utf8' }).trim();
    execFileSync('npm', ['run', 'prebuild'], { cwd: copy, stdio: 'ignore', env: { ...process.env, TF_INCLUDE_DIR: include } });
  }
  const out = execFileSync('npm', ['pack', '--pack-destination', work], { cwd: copy, encoding: 'utf8' });
  return path.join(work, out.trim().split('\n').pop()!);
}

describe('the packed package', () => {
  it('installs from its prebuild without running a compiler', () => {
    expect(fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '').toBe('');
    const installed = path.join(project, 'node_modules', 'tf-monitored');
    expect(fs.existsSync(path.join(installed, 'prebuilds', 'linux-x64', 'tf-monitored.node'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
    // Nothing from TF ships in the package.
    expect(fs.existsSync(path.join(installed, '.libtensorflow'))).toBe(false);
  });

  it('runs a graph from require() and import(), with one addon instance', () => {
    const script = `
      const cjs = require('tf-monitored');
      import('tf-monitored').then(async (esm) => {
        const g = new esm.Graph();
        const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [2] } });
        g.addOp({ type: 'Square', name: 'y', inputs: [x] });
        const s = new cjs.Session(g);
        const y = await s.run('y:0', { 'x:0': [3, 4] });
        await s.close();
        console.log(JSON.stringify({
          same: esm.Graph === cjs.Graph && esm.default === cjs,
          y: Array.from(y.data),
          lib: cjs.libraryPath(),
          addon: require.resolve('node-gyp-build') && require('node-gyp-build').path(require('path').dirname(require.resolve('tf-monitored/package.json'))),
        }));
      });`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: project, env, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.same).toBe(true);
    expect(r.y).toEqual([9, 16]);
    expect(r.lib).toBe(fs.realpathSync(path.join(libDir, 'libtensorflow_cc.so.2')));
    expect(r.addon).toMatch(/prebuilds\/linux-x64\/tf-monitored\.node$/);
  });

  it('ships TypeScript types for both entry points', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'tf-monitored', 'package.json'), 'utf8'));
    const types = path.join(project, 'node_modules', 'tf-monitored', pkg.types);
    expect(fs.readFileSync(types, 'utf8')).toMatch(/export .*Graph/);
    expect(fs.existsSync(path.join(project, 'node_modules', 'tf-monitored', 'dist', 'esm', 'index.d.mts'))).toBe(true);
  });

  // npm ≥ 11 skips a dependency's install scripts unless the user allows them, so an installed
  // copy may have no libtensorflow: the load error must name a fix that works from there.
  it('without libtensorflow, fails with an error naming `npx tf-monitored-setup`, which then sets it up', () => {
    const installed = path.join(project, 'node_modules', 'tf-monitored');
    const { TF_LIBRARY_PATH: _lib, TF_MONITORED_CACHE_DIR: _cache, ...noLibrary } = env;
    // No Python TF to fall back on either: python3/python answer nothing.
    const noPython = path.join(work, 'no-python');
    fs.mkdirSync(noPython, { recursive: true });
    for (const exe of ['python3', 'python']) fs.writeFileSync(path.join(noPython, exe), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const load = "console.log(require('tf-monitored').tfVersion(), require('tf-monitored').libraryPath())";
    const before = spawnSync(process.execPath, ['-e', load], {
      cwd: project, env: { ...noLibrary, PATH: `${noPython}:${noLibrary.PATH}` }, encoding: 'utf8',
    });
    expect(before.status).not.toBe(0);
    expect(before.stderr).toContain('LibraryLoadError');
    expect(before.stderr).toContain('npx tf-monitored-setup');
    try {
      // The named command: the package's bin, run through its node_modules/.bin link.
      const setup = spawnSync('npx', ['--no-install', 'tf-monitored-setup'], { cwd: project, env: noLibrary, encoding: 'utf8', timeout: 300_000 });
      expect(setup.stderr).toMatch(/libtensorflow 2\.\d+\.\d+: \d+ files into .*node_modules\/tf-monitored\/\.libtensorflow/);
      expect(setup.status).toBe(0);
      const after = execFileSync(process.execPath, ['-e', load], {
        cwd: project, env: { ...noLibrary, PATH: `${noPython}:${noLibrary.PATH}` }, encoding: 'utf8',
      }).trim().split('\n').pop()!.split(' ');
      expect(after[0]).toMatch(/^2\.\d+\.\d+$/);
      expect(after[1].startsWith(`${path.join(fs.realpathSync(installed), '.libtensorflow')}/`)).toBe(true);
    } finally {
      fs.rmSync(path.join(installed, '.libtensorflow'), { recursive: true, force: true }); // ~800 MB
    }
  }, 300_000);
});
