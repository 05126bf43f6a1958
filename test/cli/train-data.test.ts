/**
 * `tf-monitored train --data file.npz --feed x:0=xs ...`: the linear fixture trained on batches of
 * a numpy-written .npz. One child run (the CLI as users run it); the --last-step race and the
 * flag errors in-process, through the same runTrain / commander program.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT, runTs } from '../support/child';
import { runPythonJSON } from '../support/python';
import { latestCheckpointSync } from '../../lib/checkpoint/checkpoint-state';
import { loadVariable } from '../../lib/checkpoint/checkpoint-reader';
import { buildProgram } from '../../lib/cli/main';
import { runTrain } from '../../lib/cli/train';

const cli = path.join(ROOT, 'lib', 'cli', 'main.ts');
const graph = path.join(ROOT, 'test', 'fixtures', 'linear', 'model.meta');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-cli-data-'));
const npz = path.join(dir, 'line.npz');

beforeAll(() => {
  // 7 examples of y = 2x + 1 (float32, as the fixture's placeholders), and a shorter array.
  runPythonJSON(
    `
    import sys, json
    import numpy as np
    x = np.linspace(-1, 1, 7).astype(np.float32)
    np.savez_compressed(sys.argv[1], xs=x, ys=2 * x + 1, short=np.zeros(3, np.float32))
    print(json.dumps(None))
  `,
    { args: [npz], preamble: false },
  );
});

async function quietly<T>(f: () => Promise<T>): Promise<{ value: T; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s: string) => {
    lines.push(String(s));
  });
  try {
    return { value: await f(), out: lines.join('\n') };
  } finally {
    log.mockRestore();
  }
}

describe('tf-monitored train --data', () => {
  it('trains one batch per run and stops at the end of the last epoch, with a checkpoint there', () => {
    const ckpt = path.join(dir, 'run');
    const r = runTs(cli, [
      'train',
      '--graph',
      graph,
      '--data',
      npz,
      '--feed',
      'x:0=xs',
      '--feed',
      'y:0=ys',
      '--batch-size',
      '3',
      '--epochs',
      '2',
      '--shuffle-seed',
      '4',
      '--checkpoint-dir',
      ckpt,
      '--quiet',
    ]);
    expect(r.status, r.stderr).toBe(0);
    // 7 examples in batches of 3: 3 batches an epoch (3, 3, 1), 2 epochs.
    expect(r.stdout).toContain(`data: 6 batches (batch size 3) from ${npz} (all 2 epochs)`);
    expect(r.stdout).toContain('stopped after 6 runs at global step 6 (hook-request)');
    expect(latestCheckpointSync(ckpt)).toBe(path.join(ckpt, 'model.ckpt-6'));
    expect(loadVariable(ckpt, 'global_step').scalar()).toBe(6n);
  });

  it('stops at --last-step when that comes first, and drops short batches with --drop-remainder', async () => {
    const args = {
      graph,
      master: '',
      data: npz,
      feed: ['x:0=xs', 'y:0=ys'],
      batchSize: 3,
      epochs: 5,
      quiet: true,
      saveCheckpointSecs: null,
      saveSummariesSteps: null,
      logStepCountSteps: null,
    };
    const first = await quietly(() => runTrain({ ...args, lastStep: 4 }));
    expect(first.value).toBe(0);
    expect(first.out).toContain('data: 4 batches (batch size 3)');
    expect(first.out).toContain('(stopped before the end of the data)');
    expect(first.out).toContain('stopped after 4 runs at global step 4 (hook-request)');
    const dropped = await quietly(() => runTrain({ ...args, epochs: 3, dropRemainder: true }));
    expect(dropped.out).toContain('data: 6 batches (batch size 3)');
    expect(dropped.out).toContain('stopped after 6 runs');
  });

  it('names the flag at fault', async () => {
    const base = { graph, master: '', quiet: true };
    await expect(runTrain({ ...base, data: npz, feed: ['x:0=images'], batchSize: 2 })).rejects.toThrow(
      `--feed x:0=images: ${npz} has no array 'images' (it has 'xs', 'ys', 'short')`,
    );
    await expect(runTrain({ ...base, data: npz, feed: ['x:0=xs', 'y:0=short'], batchSize: 2 })).rejects.toThrow(
      /first-axis length: xs has 7, short has 3/,
    );
    await expect(runTrain({ ...base, data: npz, feed: ['x:0'], batchSize: 2 })).rejects.toThrow(/--feed expects tensor=array/);
    await expect(runTrain({ ...base, data: npz, feed: ['x:0=xs'] })).rejects.toThrow(/--data needs --batch-size/);
    await expect(runTrain({ ...base, data: npz, batchSize: 2 })).rejects.toThrow(/--data needs at least one --feed/);
    await expect(runTrain({ ...base, batchSize: 2 })).rejects.toThrow(/--batch-size is for --data/);
    await expect(runTrain({ ...base, data: path.join(dir, 'feeds.json'), feed: ['x:0=xs'], batchSize: 2 })).rejects.toThrow(/feeds\.json/);
    // Commander: repeated --feed collects, --batch-size and --epochs are positive integers.
    const program = buildProgram().exitOverride();
    for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => {} });
    for (const [flag, value, message] of [
      ['--batch-size', '0', '--batch-size must be at least 1'],
      ['--epochs', 'two', '--epochs must be an integer'],
      ['--shuffle-seed', '-1', '--shuffle-seed must be at least 0'],
    ]) {
      const e = await program.parseAsync(['node', 'tf-monitored', 'train', '--graph', graph, flag, value]).then(
        () => null,
        (x) => x,
      );
      expect(String(e?.message)).toContain(message);
    }
  });
});
