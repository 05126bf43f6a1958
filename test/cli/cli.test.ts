import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT, runTs } from '../support/child';
import { latestCheckpointSync } from '../../lib/checkpoint/checkpoint-state';
import { loadVariable } from '../../lib/checkpoint/checkpoint-reader';
import { buildProgram } from '../../lib/cli/main';
import { runInspect } from '../../lib/cli/inspect';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { Tensor } from '../../lib/core/tensor';

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
      const e = await program.parseAsync(['node', 'tf-monitored', 'train', '--graph', graph, flag, value]).then(
        () => null,
        (x) => x,
      );
      expect(e, `${flag} ${value}`).toBeInstanceOf(Error);
      expect(String(e.message)).toContain(message);
    }
  });
});

describe('tf-monitored inspect', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-cli-inspect-'));
  const prefix = path.join(dir, 'model.ckpt-1');

  // A checkpoint with the dtypes whose values need care: complex, float16, bfloat16 (TF's SaveV2).
  beforeAll(async () => {
    const vars: Array<[string, Tensor]> = [
      ['bf16', Tensor.from({ dtype: 'bfloat16', shape: [2], data: new Uint16Array([0x3f80, 0x4000]) })],
      ['c64', Tensor.from({ dtype: 'complex64', shape: [2], data: new Float32Array([1, 2, 3, -4]) })],
      ['f16', Tensor.from({ dtype: 'float16', shape: [3], data: new Uint16Array([0x3e00, 0x7e00, 0x7c00]) })],
      ['i64', Tensor.from([2n ** 62n, -1n], 'int64')],
      ['s', Tensor.from(['a"b'])],
    ];
    const g = new Graph();
    const inputs = vars.map(([name, t]) => g.addOp({ type: 'Placeholder', name: `in_${name}`, attrs: { dtype: t.dtype } }).name);
    const str = (name: string, value: string | string[]) =>
      g.addOp({ type: 'Const', name, attrs: { dtype: 'string', value: Tensor.from(value) } }).name;
    g.addOp({
      type: 'SaveV2',
      name: 'save',
      inputs: [
        str('prefix', prefix),
        str(
          'names',
          vars.map(([n]) => n),
        ),
        str(
          'slices',
          vars.map(() => ''),
        ),
        inputs,
      ],
      attrs: { dtypes: vars.map(([, t]) => t.dtype) },
    });
    const sess = new Session(g);
    await sess.run('save', Object.fromEntries(vars.map(([name, t]) => [`in_${name}:0`, t])));
    await sess.close();
  });

  async function inspect(arg: string, values = true): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => {
      out.push(s);
    });
    try {
      return { code: await runInspect(arg, { values }), out: out.join('\n') };
    } finally {
      log.mockRestore();
    }
  }

  it('prints complex as re±imj, float16/bfloat16 as numbers, NaN and Infinity as such', async () => {
    const r = await inspect(prefix);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      'bf16 (bfloat16) [2]',
      '  [1,2]',
      'c64 (complex64) [2]',
      '  [1+2j,3-4j]',
      'f16 (float16) [3]',
      '  [1.5,NaN,Infinity]',
      'i64 (int64) [2]',
      `  [${2n ** 62n},-1]`,
      's (string) [1]',
      '  ["a\\"b"]',
    ]);
  });

  it('takes the .index or .data file for its prefix, and fails clearly on a path that is no checkpoint', async () => {
    const whole = await inspect(prefix, false);
    expect(whole.out).toContain('c64 (complex64) [2]');
    expect(await inspect(`${prefix}.index`, false)).toEqual(whole);
    expect(await inspect(`${prefix}.data-00000-of-00001`, false)).toEqual(whole);
    const bogus = path.join(dir, 'notes.index');
    fs.writeFileSync(bogus, 'not a checkpoint');
    const r = runTs(cli, ['inspect', bogus]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(bogus);
  });
});

describe('tf-monitored inspect into a pipe that closes early', () => {
  // `inspect --values | head` crashed with an EPIPE stack trace once head had its lines.
  it('stops quietly when the reader goes away', () => {
    const ckpt = path.join(ROOT, 'test', 'fixtures', 'mlp_digits', 'ckpt');
    const r = spawnSync(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" --import tsx "${cli}" inspect --values "${ckpt}" | head -c 64 >/dev/null`],
      {
        cwd: ROOT,
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(r.status).toBe(0);
  });
});
