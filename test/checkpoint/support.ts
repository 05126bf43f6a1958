/**
 * Helpers shared by the checkpoint tests: fixture graphs, fixture SaverDefs, temp dirs, and a tiny
 * graph with ref and resource variables built with the op builder.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { GraphDefSchema } from '../../lib/proto/gen/tensorflow/core/framework/graph_pb';
import { SaverDef_CheckpointFormatVersion } from '../../lib/proto/gen/tensorflow/core/protobuf/saver_pb';
import { fixturePath, type Expected, type FixtureName, type VariableInfo } from '../fixtures/fixtures';

export const SESSION_CONFIG = { intraOpParallelismThreads: 1, interOpParallelismThreads: 1 };

const dirs: string[] = [];

/** A fresh temp dir, removed by {@link cleanupTmp}. */
export function tmp(prefix = 'tfm-ckpt-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function cleanupTmp(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The fixture's graph.pb imported into a new Graph; devices cleared on request (Python's clear_devices). */
export function fixtureGraph(name: FixtureName, opts: { clearDevices?: boolean } = {}): Graph {
  let bytes: Uint8Array = readFileSync(fixturePath(name, 'graph.pb'));
  if (opts.clearDevices) {
    const gd = fromBinary(GraphDefSchema, bytes);
    for (const n of gd.node) n.device = '';
    bytes = toBinary(GraphDefSchema, gd);
  }
  return Graph.fromGraphDefBytes(bytes);
}

/** The SaverDef recorded in expected.json, as a plain init object for `new Saver({ saverDef })`. */
export function fixtureSaverDef(ex: Expected): Record<string, unknown> {
  const d = ex.saver_def;
  return {
    filenameTensorName: d.filename_tensor_name,
    saveTensorName: d.save_tensor_name,
    restoreOpName: d.restore_op_name,
    maxToKeep: d.max_to_keep,
    sharded: d.sharded,
    keepCheckpointEveryNHours: d.keep_checkpoint_every_n_hours,
    version: SaverDef_CheckpointFormatVersion[d.version as 'V2'],
  };
}

/** The tensor that reads a fixture variable's value (the variable for ref, the read op for resource). */
export function readTensorOf(v: VariableInfo): string {
  return v.is_resource ? v.snapshot_name : `${v.name}:0`;
}

export function newSession(graph: Graph, config: Record<string, unknown> = SESSION_CONFIG): Session {
  return new Session(graph, { config });
}

/**
 * A graph with ref variables `a` (float32 [2]) and `step` (int64 scalar) and a resource variable `r`
 * (float32 [3]), each with an initializer, plus `set` ops that write values derived from the fed
 * `v:0` (float32 scalar): a = [v, -v], step = int64(v), r = [v, v+1, v+2].
 */
export function smallGraph(opts: { devices?: { a?: string; step?: string; r?: string } } = {}): Graph {
  const g = new Graph();
  const dev = opts.devices ?? {};
  g.addOp({ type: 'VariableV2', name: 'a', device: dev.a, attrs: { dtype: 'float32', shape: [2] } });
  g.addOp({ type: 'VariableV2', name: 'step', device: dev.step, attrs: { dtype: 'int64', shape: [] } });
  g.addOp({ type: 'VarHandleOp', name: 'r', device: dev.r, attrs: { dtype: 'float32', shape: [3], shared_name: 'r' } });
  g.addOp({ type: 'ReadVariableOp', name: 'r/Read/ReadVariableOp', device: dev.r, inputs: ['r'], attrs: { dtype: 'float32' } });
  const v = g.addOp({ type: 'Placeholder', name: 'v', attrs: { dtype: 'float32', shape: [] } });
  const neg = g.addOp({ type: 'Neg', name: 'neg', inputs: [v] });
  const pack = g.addOp({ type: 'Pack', name: 'pack_a', inputs: [[v, neg]], attrs: { axis: 0 } });
  const setA = g.addOp({ type: 'Assign', name: 'a/set', device: dev.a, inputs: ['a', pack] });
  const cast = g.addOp({ type: 'Cast', name: 'cast_step', inputs: [v], attrs: { DstT: 'int64' } });
  const setStep = g.addOp({ type: 'Assign', name: 'step/set', device: dev.step, inputs: ['step', cast] });
  const one = g.addOp({ type: 'Const', name: 'one', attrs: { dtype: 'float32', value: 1 } });
  const two = g.addOp({ type: 'Const', name: 'two', attrs: { dtype: 'float32', value: 2 } });
  const v1 = g.addOp({ type: 'AddV2', name: 'v1', inputs: [v, one] });
  const v2 = g.addOp({ type: 'AddV2', name: 'v2', inputs: [v, two] });
  const packR = g.addOp({ type: 'Pack', name: 'pack_r', inputs: [[v, v1, v2]], attrs: { axis: 0 } });
  const setR = g.addOp({ type: 'AssignVariableOp', name: 'r/set', device: dev.r, inputs: ['r', packR] });
  g.addOp({ type: 'NoOp', name: 'set', controlInputs: [setA, setStep, setR] });
  return g;
}

/** Sets the small graph's variables from `v`. */
export async function setSmall(sess: Session, v: number): Promise<void> {
  await sess.run('set', { 'v:0': v });
}

/** Reads the small graph's variables. */
export async function readSmall(sess: Session): Promise<{ a: number[]; step: bigint; r: number[] }> {
  const out = await sess.run({ a: 'a:0', step: 'step:0', r: 'r/Read/ReadVariableOp:0' });
  return {
    a: Array.from(out.a!.data as Float32Array),
    step: (out.step!.data as BigInt64Array)[0],
    r: Array.from(out.r!.data as Float32Array),
  };
}
