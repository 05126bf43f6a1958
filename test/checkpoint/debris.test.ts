/**
 * Issue 13, point 3, rule by rule (lib/checkpoint/saver/debris.ts): at the chief's start
 * (CheckpointSaverHook.begin) what killed saves leave is removed, and nothing else is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { updateCheckpointState } from '../../lib/checkpoint/checkpoint-state';
import { Saver } from '../../lib/checkpoint/saver';
import { removeSaveDebris } from '../../lib/checkpoint/saver/debris';
import { cleanupTmp, newSession, setSmall, smallGraph, tmp } from './support';

afterAll(cleanupTmp);

const HEX = '0123456789abcdef0123456789abcdef';

function touch(dir: string, name: string, data = 'x'): void {
  fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  fs.writeFileSync(path.join(dir, name), data);
}

function listing(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe("removeSaveDebris (the chief's start)", () => {
  it('removes temp files, temporary prefixes, TF tempstate files and _temp dirs of part files; keeps everything else', async () => {
    const dir = tmp('tfm-debris-');
    const debris = [
      `checkpoint.tmp${HEX}`,
      `graph.pbtxt.tmp${HEX}`,
      `model.ckpt-5.meta.tmp${HEX}`,
      `model.ckpt-5.tmp${HEX}.index`,
      `model.ckpt-5.tmp${HEX}.data-00000-of-00001`,
      `model.ckpt-5.tmp${HEX}.data-00000-of-00001.tempstate123`,
      `model.ckpt-5.tmp${HEX}_temp/part-00000-of-00001.data-00000-of-00001`,
      'model.ckpt-4.index.tempstate99',
      'model.ckpt-4.data-00000-of-00001.tempstate99',
      'model.ckpt-3_temp/part-00000-of-00001.index',
      'model.ckpt-3_temp/part-00000-of-00001.data-00000-of-00001.tempstate7',
    ];
    const kept = [
      'checkpoint',
      'graph.pbtxt',
      'events.out.tfevents.1.host',
      'model.ckpt-2.index',
      'model.ckpt-2.data-00000-of-00001',
      'model.ckpt-1.index',
      'model.ckpt-1.data-00000-of-00001', // not named by the state file: maybe a user's
      'notes.tmp',
      `notes.tmp${HEX.slice(1)}`,
      'mine_temp/part-00000-of-00001.index',
      'mine_temp/my-notes.txt',
      `sub/checkpoint.tmp${HEX}`,
    ];
    for (const n of [...debris, ...kept]) touch(dir, n);
    fs.mkdirSync(path.join(dir, 'model.ckpt-9_temp'));
    await updateCheckpointState(dir, path.join(dir, 'model.ckpt-2'));
    const before = listing(dir);
    await removeSaveDebris(dir);
    const gone = before.filter((n) => !listing(dir).includes(n));
    expect(gone.sort()).toEqual([...debris, `model.ckpt-5.tmp${HEX}_temp`, 'model.ckpt-3_temp', 'model.ckpt-9_temp'].sort());
  });

  it('finishes a deletion retention began (marker written, state file no longer naming it); only drops the marker when the state still names it', async () => {
    const dir = tmp('tfm-debris-');
    const graph = smallGraph();
    const sess = newSession(graph);
    const saver = new Saver({ graph, maxToKeep: 2 });
    const prefix = path.join(dir, 'model.ckpt');
    for (const s of [1, 2]) {
      await setSmall(sess, s);
      await saver.save(sess, prefix, { globalStep: s });
    }
    // As a kill right after the state write of save 3 leaves it: ckpt-1 dropped from the state, marked, not deleted.
    const one = fs.readdirSync(dir).filter((n) => n.startsWith('model.ckpt-1.'));
    touch(dir, 'model.ckpt-1.to-delete', JSON.stringify({ latestFilename: 'checkpoint', metaGraphSuffix: 'meta' }));
    touch(dir, 'model.ckpt-2.to-delete', JSON.stringify({ latestFilename: 'checkpoint', metaGraphSuffix: 'meta' }));
    await updateCheckpointState(dir, `${prefix}-2`, { allModelCheckpointPaths: [`${prefix}-2`] });
    await removeSaveDebris(dir);
    const names = fs.readdirSync(dir);
    expect(one).toEqual(['model.ckpt-1.data-00000-of-00001', 'model.ckpt-1.index', 'model.ckpt-1.meta']);
    expect(names.filter((n) => n.startsWith('model.ckpt-1'))).toEqual([]);
    expect(names.filter((n) => n.startsWith('model.ckpt-2')).sort()).toEqual([
      'model.ckpt-2.data-00000-of-00001',
      'model.ckpt-2.index',
      'model.ckpt-2.meta',
    ]);
    await sess.close();
  });

  it('a save that drops a checkpoint leaves no marker behind', async () => {
    const dir = tmp('tfm-debris-');
    const graph = smallGraph();
    const sess = newSession(graph);
    const saver = new Saver({ graph, maxToKeep: 1 });
    for (const s of [1, 2, 3]) {
      await setSmall(sess, s);
      await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: s });
    }
    expect(fs.readdirSync(dir).sort()).toEqual([
      'checkpoint',
      'model.ckpt-3.data-00000-of-00001',
      'model.ckpt-3.index',
      'model.ckpt-3.meta',
    ]);
    await sess.close();
  });
});
