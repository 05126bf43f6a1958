/**
 * The `.meta` a save writes: built from the graph's serialized GraphDef, kept while the graph is
 * unchanged (saves after the first do not turn the graph into bytes again), byte-identical to a
 * full export, and new again as soon as the graph changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Graph } from '../../lib/graph-io/graph';
import { exportMetaGraph, serializeMetaGraph } from '../../lib/graph-io/export';
import { Saver } from '../../lib/checkpoint/saver';
import { fixturePath } from '../fixtures/fixtures';
import { cleanupTmp, newSession, setSmall, smallGraph, tmp } from './support';

afterAll(cleanupTmp);

describe('the .meta written by a save', () => {
  it('is byte-identical to a full export of a graph loaded from a MetaGraphDef (collections, SaverDef)', async () => {
    const graph = await Graph.load(fixturePath('mlp_digits', 'model.meta'));
    const file = path.join(tmp(), 'full.meta');
    await exportMetaGraph(graph, { filename: file });
    expect(Buffer.from(serializeMetaGraph(graph)).equals(fs.readFileSync(file))).toBe(true);
    // And again from the cache.
    expect(Buffer.from(serializeMetaGraph(graph)).equals(fs.readFileSync(file))).toBe(true);
  });

  it('reuses the serialized GraphDef while the graph is unchanged, and writes a new one after a change', async () => {
    const graph = smallGraph();
    const sess = newSession(graph);
    await setSmall(sess, 1);
    const saver = new Saver({ graph, maxToKeep: null });
    const dir = tmp();
    const spy = vi.spyOn(graph, 'asGraphDef');
    const first = await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 1 });
    const second = await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 2 });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(fs.readFileSync(`${first}.meta`).equals(fs.readFileSync(`${second}.meta`))).toBe(true);

    graph.addOp({ type: 'Const', name: 'added_after_two_saves', attrs: { dtype: 'float32', value: 1 } });
    graph.addToCollection('my_collection', graph.operation('added_after_two_saves'));
    const third = await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 3 });
    expect(spy).toHaveBeenCalledTimes(2);
    const reloaded = await Graph.load(`${third}.meta`);
    expect(reloaded.hasOperation('added_after_two_saves')).toBe(true);
    expect(reloaded.getCollection('my_collection').map((o) => (o as { name: string }).name)).toEqual(['added_after_two_saves']);
    expect((await Graph.load(`${second}.meta`)).hasOperation('added_after_two_saves')).toBe(false);
    spy.mockRestore();
    await sess.close();
  });
});
