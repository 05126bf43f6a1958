import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runTs } from '../support/child';
import { libraryPath, loadLibtensorflow, tfVersion } from '../../lib/native';

const child = path.join(__dirname, 'children', 'load-library.ts');
const libDir = execFileSync(process.execPath, [path.join(ROOT, 'scripts/setup-libtensorflow.mjs'), '--print-lib'], {
  encoding: 'utf8',
}).trim();

function load(env: Record<string, string | undefined>, arg?: string) {
  const r = runTs(child, arg ? [arg] : [], env);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('loadLibtensorflow()', () => {
  it('exposes the version and the real path of the loaded library', () => {
    loadLibtensorflow();
    expect(tfVersion()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'scripts/libtensorflow.json'), 'utf8')).version);
    expect(libraryPath()).toBe(fs.realpathSync(path.join(libDir, 'libtensorflow_cc.so.2')));
  });

  it('takes TF_LIBRARY_PATH as a folder', () => {
    const r = load({ TF_LIBRARY_PATH: libDir });
    expect(r).toMatchObject({ ok: true, path: fs.realpathSync(path.join(libDir, 'libtensorflow_cc.so.2')) });
  });

  it('rejects a library that is not libtensorflow with a typed error, and the process survives', () => {
    const libz = ['/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1'].find((p) => fs.existsSync(p))!;
    const r = load({ TF_LIBRARY_PATH: libz });
    expect(r.ok).toBe(false);
    expect(r.name).toBe('LibraryLoadError');
    expect(r.message).toContain('is not a usable libtensorflow: it does not export TF_Version');
    expect(r.message).toContain('TF_LIBRARY_PATH');
  });

  it('rejects a file that is not a shared library at all', () => {
    const junk = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-junk-')), 'libtensorflow_cc.so.2');
    fs.writeFileSync(junk, 'not an ELF file');
    const r = load({}, junk);
    expect(r.ok).toBe(false);
    expect(r.candidates).toEqual([{ path: junk, reason: expect.stringMatching(/cannot open .*(invalid ELF header|file too short)/) }]);
  });

  it('lists every candidate with its reason when nothing loads', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-empty-'));
    const r = load({ TF_MONITORED_CACHE_DIR: empty, PYTHON: '/nonexistent/python', PATH: '/nonexistent' });
    expect(r.ok).toBe(false);
    expect(r.message).toContain('could not load libtensorflow. Tried, in order');
    const origins = r.candidates.map((c: { reason: string }) => c.reason).join('\n');
    expect(origins).toContain('package cache');
    expect(origins).toContain('system library path');
    expect(r.message).toMatch(/Fix: run/);
  });

  it('never picks a library from a world-writable folder unless named explicitly', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-ww-'));
    const dir = path.join(
      base,
      `tensorflow-cpu-${JSON.parse(fs.readFileSync(path.join(ROOT, 'scripts/libtensorflow.json'), 'utf8')).version}`,
      'lib',
    );
    fs.mkdirSync(dir, { recursive: true });
    // Hard links (not symlinks, which resolve back to the safe folder): the library's real path
    // is then inside the world-writable folder, without copying 800 MB.
    for (const f of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) fs.linkSync(path.join(libDir, f), path.join(dir, f));
    fs.chmodSync(dir, 0o777);
    const r = load({ TF_MONITORED_CACHE_DIR: base, PYTHON: '/nonexistent/python', PATH: '/nonexistent' });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r.candidates)).toContain('world-writable');
    // Named explicitly, the same folder is used.
    expect(load({ TF_LIBRARY_PATH: dir }).ok).toBe(true);
  });
});
