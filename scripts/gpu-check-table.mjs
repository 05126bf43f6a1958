#!/usr/bin/env node
// The one table scripts/gpu-check.sh ends with, from the files it wrote into the folder given:
// info.json (`tf-monitored info --json`), tests.json (vitest's JSON reporter), bench.json
// (bench/gpu-mlp.ts). Exits 1 unless every check passed: a CUDA build, a GPU, its CUDA libraries
// found, every GPU test run and passed (none skipped), the MLP timed on both devices.
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const read = (f) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  } catch {
    return null;
  }
};
const info = read('info.json');
const tests = read('tests.json');
const bench = read('bench.json');
const rows = [];
const row = (check, ok, result) => rows.push({ check, ok, result });

const gpus = info?.devices?.filter((d) => d.type === 'GPU') ?? [];
const cuda = info?.cudaLibraries;
row('libtensorflow', !!info, info ? `${info.version} from ${info.path}` : 'tf-monitored info failed');
row(
  'CUDA build',
  info?.build?.cuda === true,
  info
    ? [
        info.build.cuda ? 'yes' : 'no',
        info.build.cudaVersion && `CUDA ${info.build.cudaVersion}`,
        info.build.cudnnVersion && `cuDNN ${info.build.cudnnVersion}`,
      ]
        .filter(Boolean)
        .join(', ')
    : '',
);
row(
  'CUDA libraries',
  !!cuda && cuda.missing.length === 0 && cuda.found.every((f) => !f.error),
  cuda
    ? `${cuda.found.filter((f) => !f.error).length} opened from ${cuda.searched.join(', ')}; missing: ${cuda.missing.join(', ') || 'none'}`
    : 'none opened',
);
row('GPU devices', gpus.length > 0, gpus.map((g) => `${g.name} ${(g.memoryBytes / 2 ** 30).toFixed(1)} GiB`).join(', ') || 'none');
const t = tests
  ? { passed: tests.numPassedTests, failed: tests.numFailedTests, skipped: tests.numPendingTests + (tests.numTodoTests ?? 0) }
  : null;
row(
  'GPU tests (test/gpu/gpu.test.ts)',
  !!t && t.failed === 0 && t.skipped === 0 && t.passed > 0,
  t ? `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped` : 'did not run',
);
const ms = (k) => (Array.isArray(bench?.samples?.[k]) ? Math.min(...bench.samples[k]) / 1000 : null);
const cpu = ms('cpu');
const gpu = ms('gpu');
row('MLP step, CPU', cpu !== null, cpu !== null ? `${cpu.toFixed(2)} ms` : String(bench?.samples?.cpu ?? 'not measured'));
row(
  'MLP step, GPU',
  gpu !== null,
  gpu !== null
    ? `${gpu.toFixed(2)} ms (${(cpu / gpu).toFixed(1)}× the CPU's speed); ${bench.placement[0]}`
    : String(bench?.samples?.gpu ?? 'not measured'),
);

console.log('\n| check | ok | result |\n| :-- | :-: | :-- |');
for (const r of rows) console.log(`| ${r.check} | ${r.ok ? 'yes' : 'NO'} | ${r.result} |`);
const bad = rows.filter((r) => !r.ok).length;
console.log(bad ? `\ngpu-check: ${bad} check(s) failed` : '\ngpu-check: all checks passed');
process.exit(bad ? 1 : 0);
