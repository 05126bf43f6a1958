/**
 * The model of the restart tests: the global step and variables `v<i>_<name>` (float32 [4096],
 * in the `variables` collection) that `train` increments with the global step, so that every
 * element equals the step; `min` / `max` read the extremes over all of them. Long names make the
 * `.index` large.
 */
import { Graph } from '../../lib/core/graph';
import { getOrCreateGlobalStep } from '../../lib/core/global-step';

const SIZE = 4096;

/** Distinct, deterministic, and without a common prefix (the index would compress it). */
function variableName(i: number, nameLength: number): string {
  let s = `v${i}_`;
  let x = (i + 1) * 2654435761;
  while (s.length < nameLength) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += 'abcdefghijklmnopqrstuvwxyz0123456789'[x % 36];
  }
  return s;
}

export function model(vars: number, nameLength: number): Graph {
  const g = new Graph();
  const gs = getOrCreateGlobalStep(g);
  const dims = g.addOp({ type: 'Const', name: 'dims', attrs: { dtype: 'int32', value: [SIZE] } });
  const zeros = g.addOp({
    type: 'Fill',
    name: 'zeros',
    inputs: [dims, g.addOp({ type: 'Const', name: 'zero', attrs: { dtype: 'float32', value: 0 } })],
  });
  const ones = g.addOp({
    type: 'Fill',
    name: 'ones',
    inputs: [dims, g.addOp({ type: 'Const', name: 'one', attrs: { dtype: 'float32', value: 1 } })],
  });
  const updates = [];
  const reads = [];
  for (let i = 0; i < vars; i++) {
    const name = variableName(i, nameLength);
    const v = g.addOp({ type: 'VariableV2', name, attrs: { dtype: 'float32', shape: [SIZE] } });
    g.addOp({ type: 'Assign', name: `${name}/Assign`, inputs: [v, zeros] });
    g.addToCollection('variables', v);
    updates.push(g.addOp({ type: 'AssignAdd', name: `update_${i}`, inputs: [v, ones] }));
    reads.push(v.output(0));
  }
  const one64 = g.addOp({ type: 'Const', name: 'one64', attrs: { dtype: 'int64', value: 1n } });
  const inc = g.addOp({ type: 'AssignAdd', name: 'inc', inputs: [gs, one64], controlInputs: updates });
  g.addOp({ type: 'NoOp', name: 'train', controlInputs: [inc] });
  const all = g.addOp({
    type: 'ConcatV2',
    name: 'all',
    inputs: [reads, g.addOp({ type: 'Const', name: 'axis', attrs: { dtype: 'int32', value: 0 } })],
  });
  const axes = g.addOp({ type: 'Const', name: 'axes', attrs: { dtype: 'int32', value: [0] } });
  g.addOp({ type: 'Min', name: 'min', inputs: [all, axes] });
  g.addOp({ type: 'Max', name: 'max', inputs: [all, axes] });
  return g;
}
