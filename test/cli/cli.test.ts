import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runTs } from '../support/child';
import { latestCheckpointSync } from '../../lib/train/checkpoint-state';
import { loadVariable } from '../../lib/train/checkpoint-reader';
import { buildProgram } from '../../lib/cli/main';

const cli = path.join(ROOT, 'lib', 'cli', 'main.ts');
const graph = path.join(ROOT, 'test', 'fixtures', 'linear', 'model.meta');
const feeds = path.join(ROOT, 'examples', 'linear', 'feeds.json');

describe('tf-monitored train (the README main job)', () => {
  it('trains the linear fixture with checkpoints, then resumes where it stopped', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-cli-'));
    const first = runTs(cli, ['train', '--graph', graph, '--feeds', feeds, '--checkpoint-dir', dir, '--last-step', '30', '--quiet']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('stopped after 30 runs at global step 30 (hook-request)');
    expect(latestCheckpointSync(dir)).toBe(path.join(dir, 'model.ckpt-30'));
    expect(fs.existsSync(path.join(dir, 'graph.pbtxt'))).toBe(true);
    expect(fs.readdirSync(dir).some((f) => f.startsWith('events.out.tfevents.'))).toBe(true);

    const second = runTs(cli, ['train', '--graph', graph, '--feeds', feeds, '--checkpoint-dir', dir, '--last-step', '45', '--quiet']);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('stopped after 15 runs at global step 45');
    expect(loadVariable(dir, 'global_step').scalar()).toBe(45n);

    const inspect = runTs(cli, ['inspect', dir]);
    expect(inspect.stdout).toMatch(/^global_step \(int64\) \[\]$/m);
    expect(inspect.stdout).toMatch(/^w \(float32\) \[\]$/m);
  });

  it('reports bad arguments by name and exits non-zero', () => {
    const badFeeds = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-cli-')), 'feeds.json');
    fs.writeFileSync(badFeeds, '{ not json');
    const r = runTs(cli, ['train', '--graph', graph, '--feeds', badFeeds]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`--feeds ${badFeeds}:`);
    const r2 = runTs(cli, ['train', '--graph', graph, '--last-step', 'ten']);
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toContain('--last-step must be an integer');
    const r3 = runTs(cli, ['train', '--graph', '/nonexistent/model.meta']);
    expect(r3.status).toBe(1);
    expect(r3.stderr).toContain('/nonexistent/model.meta');
  });

  // In-process: parsing fails before anything runs. Number() took '' as 0 and '0x10' as 16.
  it('takes step counts in decimal only, and no negative stop step', async () => {
    for (const [flag, value, message] of [
      ['--save-summaries-steps', '', '--save-summaries-steps must be an integer'],
      ['--log-step-count-steps', '0x10', '--log-step-count-steps must be an integer'],
      ['--save-checkpoint-steps', '1e3', '--save-checkpoint-steps must be an integer'],
      ['--last-step', '-5', '--last-step must be at least 0'],
      ['--num-steps', '-1', '--num-steps must be at least 0'],
    ]) {
      const program = buildProgram().exitOverride();
      for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => {} });
      const e = await program.parseAsync(['node', 'tf-monitored', 'train', '--graph', graph, flag, value]).then(() => null, (x) => x);
      expect(e, `${flag} ${value}`).toBeInstanceOf(Error);
      expect(String(e.message)).toContain(message);
    }
  });
});
