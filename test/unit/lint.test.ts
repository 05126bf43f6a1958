/**
 * Lint and format, in npm test: biome (biome.json) over the TypeScript and scripts, clang-format
 * (.clang-format) over native/. Each check is shown to catch a deliberate fault in a scratch copy.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/child';

const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
const run = (cmd: string, args: string[], cwd = ROOT) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
};
const nativeFiles = () =>
  fs
    .readdirSync(path.join(ROOT, 'native'))
    .filter((f) => /\.(cc|h)$/.test(f))
    .map((f) => path.join('native', f));

describe('lint and format', () => {
  it('biome finds nothing to lint or reformat in lib, test, bench, examples and scripts', () => {
    const r = run(bin('biome'), ['ci', '--max-diagnostics=50']);
    expect(r.output).not.toMatch(/Found \d+ (error|warning)/);
    expect(r.status, r.output).toBe(0);
  });

  it('native/ is formatted as .clang-format says', () => {
    const r = run(bin('clang-format'), ['--style=file', '--dry-run', '--Werror', ...nativeFiles()]);
    expect(r.status, r.output).toBe(0);
  });

  it('each check fails on a deliberate fault (lint, TypeScript format, C++ format)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-lint-'));
    fs.copyFileSync(path.join(ROOT, 'biome.json'), path.join(dir, 'biome.json'));
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'lib', 'bad.ts'), 'export function f(x: any) {\n  return x == 1;\n}\n');
    const lint = run(bin('biome'), ['ci', '--config-path', dir, 'lib'], dir);
    expect(lint.status).not.toBe(0);
    expect(lint.output).toMatch(/noExplicitAny|noDoubleEquals/);
    fs.writeFileSync(path.join(dir, 'lib', 'bad.ts'), 'export const a = {b:1}\n');
    const format = run(bin('biome'), ['ci', '--config-path', dir, 'lib'], dir);
    expect(format.status).not.toBe(0);
    expect(format.output).toMatch(/format/i);
    fs.copyFileSync(path.join(ROOT, '.clang-format'), path.join(dir, '.clang-format'));
    fs.writeFileSync(path.join(dir, 'bad.cc'), 'int  f( int x ){return x;}\n');
    expect(run(bin('clang-format'), ['--style=file', '--dry-run', '--Werror', 'bad.cc'], dir).status).not.toBe(0);
  });
});
