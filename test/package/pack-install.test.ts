import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/child';

// The release path, end to end: a clean copy of this checkout (what a clone holds) runs `npm pack`,
// whose prepack ships a prebuild built from the packed native sources; the tarball is checked against
// package.json's "files"; then that very tarball is installed into an empty project with compilers
// replaced by shims that record any call: proves the install compiled nothing.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-pack-'));
const clone = path.join(work, 'clone');
const project = path.join(work, 'app');
const shims = path.join(work, 'shims');
const marker = path.join(work, 'compiler-was-called');
const libDir = execFileSync(process.execPath, [path.join(ROOT, 'scripts/setup-libtensorflow.mjs'), '--print-lib'], {
  encoding: 'utf8',
}).trim();
const include = execFileSync(process.execPath, [path.join(ROOT, 'scripts/setup-libtensorflow.mjs'), '--print-include'], {
  encoding: 'utf8',
}).trim();
const env = {
  ...process.env,
  PATH: `${shims}:${process.env.PATH}`,
  TF_LIBRARY_PATH: libDir, // the setup step is then skipped: no second 800 MB download here
  TF_CPP_MIN_LOG_LEVEL: '2',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};
// The clone builds against this tree's headers (no second libtensorflow download).
const packEnv = { ...env, PATH: process.env.PATH, TF_INCLUDE_DIR: include };
const PREBUILD = 'prebuilds/linux-x64/tf-monitored.node';
let tgz = '';
let packed: string[] = []; // the tarball's files, without the leading package/

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  fs.mkdirSync(shims);
  for (const tool of ['cc', 'c++', 'gcc', 'g++', 'make', 'cmake', 'ld']) {
    fs.writeFileSync(path.join(shims, tool), `#!/bin/sh\necho "${tool} $*" >> "${marker}"\nexit 1\n`, { mode: 0o755 });
  }
  tgz = packClone();
  packed = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', tgz], { cwd: project, env, stdio: 'pipe' });
}, 600_000);

/**
 * `npm pack` in a copy of this checkout's files (tracked and new, not ignored: what a clone holds),
 * after the set-up command's untracked results are put back (node_modules linked, libtensorflow's
 * headers named). The copy keeps other tests, which load the addon from this tree, undisturbed
 * (building a prebuild wipes build/, packing rebuilds dist/). `npm run prebuild` in this tree (CI
 * runs it before the tests) is reused when prepack finds it built from these sources; otherwise
 * prepack builds one in the copy.
 */
function packClone(): string {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  for (const f of files.split('\0').filter(Boolean)) {
    const from = path.join(ROOT, f);
    if (!fs.existsSync(from)) continue; // deleted, not yet committed
    fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
    fs.copyFileSync(from, path.join(clone, f));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  if (fs.existsSync(path.join(ROOT, 'prebuilds')))
    fs.cpSync(path.join(ROOT, 'prebuilds'), path.join(clone, 'prebuilds'), { recursive: true });
  const out = execFileSync('npm', ['pack', '--pack-destination', work], {
    cwd: clone,
    encoding: 'utf8',
    env: packEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return path.join(work, out.trim().split('\n').pop()!);
}

describe('npm pack from a clean clone', () => {
  it('ships the prebuild, built from the packed native sources', async () => {
    expect(packed).toContain(PREBUILD);
    const { sourcesHash } = await import('../../scripts/prepack.mjs');
    const note = JSON.parse(fs.readFileSync(path.join(clone, 'prebuilds/linux-x64/sources.json'), 'utf8'));
    expect(note.sources).toBe(sourcesHash(clone));
    const shipped = execFileSync('tar', ['-xzOf', tgz, `package/${PREBUILD}`]);
    expect(createHash('sha256').update(shipped).digest('hex')).toBe(note.nodeSha256);
  });

  it("holds package.json's files and nothing a user does not need", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(clone, 'package.json'), 'utf8'));
    const entries: string[] = pkg.files.filter((e: string) => !e.startsWith('!'));
    for (const e of entries) {
      expect(
        e.endsWith('/') ? packed.some((f) => f.startsWith(e)) : packed.includes(e),
        `${e} (package.json files) is in the tarball`,
      ).toBe(true);
    }
    const listed = (f: string) => f === 'package.json' || entries.some((e) => (e.endsWith('/') ? f.startsWith(e) : f === e));
    expect(packed.filter((f) => !listed(f))).toEqual([]);
    const unwanted =
      /(^|\/)(test|tests|bench|examples|fixtures|gen-proto|scratch|lib|build|node_modules|\.libtensorflow)\/|\.(test|bench)\.|(?<!\.d)\.m?ts$|\.tgz$|(^|\/)sources\.json$/;
    expect(packed.filter((f) => unwanted.test(f))).toEqual([]);
    expect(packed.filter((f) => f.startsWith('scripts/')).sort()).toEqual([
      'scripts/libtensorflow.json',
      'scripts/setup-libtensorflow.mjs',
    ]);
    expect(packed.filter((f) => f.startsWith('prebuilds/'))).toEqual([PREBUILD]);
  });
});

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

  it("exports TF's message types at tf-monitored/proto, from require() and import()", () => {
    // A user decodes a RunMetadata, builds a Summary with plugin data, reads a ConfigProto.
    const script = `
      const proto = require('tf-monitored/proto');
      import('tf-monitored/proto').then((esm) => {
        const summary = esm.create(esm.SummarySchema, { value: [{ tag: 't', metadata: { pluginData: { pluginName: 'text' } } }] });
        const back = proto.fromBinary(proto.SummarySchema, esm.toBinary(esm.SummarySchema, summary));
        const config = proto.fromBinary(proto.ConfigProtoSchema, proto.toBinary(proto.ConfigProtoSchema, proto.create(proto.ConfigProtoSchema, { interOpParallelismThreads: 3 })));
        console.log(JSON.stringify({
          same: esm.SummarySchema === proto.SummarySchema,
          plugin: back.value[0].metadata.pluginData.pluginName,
          inter: config.interOpParallelismThreads,
          runMetadata: typeof proto.RunMetadataSchema.typeName,
        }));
      });`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: project, env, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ same: true, plugin: 'text', inter: 3, runMetadata: 'string' });
    expect(fs.existsSync(path.join(project, 'node_modules', 'tf-monitored', 'dist', 'esm', 'proto.d.mts'))).toBe(true);
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
    const { TF_LIBRARY_PATH: _lib, TF_MONITORED_CACHE_DIR: _cache, ...noLibrary } = env as Record<string, string | undefined>;
    // No Python TF to fall back on either: python3/python answer nothing.
    const noPython = path.join(work, 'no-python');
    fs.mkdirSync(noPython, { recursive: true });
    for (const exe of ['python3', 'python']) fs.writeFileSync(path.join(noPython, exe), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    const load = "console.log(require('tf-monitored').tfVersion(), require('tf-monitored').libraryPath())";
    const before = spawnSync(process.execPath, ['-e', load], {
      cwd: project,
      env: { ...noLibrary, PATH: `${noPython}:${noLibrary.PATH}` },
      encoding: 'utf8',
    });
    expect(before.status).not.toBe(0);
    expect(before.stderr).toContain('LibraryLoadError');
    expect(before.stderr).toContain('npx tf-monitored-setup');
    try {
      // The named command: the package's bin, run through its node_modules/.bin link.
      const setup = spawnSync('npx', ['--no-install', 'tf-monitored-setup'], {
        cwd: project,
        env: noLibrary,
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(setup.stderr).toMatch(/libtensorflow 2\.\d+\.\d+: \d+ files into .*node_modules\/tf-monitored\/\.libtensorflow/);
      expect(setup.status).toBe(0);
      const after = execFileSync(process.execPath, ['-e', load], {
        cwd: project,
        env: { ...noLibrary, PATH: `${noPython}:${noLibrary.PATH}` },
        encoding: 'utf8',
      })
        .trim()
        .split('\n')
        .pop()!
        .split(' ');
      expect(after[0]).toMatch(/^2\.\d+\.\d+$/);
      expect(after[1].startsWith(`${path.join(fs.realpathSync(installed), '.libtensorflow')}/`)).toBe(true);
    } finally {
      fs.rmSync(path.join(installed, '.libtensorflow'), { recursive: true, force: true }); // ~800 MB
    }
  }, 300_000);
});

// Last: these change the clone.
describe('prepack, when the prebuild cannot ship', () => {
  it('refuses a prebuild built from other native sources', () => {
    const header = path.join(clone, 'native', 'common.h');
    const original = fs.readFileSync(header);
    fs.appendFileSync(header, '\n// changed after the prebuild\n');
    try {
      const r = spawnSync(process.execPath, ['scripts/prepack.mjs', '--check'], { cwd: clone, env: packEnv, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('NOT PACKING');
      expect(r.stderr).toContain(`${PREBUILD} was built from other native sources than these`);
    } finally {
      fs.writeFileSync(header, original);
    }
  });

  it('fails `npm pack` loudly, writing no tarball, when the prebuild is missing and cannot be built', () => {
    fs.rmSync(path.join(clone, 'prebuilds'), { recursive: true });
    const dest = path.join(work, 'no-tarball');
    fs.mkdirSync(dest);
    // No TF headers: the build prepack starts fails at its first compile.
    const noHeaders = path.join(work, 'no-headers');
    fs.mkdirSync(noHeaders);
    const r = spawnSync('npm', ['pack', '--pack-destination', dest], {
      cwd: clone,
      env: { ...packEnv, TF_INCLUDE_DIR: noHeaders },
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('prebuilds/linux-x64/ holds no .node; building it (npm run prebuild)');
    expect(r.stderr).toContain('NOT PACKING');
    expect(fs.readdirSync(dest)).toEqual([]);
  }, 180_000);
});
