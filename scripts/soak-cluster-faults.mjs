#!/usr/bin/env node
// Repeats each fault of test/distributed/cluster-faults.test.ts (ps, chief, worker SIGKILLed
// mid-training and restarted) FAULT_REPEATS times (default 3) with seeds from FAULT_SEED (default
// 100), then prints one line of figures per run. The suite runs one seeded instance of each; this
// is the longer run, opt-in: `node scripts/soak-cluster-faults.mjs [repeats] [seed]`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repeats = process.argv[2] ?? process.env.FAULT_REPEATS ?? '3';
const seed = process.argv[3] ?? process.env.FAULT_SEED ?? '100';
const t0 = Date.now();
const r = spawnSync('npx', ['vitest', 'run', 'test/distributed/cluster-faults.test.ts'], {
  cwd: root,
  env: { ...process.env, FAULT_REPEATS: repeats, FAULT_SEED: seed },
  encoding: 'utf8',
  maxBuffer: 64 << 20,
});
const out = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
const runs = [...out.matchAll(/FAULT (\{.*\})$/gm)].map((m) => JSON.parse(m[1]));
console.log('victim  seed  killStep  delayMs  downMs  ps  stepAtKill  savedAtKill  restoredFrom  minStepAfter  final  secs');
for (const f of runs) {
  console.log(
    [
      f.victim.padEnd(6),
      String(f.seed).padStart(4),
      String(f.killStep).padStart(8),
      String(f.delayMs).padStart(7),
      String(f.downMs).padStart(7),
      String(f.victim === 'ps' ? f.psIndex : '-').padStart(3),
      String(f.stepAtKill).padStart(11),
      String(f.savedAtKill).padStart(12),
      String(f.restoredFrom.join(',') || '-').padStart(12),
      String(f.minStepAfter).padStart(13),
      String(f.final).padStart(6),
      String(f.secs ?? '').padStart(5),
    ].join('  '),
  );
}
const summary = /Tests\s+.*$/m.exec(out)?.[0] ?? '(no vitest summary)';
console.log(`${runs.length} runs of ${3 * Number(repeats)} expected; ${summary}; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (r.status !== 0) {
  console.log(
    out
      .split('\n')
      .filter((l) => /FAIL|Error|timed out|expected/.test(l))
      .slice(0, 60)
      .join('\n'),
  );
}
process.exit(r.status ?? 1);
