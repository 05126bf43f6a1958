/**
 * The `checkpoint` state file and checkpoint lookup (checkpoint-state.ts), against the rules and
 * exact strings of Python's checkpoint_management (docs/python-parity.md §7.6, §7.7, §7.7).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError, RuntimeError, ValueError } from '../../lib/core/errors';
import {
  checkpointExists,
  checkpointExistsSync,
  generateCheckpointStateProto,
  getCheckpointMtimes,
  getCheckpointState,
  getCheckpointStateSync,
  latestCheckpoint,
  latestCheckpointSync,
  metaGraphFilename,
  removeCheckpoint,
  updateCheckpointState,
  updateCheckpointStateSync,
} from '../../lib/checkpoint/checkpoint-state';
import { captureLogs } from '../../lib/core/logging';
import { cleanupTmp, tmp } from './support';

afterAll(cleanupTmp);

function touchCheckpoint(prefix: string, shards = 1): void {
  fs.writeFileSync(`${prefix}.index`, 'i');
  for (let i = 0; i < shards; i++)
    fs.writeFileSync(`${prefix}.data-${String(i).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}`, 'd');
  fs.writeFileSync(`${prefix}.meta`, 'm');
}

describe('updateCheckpointState()', () => {
  it("writes Python's text for an absolute directory (docs/python-parity.md §7.6)", async () => {
    const dir = tmp();
    const paths = [0, 2, 4, 6].map((s) => `${dir}/model.ckpt-${s}`);
    await updateCheckpointState(dir, paths[3], { allModelCheckpointPaths: paths });
    expect(fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8')).toBe(
      `model_checkpoint_path: "${dir}/model.ckpt-6"\n${paths.map((p) => `all_model_checkpoint_paths: "${p}"\n`).join('')}`,
    );
    expect(fs.readdirSync(dir)).toEqual(['checkpoint']); // no temp file left behind
  });

  it('stores paths relative to a relative directory (the exact bytes observed in Python)', () => {
    const root = tmp();
    const rel = path.relative(process.cwd(), path.join(root, 'rel', 'ckpt'));
    fs.mkdirSync(rel, { recursive: true });
    updateCheckpointStateSync(rel, `${rel}/model.ckpt-3`, { allModelCheckpointPaths: [`${rel}/model.ckpt-0`, `${rel}/model.ckpt-3`] });
    expect(fs.readFileSync(path.join(rel, 'checkpoint'), 'utf8')).toBe(
      'model_checkpoint_path: "model.ckpt-3"\nall_model_checkpoint_paths: "model.ckpt-0"\nall_model_checkpoint_paths: "model.ckpt-3"\n',
    );
    const state = getCheckpointStateSync(rel)!;
    expect(state.modelCheckpointPath).toBe(`${rel}/model.ckpt-3`);
    expect(state.allModelCheckpointPaths).toEqual([`${rel}/model.ckpt-0`, `${rel}/model.ckpt-3`]);
  });

  it('saveRelativePaths makes absolute paths relative to the directory', async () => {
    const dir = tmp();
    await updateCheckpointState(dir, `${dir}/model.ckpt-2`, {
      allModelCheckpointPaths: [`${dir}/model.ckpt-1`, `${dir}/model.ckpt-2`],
      saveRelativePaths: true,
    });
    expect(fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8')).toBe(
      'model_checkpoint_path: "model.ckpt-2"\nall_model_checkpoint_paths: "model.ckpt-1"\nall_model_checkpoint_paths: "model.ckpt-2"\n',
    );
    expect((await getCheckpointState(dir))!.allModelCheckpointPaths).toEqual([`${dir}/model.ckpt-1`, `${dir}/model.ckpt-2`]);
  });

  it('appends the model path when it is not the last entry (INFO log, as Python)', () => {
    const logs = captureLogs();
    let state;
    try {
      state = generateCheckpointStateProto('/d', '/d/m-2', ['/d/m-1']);
    } finally {
      logs.restore();
    }
    expect(state.allModelCheckpointPaths).toEqual(['/d/m-1', '/d/m-2']);
    expect(logs.messages(20)).toEqual(['/d/m-2 is not in all_model_checkpoint_paths. Manually adding it.']);
  });

  it("refuses a model path equal to the state file: RuntimeError with Python's message", async () => {
    const dir = tmp();
    const p = path.join(dir, 'checkpoint');
    await expect(updateCheckpointState(dir, p)).rejects.toThrow(RuntimeError);
    await expect(updateCheckpointState(dir, p)).rejects.toThrow(
      `Save path '${p}' conflicts with path used for checkpoint state.  Please use a different save path.`,
    );
  });

  it('uses latestFilename, and writes timestamps only when given', async () => {
    const dir = tmp();
    await updateCheckpointState(dir, `${dir}/m-1`, {
      latestFilename: 'other',
      allModelCheckpointTimestamps: [1.5],
      lastPreservedTimestamp: 0.25,
    });
    expect(fs.readFileSync(path.join(dir, 'other'), 'utf8')).toBe(
      `model_checkpoint_path: "${dir}/m-1"\nall_model_checkpoint_paths: "${dir}/m-1"\nall_model_checkpoint_timestamps: 1.5\nlast_preserved_timestamp: 0.25\n`,
    );
    expect(await getCheckpointState(dir)).toBeNull();
    expect((await getCheckpointState(dir, 'other'))!.allModelCheckpointTimestamps).toEqual([1.5]);
  });

  it('rejects timestamps that do not match the paths (ValueError)', () => {
    expect(() => generateCheckpointStateProto('/d', '/d/m-2', ['/d/m-1', '/d/m-2'], [1])).toThrow(ValueError);
  });
});

describe('getCheckpointState() / latestCheckpoint()', () => {
  it('is null without a state file, silently', async () => {
    const dir = tmp();
    const logs = captureLogs();
    try {
      expect(await getCheckpointState(dir)).toBeNull();
      expect(await latestCheckpoint(dir)).toBeNull();
      expect(latestCheckpointSync(path.join(dir, 'missing'))).toBeNull();
    } finally {
      logs.restore();
    }
    expect(logs.records).toEqual([]);
  });

  it('keeps absolute entries, joins relative ones onto the directory', async () => {
    const dir = tmp();
    fs.writeFileSync(
      path.join(dir, 'checkpoint'),
      `model_checkpoint_path: "m-2"\nall_model_checkpoint_paths: "/elsewhere/m-1"\nall_model_checkpoint_paths: "m-2"\n`,
    );
    const st = (await getCheckpointState(dir))!;
    expect(st.modelCheckpointPath).toBe(`${dir}/m-2`);
    expect(st.allModelCheckpointPaths).toEqual(['/elsewhere/m-1', `${dir}/m-2`]);
  });

  it('latestCheckpoint: the model path when its .index (V2) or the file itself (V1) exists', async () => {
    const dir = tmp();
    await updateCheckpointState(dir, `${dir}/m-3`);
    const logs = captureLogs();
    try {
      expect(await latestCheckpoint(dir)).toBeNull();
    } finally {
      logs.restore();
    }
    expect(logs.messages(40)).toEqual([`Couldn't match files for checkpoint ${dir}/m-3`]);
    touchCheckpoint(`${dir}/m-3`);
    expect(await latestCheckpoint(dir)).toBe(`${dir}/m-3`);
    fs.unlinkSync(`${dir}/m-3.index`);
    fs.writeFileSync(`${dir}/m-3`, 'v1');
    expect(latestCheckpointSync(dir)).toBe(`${dir}/m-3`);
  });

  it('rejects a non-string directory naming the parameter', async () => {
    const e = await getCheckpointState(42 as never).catch((x) => x);
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.param).toBe('checkpointDir');
  });
});

describe('checkpointExists() / getCheckpointMtimes() / removeCheckpoint() / metaGraphFilename()', () => {
  it('checkpointExists matches V2, V1 and glob prefixes', async () => {
    const dir = tmp();
    touchCheckpoint(`${dir}/model.ckpt-10`);
    expect(await checkpointExists(`${dir}/model.ckpt-10`)).toBe(true);
    expect(checkpointExistsSync(`${dir}/model.ckpt-1?`)).toBe(true);
    expect(await checkpointExists(`${dir}/model.ckpt-[0-9]*`)).toBe(true);
    expect(await checkpointExists(`${dir}/model.ckpt-11`)).toBe(false);
    expect(await checkpointExists(`${dir}/model.ckpt-10.data-00000-of-00001`)).toBe(true); // the file itself (V1 rule)
  });

  it('getCheckpointMtimes: seconds of the .index, skipping missing checkpoints', async () => {
    const dir = tmp();
    touchCheckpoint(`${dir}/a`);
    touchCheckpoint(`${dir}/c`);
    fs.utimesSync(`${dir}/a.index`, 1_600_000_000.5, 1_600_000_000.5);
    const m = await getCheckpointMtimes([`${dir}/a`, `${dir}/b`, `${dir}/c`]);
    expect(m.length).toBe(2);
    expect(m[0]).toBeCloseTo(1_600_000_000.5, 3);
    expect(Math.abs(m[1] - fs.statSync(`${dir}/c.index`).mtimeMs / 1000)).toBeLessThan(1e-3);
  });

  it('removeCheckpoint deletes .meta, .index and every data shard, and nothing else', async () => {
    const dir = tmp();
    touchCheckpoint(`${dir}/model.ckpt-1`, 2);
    touchCheckpoint(`${dir}/model.ckpt-10`);
    await removeCheckpoint(`${dir}/model.ckpt-1`);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.ckpt-10.data-00000-of-00001', 'model.ckpt-10.index', 'model.ckpt-10.meta']);
    await removeCheckpoint(`${dir}/model.ckpt-1`); // already gone: fine
  });

  it('metaGraphFilename strips a shard spec', () => {
    expect(metaGraphFilename('/d/model.ckpt-123456-?????-of-00005')).toBe('/d/model.ckpt-123456.meta');
    expect(metaGraphFilename('/d/model.ckpt-1-00001-of-00002', 'pb')).toBe('/d/model.ckpt-1.pb');
    expect(metaGraphFilename('model.ckpt-7')).toBe('model.ckpt-7.meta');
  });
});
