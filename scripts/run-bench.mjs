#!/usr/bin/env node
// `npm run bench`: runs every benchmark in bench/ (its *.ts and *.mjs files; not bench/lib/ or
// bench/out/), one after the other, each in its own process, so one benchmark's libtensorflow
// threads and heap never skew the next.
//
//   npm run bench                                  all, default sizes
//   npm run bench -- run-overhead                  only benchmarks whose file name contains a word
//   npm run bench -- --iters 200 --repeats 1       options go to every benchmark (bench/lib/options.ts)
//   npm run bench -- --json out/bench.json         one JSON file per benchmark: out/bench.<name>.json
//                                                  (the path as given when only one benchmark runs)
//
// The TypeScript benchmarks and lib/ are first compiled with tsc (bench/tsconfig.json, into
// bench/out/js/, incremental), then run with plain node: the JS that is timed is what tsc emits
// for users, not a dev loader's output (tsx/esbuild's keepNames wraps every closure in __name(),
// which doubles the cost of Session.runSync's TS part).
//
// Exits non-zero when a benchmark crashes. Benchmarks never fail on a timing target.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(root, 'bench');
const compiledDir = path.join(benchDir, 'out', 'js', 'bench');

const args = process.argv.slice(2);
const filters = [];
const passThrough = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a.startsWith('--')) {
    passThrough.push(a);
    // `--name value`: an option without '=' takes the next word as its value
    if (!a.includes('=') && i + 1 < args.length && !args[i + 1].startsWith('--')) passThrough.push(args[++i]);
  } else {
    filters.push(a);
  }
}

const benches = fs
  .readdirSync(benchDir)
  .filter((f) => /\.(ts|mjs)$/.test(f) && !f.endsWith('.d.ts'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

if (benches.length === 0) {
  console.error(`run-bench: no benchmark in bench/ matches ${filters.join(', ') || '(any)'}`);
  process.exit(1);
}

if (benches.some((f) => f.endsWith('.ts'))) {
  const t0 = Date.now();
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(benchDir, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
  // Type errors still emit JS (noEmitOnError is off): report them, run anyway.
  if (r.status !== 0) console.error(`run-bench: tsc reported problems (running the emitted JS anyway):\n${r.stdout}${r.stderr}`);
  console.error(`run-bench: compiled bench/ and lib/ with tsc in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

// TF reads this when it loads; each benchmark sets it too, this covers the children it spawns.
const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' };
// A JSON path (--json or BENCH_JSON) gets the benchmark's name when several write one.
const jsonFor = (p, file) => (benches.length > 1 ? p.replace(/(\.json)?$/, `.${file.replace(/\.(ts|mjs)$/, '')}$1`) : p);
const argsFor = (file) =>
  passThrough.map((a, i) => {
    if (passThrough[i - 1] === '--json') return jsonFor(a, file);
    return a.startsWith('--json=') ? `--json=${jsonFor(a.slice(7), file)}` : a;
  });
const envFor = (file) => (env.BENCH_JSON ? { ...env, BENCH_JSON: jsonFor(env.BENCH_JSON, file) } : env);

const failed = [];
for (const file of benches) {
  const entry = file.endsWith('.ts') ? path.join(compiledDir, file.replace(/\.ts$/, '.js')) : path.join(benchDir, file);
  const args = argsFor(file);
  console.log(`${`\n=== bench/${file} ${args.join(' ')}`.trimEnd()}\n`);
  const t0 = Date.now();
  const r = fs.existsSync(entry)
    ? spawnSync(process.execPath, [entry, ...args], { cwd: root, env: envFor(file), stdio: 'inherit' })
    : { status: null, error: new Error(`${path.relative(root, entry)} was not emitted`) };
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed.push(file);
    console.error(
      `\n=== bench/${file} FAILED (${r.error?.message ?? (r.signal ? `signal ${r.signal}` : `exit code ${r.status}`)}) after ${secs} s`,
    );
  } else {
    console.log(`\n=== bench/${file} done in ${secs} s`);
  }
}
if (failed.length) {
  console.error(`\nrun-bench: ${failed.length} of ${benches.length} benchmark(s) failed: ${failed.join(', ')}`);
  process.exit(1);
}
