/**
 * Smoke test of the benchmarks: `npm run bench`'s entry runs every bench/ script end to end with
 * tiny iteration counts and they print their tables. Never asserts a time.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-bench-'));
afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

function hasCompiler(): boolean {
  try {
    execFileSync(process.env.CC || 'cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('npm run bench (scripts/run-bench.mjs)', () => {
  it('runs every benchmark with tiny counts and prints the run-overhead table', async () => {
    const json = path.join(outDir, 'bench.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'scripts', 'run-bench.mjs'), '--iters', '50', '--repeats', '1', '--warmup', '5'],
      {
        cwd: root,
        env: { ...process.env, BENCH_OUT: outDir, BENCH_JSON: json },
        timeout: 110_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    expect(stdout).toContain('=== bench/run-overhead.ts');
    expect(stdout).toContain('done in');
    for (const title of ['train step', 'forward']) expect(stdout).toContain(`## ${title}`);
    for (const row of ['| raw C loop |', '| `runSync` |', '| `run`, each awaited |', '| `run`, 64 in flight (extra) |']) {
      expect(stdout).toContain(row);
    }
    expect(stdout).toContain('interOp −1 (inline)');
    expect(stdout).toMatch(/runSync vs raw C, train, default config: .*target ≤ 1\.3×/);
    // Every JS row is a number with its ratio (the table's shape, not the timings).
    expect(stdout).toMatch(/\| `runSync` \| [\d.]+ \| (?:[\d.]+×)? \| [\d.]+ \| (?:[\d.]+×)? \|/);
    if (hasCompiler()) {
      expect(stdout).toMatch(/\| raw C loop \| [\d.]+ \| 1\.00× \| [\d.]+ \| 1\.00× \|/);
      expect(stdout).toContain('library check: raw C loaded the same file');
      // Each target line comes with the floor under it: what the binding alone pays, and what the
      // target leaves above it (a µs figure, or how far over the floor already is).
      expect(stdout).toMatch(/\(floor: the addon's runSync alone, no TS wrapper, is [\d.]+× raw C; the target leaves (?:[\d.]+ µs|nothing \(the floor is [\d.]+ µs over\)) for the TS wrapper\)/);
      expect(stdout).toMatch(/floor, default config: `runSync` making the MTS step's own run, no wrappers or hooks, is [\d.]+× raw C \(the ≤ 1\.5× target leaves (?:[\d.]+ µs|nothing \(the floor is [\d.]+ µs over\)) for the wrapper chain and the hooks\)/);
    }
    // One JSON file per benchmark (bench.<name>.json) when several run; the plain name when one.
    const perBench = path.join(outDir, 'bench.run-overhead.json');
    const results = JSON.parse(fs.readFileSync(fs.existsSync(perBench) ? perBench : json, 'utf8'));
    expect(results.bench).toBe('run-overhead');
    expect(results.samples.train.inline.runSync).toHaveLength(1);
  });
});
