/**
 * Saver behaviour and misuse, Python's rules and messages (docs/python-parity.md §7.1, §7.4, §7.5, §7.8, §11):
 * building, file names, save/restore round trips for ref and resource variables, errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ArgumentError, InvalidArgumentError, NotFoundError, RuntimeError } from '../../lib/core/errors';
import { Graph } from '../../lib/core/graph';
import type { Session } from '../../lib/core/session';
import { Saver } from '../../lib/checkpoint/saver';
import { getCheckpointState } from '../../lib/checkpoint/checkpoint-state';
import { listVariables } from '../../lib/checkpoint/checkpoint-reader';
import { findVariables } from '../../lib/core/variables';
import { cleanupTmp, newSession, readSmall, setSmall, smallGraph, tmp } from './support';

const open: Session[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(cleanupTmp);

async function small(v = 3): Promise<{ graph: Graph; sess: Session }> {
  const graph = smallGraph();
  const sess = newSession(graph);
  open.push(sess);
  await setSmall(sess, v);
  return { graph, sess };
}

async function error(p: Promise<unknown> | (() => unknown)): Promise<Error & { param?: string; cause?: unknown }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

const MISSING =
  'Restoring from checkpoint failed. This is most likely due to a Variable name or other graph key that is missing from the checkpoint. Please ensure that you have not altered the graph expected based on the checkpoint. Original error:\n\n';
const MISMATCH =
  'Restoring from checkpoint failed. This is most likely due to a mismatch between the current graph and the graph from the checkpoint. Please ensure that you have not altered the graph expected based on the checkpoint. Original error:\n\n';

describe('Saver#save() and #restore()', () => {
  for (const sharded of [false, true]) {
    it(`round-trips ref and resource variables (sharded: ${sharded})`, async () => {
      const { graph, sess } = await small(4);
      const dir = tmp();
      const saver = new Saver({ graph, sharded });
      const prefix = await saver.save(sess, path.join(dir, 'model.ckpt'), { globalStep: 4 });
      expect(prefix).toBe(path.join(dir, 'model.ckpt-4'));
      expect(fs.readdirSync(dir).sort()).toEqual([
        'checkpoint',
        'model.ckpt-4.data-00000-of-00001',
        'model.ckpt-4.index',
        'model.ckpt-4.meta',
      ]);
      expect(listVariables(prefix!).map((v) => [v.name, v.dtype, v.shape])).toEqual([
        ['a', 'float32', [2]],
        ['r', 'float32', [3]],
        ['step', 'int64', []],
      ]);
      await setSmall(sess, -1);
      await saver.restore(sess, prefix);
      expect(await readSmall(sess)).toEqual({ a: [4, -4], step: 4n, r: [4, 5, 6] });
    });
  }

  it("builds Python's SaverDef (defaults: max_to_keep 5, 10000 h, V2, not sharded)", async () => {
    const { graph } = await small();
    expect(new Saver({ graph }).saverDef).toMatchObject({
      filenameTensorName: 'save/Const:0',
      saveTensorName: 'save/control_dependency:0',
      restoreOpName: 'save/restore_all',
      maxToKeep: 5,
      sharded: false,
      keepCheckpointEveryNHours: 10000,
      version: 2,
    });
    // A second saver in the same graph gets the next scope, as in Python.
    expect(new Saver({ graph, sharded: true, maxToKeep: null }).saverDef).toMatchObject({
      filenameTensorName: 'save_1/Const:0',
      saveTensorName: 'save_1/Identity:0',
      restoreOpName: 'save_1/restore_all',
      maxToKeep: 0,
      sharded: true,
    });
  });

  it('reads the global step from a number, a tensor, a ref variable or a resource variable; pads on request', async () => {
    const { graph, sess } = await small(9);
    const dir = tmp();
    const saver = new Saver({ graph, maxToKeep: null });
    const base = path.join(dir, 'm');
    expect(await saver.save(sess, base, { globalStep: 12n, writeMetaGraph: false })).toBe(`${base}-12`);
    expect(await saver.save(sess, base, { globalStep: 'step:0', writeMetaGraph: false })).toBe(`${base}-9`);
    expect(await saver.save(sess, base, { globalStep: 'step', writeMetaGraph: false })).toBe(`${base}-9`);
    expect(await saver.save(sess, base, { globalStep: graph.operation('step'), writeMetaGraph: false })).toBe(`${base}-9`);
    const padded = new Saver({ graph, padStepNumber: true });
    expect(await padded.save(sess, base, { globalStep: 7, writeMetaGraph: false })).toBe(`${base}-00000007`);

    const g2 = new Graph();
    g2.addOp({ type: 'VarHandleOp', name: 'global_step', attrs: { dtype: 'int64', shape: [], shared_name: 'global_step' } });
    g2.addOp({ type: 'ReadVariableOp', name: 'global_step/Read/ReadVariableOp', inputs: ['global_step'], attrs: { dtype: 'int64' } });
    const c = g2.addOp({ type: 'Const', name: 'c', attrs: { dtype: 'int64', value: 42n } });
    g2.addOp({ type: 'AssignVariableOp', name: 'init', inputs: ['global_step', c] });
    const s2 = newSession(g2);
    open.push(s2);
    await s2.run('init');
    expect(await new Saver({ graph: g2 }).save(s2, base, { globalStep: 'global_step', writeMetaGraph: false })).toBe(`${base}-42`);
    expect(await error(saver.save(sess, base, { globalStep: 1.5 }))).toMatchObject({ name: 'ArgumentError', param: 'globalStep' });
  });

  it('adds a read op for a resource variable that has none', async () => {
    const g = new Graph();
    g.addOp({ type: 'VarHandleOp', name: 'h', attrs: { dtype: 'float32', shape: [2], shared_name: 'h' } });
    expect(findVariables(g)[0].readTensor).toBeNull();
    const saver = new Saver({ graph: g });
    expect(g.operation('h/Read/ReadVariableOp').type).toBe('ReadVariableOp');
    expect(g.operation('save/SaveV2').inputs.map((o) => o.name)).toContain('h/Read/ReadVariableOp:0');
    expect(saver.saverDef!.restoreOpName).toBe('save/restore_all');
  });

  it('saves a var list under the names given, and restores into other variables', async () => {
    const { graph, sess } = await small(2);
    const dir = tmp();
    const prefix = await new Saver({ graph, varList: { first: 'a', second: graph.operation('r') } }).save(sess, path.join(dir, 'm'));
    expect(listVariables(prefix!).map((v) => v.name)).toEqual(['first', 'second']);
    const g2 = smallGraph();
    const s2 = newSession(g2);
    open.push(s2);
    await setSmall(s2, 0);
    await new Saver({ graph: g2, varList: { first: 'a', second: 'r/Read/ReadVariableOp:0' } }).restore(s2, prefix);
    expect(await readSmall(s2)).toEqual({ a: [2, -2], step: 0n, r: [2, 3, 4] });
  });

  it('restores values of another shape with the same size when reshape is set', async () => {
    const { graph, sess } = await small(1);
    const dir = tmp();
    const prefix = await new Saver({ graph, varList: ['a'] }).save(sess, path.join(dir, 'm'));
    const g2 = new Graph();
    g2.addOp({ type: 'VariableV2', name: 'a', attrs: { dtype: 'float32', shape: [2, 1] } });
    const s2 = newSession(g2);
    open.push(s2);
    expect(await error(new Saver({ graph: g2 }).restore(s2, prefix))).toBeInstanceOf(InvalidArgumentError);
    await new Saver({ graph: g2, reshape: true }).restore(s2, prefix);
    const t = (await s2.run('a:0'))!;
    expect(t.shape).toEqual([2, 1]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, -1]);
  });

  it('serializes concurrent saves of one Saver', async () => {
    const { graph, sess } = await small();
    const dir = tmp();
    const saver = new Saver({ graph, maxToKeep: 2 });
    const base = path.join(dir, 'm');
    await Promise.all([1, 2, 3, 4].map((s) => saver.save(sess, base, { globalStep: s })));
    expect(saver.lastCheckpoints).toEqual([`${base}-3`, `${base}-4`]);
    expect((await getCheckpointState(dir))!.allModelCheckpointPaths).toEqual([`${base}-3`, `${base}-4`]);
  });

  it("uses the savers collection of a graph (Saver.fromGraph), and Python's import scope rules (fromProto/toProto)", async () => {
    const { graph, sess } = await small(6);
    const built = new Saver({ graph });
    expect(Saver.fromGraph(graph)).toBeNull();
    graph.addToCollection('savers', built.saverDef);
    const fromGraph = Saver.fromGraph(graph)!;
    expect(fromGraph.saverDef).toEqual(built.saverDef);
    const dir = tmp();
    const prefix = await fromGraph.save(sess, path.join(dir, 'm'), { globalStep: 6 });
    await setSmall(sess, 0);
    await fromGraph.restore(sess, prefix);
    expect((await readSmall(sess)).step).toBe(6n);
    expect(built.toProto('save')).toMatchObject({
      filenameTensorName: 'Const:0',
      saveTensorName: 'control_dependency:0',
      restoreOpName: 'restore_all',
    });
    expect(built.toProto('other')).toBeNull();
    expect(Saver.fromProto(built.toProto('save')!, { importScope: 'imported' }).saverDef).toMatchObject({
      filenameTensorName: 'imported/Const:0',
      saveTensorName: 'imported/control_dependency:0',
      restoreOpName: 'imported/restore_all',
    });
    graph.addToCollection('savers', built.saverDef);
    expect(await error(() => Saver.fromGraph(graph))).toBeInstanceOf(RuntimeError);
  });
});

describe("Saver errors (Python's messages)", () => {
  it('no variables: ValueError "No variables to save"; allowEmpty: save returns null and writes only the .meta', async () => {
    const g = new Graph();
    g.addOp({ type: 'NoOp', name: 'nothing' });
    expect(await error(() => new Saver({ graph: g }))).toMatchObject({ name: 'ValueError', message: 'No variables to save' });
    const empty = new Saver({ graph: g, allowEmpty: true });
    const sess = newSession(g);
    open.push(sess);
    const dir = tmp();
    expect(await empty.save(sess, path.join(dir, 'm'), { globalStep: 1 })).toBeNull();
    expect(fs.readdirSync(dir)).toEqual(['m-1.meta']);
    await empty.restore(sess, null); // nothing happens
  });

  it('restore of null or of a path that is not a checkpoint: ValueError', async () => {
    const { graph, sess } = await small();
    const saver = new Saver({ graph });
    expect(await error(saver.restore(sess, null))).toMatchObject({ name: 'ValueError', message: "Can't load save_path when it is None." });
    const p = path.join(tmp(), 'nothing-here');
    expect(await error(saver.restore(sess, p))).toMatchObject({
      name: 'ValueError',
      message: `The passed save_path is not a valid checkpoint: ${p}`,
    });
  });

  it('a variable missing from the checkpoint: NotFoundError naming it, original error as cause', async () => {
    const { graph, sess } = await small();
    const prefix = await new Saver({ graph, varList: ['a', 'step'] }).save(sess, path.join(tmp(), 'm'));
    const e = await error(new Saver({ graph }).restore(sess, prefix));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe(`${MISSING}Key r not found in checkpoint ${prefix}`);
    expect(e.cause).toBeInstanceOf(NotFoundError);
    // Through a SaverDef only (Python's path exactly): TF's message, wrapped.
    const bare = new Saver({ graph, saverDef: new Saver({ graph }).saverDef! });
    const be = await error(bare.restore(sess, prefix));
    expect(be).toBeInstanceOf(NotFoundError);
    expect(be.message.startsWith(`${MISSING}Key r not found in checkpoint`)).toBe(true);
  });

  it('a shape or dtype mismatch: InvalidArgumentError naming the variable (ref and resource)', async () => {
    const { graph, sess } = await small();
    const prefix = await new Saver({ graph }).save(sess, path.join(tmp(), 'm'));
    for (const [type, name, attrs] of [
      ['VariableV2', 'a', { dtype: 'float32', shape: [3] }],
      ['VarHandleOp', 'r', { dtype: 'float32', shape: [2], shared_name: 'r' }],
      ['VariableV2', 'step', { dtype: 'int32', shape: [] }],
    ] as const) {
      const g = new Graph();
      g.addOp({ type, name, attrs });
      const s = newSession(g);
      open.push(s);
      const e = await error(new Saver({ graph: g }).restore(s, prefix));
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e.message.startsWith(MISMATCH)).toBe(true);
      expect(e.message).toContain(`'${name}'`);
    }
    // Through a SaverDef only: TF's Assign error, wrapped as Python does.
    const g = new Graph();
    g.addOp({ type: 'VariableV2', name: 'a', attrs: { dtype: 'float32', shape: [3] } });
    const s = newSession(g);
    open.push(s);
    const e = await error(new Saver({ graph: g, saverDef: new Saver({ graph: g, varList: ['a'] }).saverDef! }).restore(s, prefix));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.message.startsWith(`${MISMATCH}Assign requires shapes of both tensors to match. lhs shape= [3] rhs shape= [2]`)).toBe(true);
  });

  it('latest_filename rules: no path components; no collision with the save path', async () => {
    const { graph, sess } = await small();
    const saver = new Saver({ graph });
    const dir = tmp();
    expect(await error(saver.save(sess, path.join(dir, 'm'), { latestFilename: 'a/b' }))).toMatchObject({
      name: 'ValueError',
      message: "'latest_filename' must not contain path components",
    });
    const p = path.join(dir, 'checkpoint');
    expect(await error(saver.save(sess, p))).toMatchObject({
      name: 'ValueError',
      message: `'latest_filename' collides with 'save_path': 'checkpoint' and '${p}'`,
    });
  });

  it('a sharded save into a missing directory: ValueError (Python); unsharded, TF creates it (Python too)', async () => {
    const { graph, sess } = await small();
    const dir = tmp();
    const sharded = path.join(dir, 'nope', 'm');
    expect(await error(new Saver({ graph, sharded: true }).save(sess, sharded, { globalStep: 1 }))).toMatchObject({
      name: 'ValueError',
      message: `Parent directory of ${sharded} doesn't exist, can't save.`,
    });
    expect(await new Saver({ graph }).save(sess, path.join(dir, 'made', 'm'), { globalStep: 1 })).toBe(path.join(dir, 'made', 'm-1'));
  });

  it('var list problems: duplicates (ValueError), non-variables and bad values (ArgumentError naming the entry)', async () => {
    const { graph } = await small();
    expect(await error(() => new Saver({ graph, varList: ['a', 'a:0'] }))).toMatchObject({
      name: 'ValueError',
      message: 'At least two variables have the same name: a',
    });
    expect(await error(() => new Saver({ graph, varList: { x: 'a', y: 'a' } }))).toMatchObject({
      name: 'ValueError',
      message: 'The same saveable will be restored with two names: y',
    });
    expect(await error(() => new Saver({ graph, varList: ['neg'] }))).toMatchObject({ name: 'ArgumentError', param: 'varList[0]' });
    expect(await error(() => new Saver({ graph, varList: [42 as never] }))).toMatchObject({ name: 'ArgumentError', param: 'varList[0]' });
    expect(await error(() => new Saver({ graph, varList: ['nope'] }))).toBeInstanceOf(NotFoundError);
  });

  it('option problems: deferBuild with a var list, save before build, bad maxToKeep, V1', async () => {
    const { graph, sess } = await small();
    expect(await error(() => new Saver({ graph, varList: ['a'], deferBuild: true }))).toMatchObject({ name: 'ValueError' });
    const deferred = new Saver({ graph, deferBuild: true });
    expect(deferred.saverDef).toBeNull();
    expect(await error(deferred.save(sess, path.join(tmp(), 'm')))).toMatchObject({
      name: 'RuntimeError',
      message: '`build()` should be called before save if defer_build==True',
    });
    deferred.build();
    expect(deferred.saverDef!.restoreOpName).toMatch(/restore_all$/);
    expect(await error(() => new Saver({ graph, maxToKeep: -1 }))).toMatchObject({ param: 'maxToKeep' });
    expect(await error(() => new Saver({ graph, writeVersion: 1 }))).toMatchObject({ param: 'writeVersion' });
    expect(await error(() => new Saver({ saverDef: { saveTensorName: 'x:0' } }))).toMatchObject({ name: 'ValueError' });
    expect(await error(() => new Saver({}))).toBeInstanceOf(ArgumentError);
    expect(await error(new Saver({ graph }).save({} as never, 'x'))).toMatchObject({ param: 'session' });
  });

  it('a finalized graph cannot get saver ops (RuntimeError naming who finalized it)', async () => {
    const { graph } = await small();
    graph.finalize('test');
    expect(await error(() => new Saver({ graph }))).toBeInstanceOf(RuntimeError);
  });
});
