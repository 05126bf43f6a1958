import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/child';

const script = path.join(ROOT, 'scripts', 'setup-libtensorflow.mjs');
const pin = JSON.parse(fs.readFileSync(path.join(ROOT, 'scripts', 'libtensorflow.json'), 'utf8'));

function setup(env: Record<string, string>, args: string[] = []) {
  return spawnSync(process.execPath, [script, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('scripts/setup-libtensorflow.mjs', () => {
  // `npm install` ran it already (README's first command), so the cache is complete here.
  const libDir = execFileSync(process.execPath, [script, '--print-lib'], { encoding: 'utf8' }).trim();

  it('extracted only the two libraries and the C headers of the pinned version', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(libDir, '..', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ pipPackage: pin.pipPackage, version: pin.version });
    expect(fs.readdirSync(libDir).sort()).toEqual(['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']);
    const headers = manifest.files.filter((f: string) => f.startsWith('include/'));
    expect(headers).toContain('include/tensorflow/c/c_api.h');
    expect(
      headers.every((f: string) =>
        /^include\/(tensorflow\/c\/|xla\/tsl\/c\/|tensorflow\/core\/platform\/ctstring|tsl\/platform\/ctstring)/.test(f),
      ),
    ).toBe(true);
  });

  it('does not fetch again when the cache is complete (works with no Python or pip at all)', () => {
    const r = setup({ PYTHON: '/nonexistent/python', PATH: '/nonexistent' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`libtensorflow ${pin.version} already in`);
    expect(r.stderr).not.toContain('pip download');
  });

  it('is skipped when TF_LIBRARY_PATH names a library', () => {
    const r = setup({ TF_LIBRARY_PATH: path.join(libDir, 'libtensorflow_cc.so.2'), PATH: '/nonexistent' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('TF_LIBRARY_PATH=');
    expect(r.stderr).toContain('nothing to fetch');
  });

  it('fails clearly when it must fetch and there is no pip', () => {
    const empty = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'tfm-cache-'));
    const r = setup({ TF_MONITORED_CACHE_DIR: empty, PYTHON: '/nonexistent/python', PATH: '/nonexistent' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no Python with pip found .* TF_LIBRARY_PATH/);
    expect(fs.readdirSync(empty)).toEqual([]);
  });
});
