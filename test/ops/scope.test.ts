import { describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { ValueError } from '../../lib/core/errors';
import { addScopedOp, asDefault, controlDependencies, device, nameScope } from '../../lib/ops/scope';
import { requirePythonTF, runPythonJSON } from '../support/python';

const konst = (v: number, name?: string) => addScopedOp({ type: 'Const', name, attrs: { dtype: 'float32', value: v } }).output(0);

describe('name, control-dependency and device scopes', () => {
  it('names ops as Python does under nested and repeated name scopes (live Python)', () => {
    requirePythonTF();
    const py = runPythonJSON<string[]>(`
      g = tf.Graph()
      with g.as_default():
        a = tf.constant(1.0)
        b = tf.constant(2.0, name='Const')
        with tf.name_scope('dense'):
          c = tf.constant(3.0)
          with tf.name_scope('inner'):
            d = tf.constant(4.0, name='w')
        with tf.name_scope('dense'):
          e = tf.constant(5.0)
        with tf.name_scope('Dense'):
          f = tf.constant(5.0)
        with tf.name_scope('dense/'):
          h = tf.constant(6.0)
        i = tf.constant(7.0, name='dense_2')
        with tf.name_scope('dense'):
          j = tf.constant(8.0)
      print(json.dumps([o.name for o in g.get_operations()]))
    `);
    const g = new Graph();
    asDefault(g, () => {
      konst(1);
      konst(2, 'Const');
      nameScope('dense', () => {
        konst(3);
        nameScope('inner', () => konst(4, 'w'));
      });
      nameScope('dense', () => konst(5));
      nameScope('Dense', () => konst(5));
      nameScope('dense/', () => konst(6));
      konst(7, 'dense_2');
      nameScope('dense', () => konst(8));
    });
    expect(g.operations().map((o) => o.name)).toEqual(py);
  });

  it('gives ops made in a control scope the scope ops as control inputs, null clearing them', () => {
    const g = new Graph();
    asDefault(g, () => {
      const a = konst(1, 'a');
      const b = konst(2, 'b');
      controlDependencies([a, b.op], () => {
        const c = konst(3, 'c');
        expect(c.op.controlInputs.map((o) => o.name).sort()).toEqual(['a', 'b']);
        const d = addScopedOp({ type: 'Identity', name: 'd', inputs: [a] }).output(0);
        expect(d.op.controlInputs.map((o) => o.name)).toEqual(['b']);
        controlDependencies(null, () => expect(konst(4, 'e').op.controlInputs).toEqual([]));
      });
      expect(konst(5, 'f').op.controlInputs).toEqual([]);
    });
  });

  it('places ops made in a device scope on that device', () => {
    const g = new Graph();
    asDefault(g, () => {
      device('/device:CPU:0', () => expect(konst(1).op.device).toBe('/device:CPU:0'));
      expect(konst(2).op.device).toBe('');
    });
  });

  it('needs a graph: outside asDefault an op with no input is a ValueError', () => {
    expect(() => konst(1)).toThrow(ValueError);
    expect(() => konst(1)).toThrow(/asDefault/);
  });
});
