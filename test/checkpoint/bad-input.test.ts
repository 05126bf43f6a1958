/**
 * Issue 4, point 6: bad input on disk. Restoring from a truncated `.index`, a checkpoint missing a
 * `.data` shard or with a truncated one; a state file with garbage; saving into a directory that
 * cannot be written. Each gives a typed error naming the file, and nothing already on disk is lost
 * (every file that was there before is still there, byte for byte, and the older checkpoint still
 * restores).
 *
 * Unwritable directories, when the tests run as root (root ignores permission bits):
 * - `/sys`: sysfs refuses new files to everyone, root included (EACCES/EPERM);
 * - a path below a regular file (ENOTDIR for everyone);
 * - a target path occupied by a directory (the new `.index`, or the `checkpoint` state file).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DataLossError,
  FailedPreconditionError,
  NotFoundError,
  OutOfRangeError,
  PermissionDeniedError,
  TFError,
  ValueError,
} from '../../lib/core/errors';
import { Saver } from '../../lib/checkpoint/saver';
import { CheckpointReader, listVariables, loadVariable } from '../../lib/checkpoint/checkpoint-reader';
import { getCheckpointState, latestCheckpoint } from '../../lib/checkpoint/checkpoint-state';
import { captureLogs } from '../../lib/core/logging';
import { cleanupTmp, newSession, readSmall, setSmall, smallGraph, tmp } from './support';
import { catchError } from '../support/errors';

afterAll(cleanupTmp);

/** Every file below `dir` with its bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Every file of `before` is still in `after` with the same bytes. */
function expectNothingLost(before: Map<string, Buffer>, after: Map<string, Buffer>): void {
  for (const [f, bytes] of before) {
    expect(after.has(f), `${f} is gone`).toBe(true);
    expect(after.get(f)!.equals(bytes), `${f} changed`).toBe(true);
  }
}

interface Setup {
  dir: string;
  prefix: string;
  saver: Saver;
  sess: ReturnType<typeof newSession>;
}

async function savedCheckpoint(
  opts: { sharded?: boolean; devices?: Record<string, string>; config?: Record<string, unknown> } = {},
): Promise<Setup> {
  const dir = tmp('tfm-bad-');
  const graph = smallGraph({ devices: opts.devices });
  const sess = newSession(graph, opts.config);
  await setSmall(sess, 5);
  const saver = new Saver({ graph, sharded: opts.sharded });
  const prefix = (await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 5 }))!;
  await setSmall(sess, 0);
  return { dir, prefix, saver, sess };
}

const sessions: Array<{ close(): Promise<void> }> = [];
beforeEach(async () => {
  for (const s of sessions.splice(0)) await s.close();
});

describe('restoring damaged checkpoints', () => {
  it('a truncated .index: DataLossError naming the .index, from restore and from the reader', async () => {
    const { dir, prefix, saver, sess } = await savedCheckpoint();
    sessions.push(sess);
    const index = `${prefix}.index`;
    const full = fs.readFileSync(index);
    fs.writeFileSync(index, full.subarray(0, full.length >> 1));
    const before = snapshot(dir);
    const e = await catchError(saver.restore(sess, prefix));
    expect(e).toBeInstanceOf(DataLossError);
    expect(e.message).toContain(index);
    expect(e.message).toMatch(/sstable/);
    for (const f of [() => new CheckpointReader(prefix), () => listVariables(dir), () => loadVariable(prefix, 'a')]) {
      const re = await catchError(f);
      expect(re).toBeInstanceOf(DataLossError);
      expect(re.message).toContain(index);
    }
    // Through a SaverDef (no pre-check): TF's error from the restore op, made to name the checkpoint.
    const bare = new Saver({ graph: sess.graph, saverDef: saver.saverDef! });
    const be = await catchError(bare.restore(sess, prefix));
    expect(be).toBeInstanceOf(DataLossError);
    expect(be.message).toContain(prefix);
    expectNothingLost(before, snapshot(dir));
  });

  it('a missing .data shard: NotFoundError naming the missing file', async () => {
    const { dir, prefix, saver, sess } = await savedCheckpoint({
      sharded: true,
      devices: { a: '/cpu:0', step: '/cpu:0', r: '/cpu:1' },
      config: { deviceCount: { CPU: 2 } },
    });
    sessions.push(sess);
    const shard = `${prefix}.data-00001-of-00002`;
    fs.unlinkSync(shard);
    const before = snapshot(dir);
    const e = await catchError(saver.restore(sess, prefix));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toContain(shard);
    // Python's wrapper for a graph-only SaverDef keeps TF's message (naming the file) as the original.
    const bare = new Saver({ graph: sess.graph, saverDef: saver.saverDef! });
    const be = await catchError(bare.restore(sess, prefix));
    expect(be).toBeInstanceOf(NotFoundError);
    expect(be.message).toMatch(
      /^Restoring from checkpoint failed\. This is most likely due to a Variable name or other graph key that is missing from the checkpoint\./,
    );
    expect(be.message).toContain(shard);
    expect((be as Error & { cause?: unknown }).cause).toBeInstanceOf(NotFoundError);
    expectNothingLost(before, snapshot(dir));
  });

  it('a truncated .data shard: DataLossError naming the checkpoint (not OutOfRangeError)', async () => {
    const { dir, prefix, saver, sess } = await savedCheckpoint();
    sessions.push(sess);
    const data = `${prefix}.data-00000-of-00001`;
    fs.writeFileSync(data, fs.readFileSync(data).subarray(0, 3));
    const before = snapshot(dir);
    const e = await catchError(saver.restore(sess, prefix));
    expect(e).toBeInstanceOf(DataLossError);
    expect(e).not.toBeInstanceOf(OutOfRangeError);
    expect(e.message).toContain(prefix);
    const re = await catchError(() => loadVariable(prefix, 'a'));
    expect(re).toBeInstanceOf(DataLossError);
    expect(re.message).toContain(prefix);
    expectNothingLost(before, snapshot(dir));
  });
});

describe('damaged state files', () => {
  it('garbage: ignored with a warning naming the file (Python), and a later save replaces it', async () => {
    const { dir, prefix, saver, sess } = await savedCheckpoint();
    sessions.push(sess);
    const file = path.join(dir, 'checkpoint');
    fs.writeFileSync(file, 'garbage\u0000\u00ff{{{');
    const before = snapshot(dir);
    const logs = captureLogs();
    try {
      expect(await getCheckpointState(dir)).toBeNull();
      expect(await latestCheckpoint(dir)).toBeNull();
    } finally {
      logs.restore();
    }
    const warnings = logs.messages(30);
    expect(warnings[0]).toMatch(/^ParseError: 1:1 : /);
    expect(warnings[1]).toBe(`${file}: Checkpoint ignored`);
    expectNothingLost(before, snapshot(dir));
    // The checkpoint itself is intact and restores.
    await saver.restore(sess, prefix);
    expect((await readSmall(sess)).step).toBe(5n);
    // Saving rewrites the state file (as Python does); the older checkpoint's files stay.
    const next = await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 6 });
    expect((await getCheckpointState(dir))!.modelCheckpointPath).toBe(next);
    for (const f of [...before.keys()].filter((f) => f !== 'checkpoint')) expect(fs.existsSync(path.join(dir, f))).toBe(true);
  });

  it('a state without model_checkpoint_path: ValueError "Invalid checkpoint state loaded from DIR"', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'checkpoint'), 'all_model_checkpoint_paths: "model.ckpt-1"\n');
    const e = await catchError(getCheckpointState(dir));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toBe(`Invalid checkpoint state loaded from ${dir}`);
  });

  it('a state naming deleted files: latestCheckpoint is null (ERROR log), restore says "not a valid checkpoint"', async () => {
    const { dir, prefix, saver, sess } = await savedCheckpoint();
    sessions.push(sess);
    for (const f of fs.readdirSync(dir)) if (f.startsWith('model.ckpt-5')) fs.unlinkSync(path.join(dir, f));
    const logs = captureLogs();
    try {
      expect(await latestCheckpoint(dir)).toBeNull();
    } finally {
      logs.restore();
    }
    expect(logs.messages(40)).toEqual([`Couldn't match files for checkpoint ${prefix}`]);
    const state = await getCheckpointState(dir);
    const e = await catchError(saver.restore(sess, state!.modelCheckpointPath));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toBe(`The passed save_path is not a valid checkpoint: ${prefix}`);
  });

  it('an unreadable state file (a directory): ignored with a warning naming it', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'checkpoint'));
    const logs = captureLogs();
    try {
      expect(await getCheckpointState(dir)).toBeNull();
    } finally {
      logs.restore();
    }
    expect(logs.messages(30)).toEqual([
      `FailedPreconditionError: ${path.join(dir, 'checkpoint')}; Is a directory`,
      `${path.join(dir, 'checkpoint')}: Checkpoint ignored`,
    ]);
  });
});

describe('saving where files cannot be written', () => {
  const sysRefuses = (() => {
    try {
      fs.writeFileSync('/sys/tfm-probe', '');
      fs.unlinkSync('/sys/tfm-probe');
      return false;
    } catch {
      return fs.existsSync('/sys');
    }
  })();

  it.skipIf(!sysRefuses)('into /sys (refused even to root): PermissionDeniedError naming the file', async () => {
    const graph = smallGraph();
    const sess = newSession(graph);
    sessions.push(sess);
    await setSmall(sess, 1);
    for (const sharded of [false, true]) {
      const e = await catchError(new Saver({ graph, sharded }).save(sess, '/sys/model.ckpt', { globalStep: 1 }));
      expect(e).toBeInstanceOf(PermissionDeniedError);
      expect(e.message).toMatch(/\/sys\/model\.ckpt-1/);
    }
    expect(fs.readdirSync('/sys').some((f) => f.startsWith('model.ckpt'))).toBe(false);
  });

  it('below a regular file: ValueError "Parent directory of P doesn\'t exist, can\'t save." (Python), cause names the path', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'file'), 'keep me');
    const graph = smallGraph();
    const sess = newSession(graph);
    sessions.push(sess);
    await setSmall(sess, 1);
    const before = snapshot(dir);
    const savePath = path.join(dir, 'file', 'sub', 'model.ckpt');
    for (const sharded of [false, true]) {
      const e = await catchError(new Saver({ graph, sharded }).save(sess, savePath, { globalStep: 1 }));
      expect(e).toBeInstanceOf(ValueError);
      expect(e.message).toBe(`Parent directory of ${savePath} doesn't exist, can't save.`);
      const cause = (e as Error & { cause?: Error }).cause!;
      expect(cause).toBeInstanceOf(TFError);
      expect(cause.message).toContain(path.join(dir, 'file'));
    }
    expectNothingLost(before, snapshot(dir));
    expect([...snapshot(dir).keys()]).toEqual(['file']);
  });

  it('a new checkpoint whose .index cannot be written: typed error naming it; the state and the older checkpoint are untouched', async () => {
    const { dir, prefix, saver, sess } = await savedCheckpoint();
    sessions.push(sess);
    const blocked = path.join(dir, 'model.ckpt-6.index');
    fs.mkdirSync(blocked);
    const before = snapshot(dir);
    await setSmall(sess, 6);
    const e = await catchError(saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 6 }));
    expect(e).toBeInstanceOf(TFError);
    expect(e.message).toContain(blocked);
    expectNothingLost(before, snapshot(dir));
    expect((await getCheckpointState(dir))!.allModelCheckpointPaths).toEqual([prefix]);
    expect(await latestCheckpoint(dir)).toBe(prefix);
    await saver.restore(sess, prefix);
    expect((await readSmall(sess)).step).toBe(5n);
  });

  it('a state file path occupied by a directory: FailedPreconditionError naming it, no temp file left', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'checkpoint'));
    const graph = smallGraph();
    const sess = newSession(graph);
    sessions.push(sess);
    await setSmall(sess, 2);
    const e = await catchError(new Saver({ graph }).save(sess, path.join(dir, 'model.ckpt'), { globalStep: 2 }));
    expect(e).toBeInstanceOf(FailedPreconditionError);
    expect(e.message).toBe(`${path.join(dir, 'checkpoint')}; Is a directory`);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    // The checkpoint data itself was written before the state update (Python's order), and the
    // checkpoint the state would have named is complete (its .meta is written before the state).
    expect(fs.existsSync(path.join(dir, 'model.ckpt-2.index'))).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual([
      'checkpoint',
      'model.ckpt-2.data-00000-of-00001',
      'model.ckpt-2.index',
      'model.ckpt-2.meta',
    ]);
  });
});
