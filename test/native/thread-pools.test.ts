/**
 * TF sizes its inter-op and intra-op thread pools once per process, from the first session that
 * builds them. Nothing the package opens for itself may be that first session: a user's
 * `config` thread counts hold whatever was opened before (Python's FileWriter opens no session).
 *
 * Counted in a fresh child process by thread name: TF names its inter-op threads `tf_Compute`;
 * the intra-op (Eigen) threads keep the name of the thread that made them (`node`); the addon's
 * own run pool is `tfm_run_pool`. Thread counts different from this machine's core count (3 and
 * 5) show that the config, not a default, sized the pools.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTs } from '../support/child';

const child = path.join(__dirname, 'children', 'thread-pools.ts');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-thread-pools-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

type Counts = Record<string, number>;

function run(mode: string, intra: number, inter: number): { before: Counts; after: Counts } {
  const dir = fs.mkdtempSync(path.join(root, `${mode}-`));
  const r = runTs(child, [mode, String(intra), String(inter), dir]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const interOpThreads = (c: Counts) => c.tf_Compute ?? 0;
const unnamedThreads = (c: Counts) => c.node ?? 0;

describe("TF's process-wide thread pools", () => {
  it("a session's config sizes them after a FileWriter, FileWriterCache, Saver and CheckpointReader were opened", () => {
    const { before, after } = run('helpers-first', 3, 5);
    expect(interOpThreads(before)).toBe(0);
    expect(interOpThreads(after)).toBe(5);
    expect(unnamedThreads(after) - unnamedThreads(before)).toBe(3);
  });

  it('a MonitoredTrainingSession with a checkpoint directory and summaries runs with the pools its config asks for', () => {
    const { before, after } = run('mts', 3, 5);
    expect(interOpThreads(before)).toBe(0);
    expect(interOpThreads(after)).toBe(5);
    expect(unnamedThreads(after) - unnamedThreads(before)).toBe(3);
  });
});
