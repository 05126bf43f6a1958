/**
 * Smoke test of the benchmarks: `npm run bench`'s entry runs every bench/ script end to end with
 * tiny counts (one run or step per measurement, one repeat, one warm-up) and they print their
 * tables and target lines. Never asserts a time: only the tables' shape and that each target line
 * ends in a verdict. Most of its time is Python importing TF (one process per Python-using bench).
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
  it('runs every benchmark with tiny counts and prints their tables and verdicts', async () => {
    const json = path.join(outDir, 'bench.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, 'scripts', 'run-bench.mjs'), '--iters', '1', '--repeats', '1', '--warmup', '1'],
      {
        cwd: root,
        env: { ...process.env, BENCH_OUT: outDir, BENCH_JSON: json },
        timeout: 880_000,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    // Without Python TF the Python-built models are not measured (and say so).
    const python = !stdout.includes('not measured: the models are built by bench/tf1_bench.py');
    const verdict = '(?:met|NOT met|not measured)';
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
      expect(stdout).toMatch(
        /\(floor: the addon's runSync alone, no TS wrapper, is [\d.]+× raw C; the target leaves (?:[\d.]+ µs|nothing \(the floor is [\d.]+ µs over\)) for the TS wrapper\)/,
      );
      expect(stdout).toMatch(
        /floor, default config: `runSync` making the MTS step's own run, no wrappers or hooks, is [\d.]+× raw C making that run \(the ≤ 2× target leaves (?:[\d.]+ µs|nothing \(the floor is [\d.]+ µs over\)) for the wrapper chain and the hooks\)/,
      );
      expect(stdout).toMatch(/floor, interOp −1 \(inline\): .* \(the ≤ 1\.5× target leaves /);
    }

    // mts-step: the MTS rows in each run mode, the default mode's verdicts.
    expect(stdout).toMatch(/\| MTS, default hooks, default mode [^|]*\| [\d.]+ \|/);
    expect(stdout).toMatch(/\| MTS, default hooks, (?:runMode 'async'|`syncRuns: false` \(async\)) \| [\d.]+ \|/);
    expect(stdout).toMatch(/\| MTS, default hooks, (?:runMode 'sync'|`syncRuns: true` \(sync\)) \| [\d.]+ \|/);
    expect(stdout).toMatch(
      new RegExp(`MTS default mode .* vs raw C making the same run as the step, default config: .*target ≤ 2×\\) — ${verdict}`),
    );
    expect(stdout).toMatch(
      new RegExp(
        `MTS default mode .* vs raw C making the same run as the step, interOp −1 \\(inline\\): .*target ≤ 1\\.5×\\) — ${verdict}`,
      ),
    );
    expect(stdout).toMatch(new RegExp(`MTS default mode .* speed-up over Python MTS, default config: .*target ≥ 4×\\)? — ${verdict}`));

    // big-tensor: every row with a time and a peak RSS; the three verdicts.
    expect(stdout).toContain('=== bench/big-tensor.ts');
    expect(stdout).toMatch(/\| `runSync`, feed in JS memory \(copied in and out\) \| [\d.]+ \|.*\| \d+ \(median \d+\) \|/);
    expect(stdout).toMatch(/\| awaited `run`, `Tensor.alloc` feed, output disposed \(zero-copy both ways\) \| [\d.]+ \|/);
    expect(stdout).toMatch(new RegExp(`64 MiB, copied feed \\(runSync\\) vs raw C copying in and out: .*target ≤ 1\\.2×\\) — ${verdict}`));
    expect(stdout).toMatch(
      new RegExp(`64 MiB, zero-copy feed and output \\(awaited run\\) vs raw C in place: .*target ≤ 1\\.05×\\) — ${verdict}`),
    );
    if (hasCompiler()) expect(stdout).toMatch(/\| raw C, feed made once, output read in place \| [\d.]+ \|/);

    // event-loop: p50/p99/max per mode (the tiny step always; the MLP with Python), the verdicts.
    expect(stdout).toMatch(/\| tiny \| default mode [^|]*\| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    expect(stdout).toMatch(/\| tiny \| idle /);
    expect(stdout).toMatch(new RegExp(`event loop, tiny, default mode: .*target ≤ 20 ms\\) — ${verdict}`));
    expect(stdout).toMatch(new RegExp(`event loop, tiny, 'async' mode: .*target ≤ 5 ms\\) — ${verdict}`));

    if (python) {
      // model-step: every row of both models, the default mode's verdict per model.
      for (const row of [
        'raw C loop',
        'Python `Session.run`',
        'Python MTS, default hooks',
        '`runSync`',
        'MTS, default hooks, default mode',
      ]) {
        expect(stdout).toMatch(new RegExp(`\\| ${row.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}[^|]*\\| (?:[\\d.]+|no build) \\|`));
      }
      for (const model of ['mlp', 'cnn'])
        expect(stdout).toMatch(new RegExp(`MTS step, default mode, vs raw C, ${model}: .*target ≤ 1\\.05×\\) — ${verdict}`));
      expect(stdout).toMatch(new RegExp(`event loop, mlp, default mode: .*— ${verdict}`));
      // saver: ours vs Python for each row, the six verdicts, the .meta files both sides wrote.
      const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\~]/g, '\\$&');
      for (const what of [
        '100 MB save',
        '100 MB restore',
        'save with a ~1 MB .meta (many ops)',
        'checkpoint step with a ~1 MB .meta (many ops)',
        'save with a ~1 MB .meta (one big Const)',
        'checkpoint step with a ~1 MB .meta (one big Const)',
      ]) {
        expect(stdout).toMatch(new RegExp(`\\| ${esc(what)} \\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+× \\|`));
        expect(stdout).toMatch(new RegExp(`${esc(what)}, ours vs Python: .*target ≤ 1\\.1×\\) — ${verdict}`));
      }
      expect(stdout).toMatch(
        /newest \.meta written by the save rows: bigmeta: ours model-\d+\.meta \d+ KiB, Python model-\d+\.meta \d+ KiB/,
      );
    } else {
      expect(stdout).toContain('not measured: the models are built by bench/tf1_bench.py');
    }
    expect(stdout).not.toContain('FAILED');
    // One JSON file per benchmark (bench.<name>.json) when several run; the plain name when one.
    const perBench = path.join(outDir, 'bench.run-overhead.json');
    const results = JSON.parse(fs.readFileSync(fs.existsSync(perBench) ? perBench : json, 'utf8'));
    expect(results.bench).toBe('run-overhead');
    expect(results.samples.train.inline.runSync).toHaveLength(1);
  }, 900_000);
});
