/**
 * What the package exports beyond the monitored session: the synchronous checkpoint-state
 * functions, removeCheckpoint, and Python's global_step(sess, t).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../lib';
import { ArgumentError } from '../../lib/core/errors';

describe('public surface', () => {
  it('exports the checkpoint-state functions in both forms, and removeCheckpoint', () => {
    for (const name of [
      'getCheckpointState',
      'getCheckpointStateSync',
      'latestCheckpoint',
      'latestCheckpointSync',
      'checkpointExists',
      'checkpointExistsSync',
      'updateCheckpointState',
      'updateCheckpointStateSync',
      'removeCheckpoint',
      'metaGraphFilename',
      'getCheckpointMtimes',
      'globalStep',
    ] as const) {
      // biome-ignore lint/performance/noDynamicNamespaceImportAccess: the test looks names up one by one
      expect(typeof api[name], name).toBe('function');
    }
  });

  it('the Sync state functions and removeCheckpoint work on a real state file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-surface-'));
    for (const f of ['model.ckpt-1.index', 'model.ckpt-1.data-00000-of-00001', 'model.ckpt-1.meta'])
      fs.writeFileSync(path.join(dir, f), 'x');
    api.updateCheckpointStateSync(dir, path.join(dir, 'model.ckpt-1'));
    expect(api.latestCheckpointSync(dir)).toBe(path.join(dir, 'model.ckpt-1'));
    expect(api.getCheckpointStateSync(dir)?.modelCheckpointPath).toBe(path.join(dir, 'model.ckpt-1'));
    expect(api.checkpointExistsSync(path.join(dir, 'model.ckpt-1'))).toBe(true);
    await api.removeCheckpoint(path.join(dir, 'model.ckpt-1'));
    expect(api.checkpointExistsSync(path.join(dir, 'model.ckpt-1'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'model.ckpt-1.meta'))).toBe(false);
  });

  it("globalStep(session, tensor) reads the global step as a number, as Python's global_step()", async () => {
    const graph = new api.Graph();
    const step = api.createGlobalStep(graph);
    const sess = new api.Session(graph);
    await sess.run(`${step.op.name}/Assign`); // its initializer, as Python names it
    expect(await api.globalStep(sess, step)).toBe(0);
    await expect(api.globalStep(null as never, step)).rejects.toThrow(ArgumentError);
    await sess.close();
  });
});
