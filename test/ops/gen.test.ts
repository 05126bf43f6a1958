import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Graph, Operation, Output } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { opDefs } from '../../lib/core/op-defs';
import { asDefault, nameScope } from '../../lib/ops/scope';
import * as raw from '../../lib/ops/gen';
import { getVariable } from '../../lib/ops/variables';
import { zerosInitializer } from '../../lib/ops/initializers';

const GEN_DIR = join(__dirname, '..', '..', 'lib', 'ops', 'gen');

describe('generated op functions (lib/ops/gen)', () => {
  it('cover every public op of the loaded libtensorflow, one function each (regenerate with npm run gen:ops)', () => {
    const text = readdirSync(GEN_DIR)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(GEN_DIR, f), 'utf8'))
      .join('\n');
    const documented = new Set([...text.matchAll(/\/\*\* TF op `([^`]+)`/g)].map((m) => m[1]));
    const expected = [...opDefs().keys()].filter((n) => !n.startsWith('_'));
    expect([...documented].sort()).toEqual(expected.sort());
    expect(Object.values(raw).filter((f) => typeof f === 'function').length).toBe(expected.length);
  });

  it('build ops with attrs by camelCase key, scoped names, and outputs shaped as the OpDef says', () => {
    const g = new Graph();
    asDefault(g, () => {
      const a = raw.const_({
        value: [
          [1, 2],
          [3, 4],
        ],
        dtype: 'float32',
        name: 'a',
      });
      const b = raw.const_({
        value: [
          [5, 6],
          [7, 8],
        ],
        dtype: 'float32',
      });
      expect(a).toBeInstanceOf(Output);
      expect(b.op.name).toBe('Const');
      const p = nameScope('layer', () => raw.matMul(a, b, { transposeB: true }));
      expect(p.op.name).toBe('layer/MatMul');
      expect(p.op.type).toBe('MatMul');
      expect(p.op.attr('transpose_b').value).toEqual({ case: 'b', value: true });
      const parts = raw.split(raw.const_({ value: 0, dtype: 'int32' }), a, { numSplit: 2 });
      expect(parts.map((t) => t.name)).toEqual(['Split:0', 'Split:1']);
      const rows = raw.unpack(a, { num: 2, axis: 1 });
      expect(rows).toHaveLength(2);
      const ids = raw.identityN([a, raw.const_({ value: [1, 2, 3], dtype: 'int64' })]);
      expect(ids.map((t) => t.dtype)).toEqual(['float32', 'int64']);
      const x = raw.const_({
        value: [
          [
            [[1], [2]],
            [[3], [4]],
          ],
        ],
        dtype: 'float32',
      });
      const one = raw.const_({ value: [1], dtype: 'float32' });
      const zero = raw.const_({ value: [0], dtype: 'float32' });
      const bn = raw.fusedBatchNormV3(x, one, zero, zero, one, { epsilon: 0.001 });
      expect(Object.keys(bn)).toEqual(['y', 'batchMean', 'batchVariance', 'reserveSpace1', 'reserveSpace2', 'reserveSpace3']);
      expect(bn.y.name).toBe('FusedBatchNormV3:0');
      expect(bn.reserveSpace3.name).toBe('FusedBatchNormV3:5');
      const sw = raw.switch_(a, raw.const_({ value: true, dtype: 'bool' }));
      expect([sw.outputFalse.name, sw.outputTrue.name]).toEqual(['Switch:0', 'Switch:1']);
      const noop = raw.noOp({ name: 'done', controlInputs: [p] });
      expect(noop).toBeInstanceOf(Operation);
      expect(noop.controlInputs.map((o) => o.name)).toEqual(['layer/MatMul']);

      const sess = new Session(g);
      try {
        const [prod, second] = sess.runSync([p, parts[1]]);
        expect(prod!.toArray()).toEqual([
          [17, 23],
          [39, 53],
        ]);
        expect(second!.toArray()).toEqual([[3, 4]]);
      } finally {
        sess.close();
      }
    });
  });

  it('take Variables: their ref for reference inputs (ApplyGradientDescent, Assign), their value otherwise', () => {
    const g = new Graph();
    asDefault(g, () => {
      const w = getVariable('w', { shape: [2, 2], initializer: zerosInitializer() });
      const x = raw.const_({ value: [[1, 2]], dtype: 'float32', name: 'x' });
      expect(raw.matMul(x, w).op.inputs.map((t) => t.name)).toEqual(['x:0', 'w/read:0']);
      const step = raw.applyGradientDescent(
        w,
        raw.const_({ value: 0.5, dtype: 'float32', name: 'lr' }),
        raw.const_({
          value: [
            [1, 1],
            [1, 1],
          ],
          dtype: 'float32',
          name: 'g',
        }),
      );
      expect(step.op.inputs.map((t) => t.name)).toEqual(['w:0', 'lr:0', 'g:0']);
      expect(raw.identityN([w, x]).map((t) => t.op.inputs.map((i) => i.name))[0]).toEqual(['w/read:0', 'x:0']);
    });
  });

  it('a missing required attr or a wrong attr value is an error naming it', () => {
    const g = new Graph();
    asDefault(g, () => {
      const a = raw.const_({ value: [1, 2], dtype: 'float32' });
      expect(() => raw.matMul(a, a, { transposeA: 'yes' as never })).toThrow(/transpose_a/);
      expect(() => raw.placeholder({} as never)).toThrow(/dtype/);
    });
  });
});
