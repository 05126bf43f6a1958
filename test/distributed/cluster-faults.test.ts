/**
 * Faults survived by an all-Node cluster (2 ps tasks, worker 0 as chief, worker 1), each task a
 * `tf-monitored` process from TF_CONFIG: one task is SIGKILLed mid-training at a seeded random
 * moment (a seeded step, then a seeded delay) and restarted after a seeded random downtime, and
 * training still finishes.
 *
 * The suite runs each fault once (seed FAULT_SEED, default 15); scripts/soak-cluster-faults.mjs
 * runs FAULT_REPEATS=3 of each with other seeds and prints the figures.
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { latestCheckpointSync } from '../../lib/checkpoint/checkpoint-state';
import { type Cluster, type Task, feedsFile, killAll, localCluster, psTask, seeded, tmpDir, trainTask } from './support/tasks';

const REPEATS = Number(process.env.FAULT_REPEATS ?? 1);
const SEED = Number(process.env.FAULT_SEED ?? 15);
const LAST_STEP = 150;

afterEach(() => killAll());
afterAll(() => killAll());

const ckptStep = (dir: string) => Number(/model\.ckpt-(\d+)$/.exec(latestCheckpointSync(dir) ?? '')?.[1] ?? -1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Steps a task printed after `from` characters of its output. */
const stepsSince = (t: Task, from: number) => [...t.out.slice(from).matchAll(/^step (\d+)/gm)].map((m) => Number(m[1]));

type Victim = 'ps' | 'chief' | 'worker';

async function survive(victim: Victim, seed: number) {
  const rand = seeded(seed);
  const started = Date.now();
  const cluster: Cluster = await localCluster(2);
  const dir = tmpDir('tfm-fault-');
  const ckpt = path.join(dir, 'ckpt');
  const feeds = feedsFile(dir);
  const ps = await Promise.all([psTask(cluster, 0), psTask(cluster, 1)]);
  // A restarted worker must find training still going to show that it rejoins: then the chief
  // trains until told to stop (SIGTERM), and the restarted worker trains a number of steps.
  const chiefFlags = { lastStep: victim === 'worker' ? 1_000_000 : LAST_STEP, checkpointDir: ckpt, saveSteps: 20, logEvery: 5 };
  const workerFlags = { lastStep: LAST_STEP, logEvery: 5 };
  const startChief = () => trainTask('chief', cluster, 'worker', 0, feeds, chiefFlags);
  const startWorker = () => trainTask('worker', cluster, 'worker', 1, feeds, workerFlags);
  let chief = startChief();
  let worker = startWorker();
  await chief.waitFor(/^step \d+/m, 90_000, 'the chief to train its first steps');
  await worker.waitFor(/^step \d+/m, 90_000, 'the worker to train its first steps');

  // The kill lands mid-training: once a seeded step is printed, after a seeded delay under 300 ms
  // (a delay in seconds from the start could land after the last step on a fast machine).
  const killStep = Math.round(30 + rand() * 60);
  const delayMs = Math.round(rand() * 300);
  const downMs = Math.round(300 + rand() * 1500);
  const psIndex = rand() < 0.5 ? 0 : 1;
  const printed = () => Math.max(0, ...chief.steps(), ...worker.steps());
  for (const deadline = Date.now() + 90_000; printed() < killStep; await sleep(10)) {
    if (Date.now() > deadline) throw new Error(`timed out after 90 s waiting for step ${killStep} (printed: ${printed()})`);
    if (chief.exit || worker.exit)
      throw new Error(`a trainer exited before step ${killStep}:\n${chief.out.slice(-500)}\n${worker.out.slice(-500)}`);
  }
  await sleep(delayMs);
  const target = victim === 'ps' ? ps[psIndex] : victim === 'chief' ? chief : worker;
  const savedAtKill = ckptStep(ckpt);
  const chiefFrom = chief.out.length;
  const chiefErrFrom = chief.err.length;
  const workerFrom = worker.out.length;
  const stepAtKill = Math.max(...chief.steps(), ...worker.steps());
  target.kill('SIGKILL');
  await target.exitCode(10_000, `${target.name} to die of SIGKILL`);
  await sleep(downMs);
  let restarted: Task;
  if (victim === 'ps') restarted = ps[psIndex] = await psTask(cluster, psIndex);
  else if (victim === 'chief') restarted = chief = startChief();
  else restarted = worker = trainTask('worker', cluster, 'worker', 1, feeds, { numSteps: 40, logEvery: 5 });

  if (victim === 'worker') {
    await worker.succeeds(120_000, 'the restarted worker to rejoin, train 40 steps and exit 0');
    chief.kill('SIGTERM');
  }
  await chief.succeeds(120_000, `the chief to finish training after the ${victim} came back`);
  await worker.succeeds(120_000, `the worker to finish training after the ${victim} came back`);
  const after = [...stepsSince(chief, chief === restarted ? 0 : chiefFrom), ...stepsSince(worker, worker === restarted ? 0 : workerFrom)];
  const restoredFrom = [
    ...chief.err.slice(victim === 'chief' ? 0 : chiefErrFrom).matchAll(/Restoring parameters from \S*model\.ckpt-(\d+)/g),
  ].map((m) => Number(m[1]));
  const figures = {
    victim,
    seed,
    killStep,
    restoredFrom,
    secs: Math.round((Date.now() - started) / 1000),
    delayMs,
    downMs,
    psIndex,
    stepAtKill,
    savedAtKill,
    minStepAfter: Math.min(...after),
    final: ckptStep(ckpt),
  };
  console.log(`FAULT ${JSON.stringify(figures)}`);

  // Training went on after the task came back, and finished.
  expect(after.length).toBeGreaterThan(0);
  expect(figures.final).toBeGreaterThanOrEqual(victim === 'worker' ? Math.max(...worker.steps()) : LAST_STEP);
  // Never back to 0, never below what was saved before the fault (the ps restart and the chief
  // restart restore the latest checkpoint; the worker restart touches nothing).
  expect(savedAtKill).toBeGreaterThanOrEqual(0);
  expect(figures.minStepAfter).toBeGreaterThanOrEqual(savedAtKill);
  // The ps and chief faults: the chief restored the checkpoint that was the latest at the kill
  // (a restarted ps lost its variables; a restarted chief restores first, as Python's).
  if (victim !== 'worker') {
    const restores = [
      ...chief.err.slice(victim === 'chief' ? 0 : chiefErrFrom).matchAll(/Restoring parameters from \S*model\.ckpt-(\d+)/g),
    ].map((m) => Number(m[1]));
    // A save under way at the kill may land just after it: no older than the latest at the kill.
    expect(restores.length, chief.err.slice(-3000)).toBeGreaterThan(0);
    expect(Math.min(...restores)).toBeGreaterThanOrEqual(savedAtKill);
  }
  if (victim === 'worker') {
    expect(worker.steps().length).toBeGreaterThan(0); // it rejoined and trained
    expect(chief.out).toMatch(/\(signal\)/);
  }
  if (victim !== 'worker') expect(restarted.exit === null || restarted.exit.code === 0).toBe(true);
  ps.forEach((p) => p.kill('SIGKILL'));
  return figures;
}

describe('a cluster survives a task SIGKILLed mid-training and restarted', () => {
  for (const victim of ['ps', 'chief', 'worker'] as const) {
    for (let r = 0; r < REPEATS; r++) {
      it(`${victim} (seed ${SEED + r})`, async () => {
        await survive(victim, SEED + r);
      }, 300_000);
    }
  }
});
