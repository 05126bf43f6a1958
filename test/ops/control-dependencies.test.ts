/**
 * Control-dependency scopes give the control inputs Python's do (live Python): an op that reads an
 * op made inside a scope gets no control input from that scope (Python's `op_in_group`
 * domination), a data input is never also a control input, and `null` clears the enclosing scopes.
 */
import { describe, expect, it } from 'vitest';
import { Graph, type Output } from '../../lib/core/graph';
import { Tensor } from '../../lib/core/tensor';
import { addScopedOp, asDefault, controlDependencies } from '../../lib/ops/scope';
import { requirePythonTF, runPythonJSON } from '../support/python';

const konst = (v: number, name: string) =>
  addScopedOp({ type: 'Const', name, attrs: { dtype: 'float32', value: Tensor.from(v, 'float32') } }).output(0);
const identity = (x: Output, name: string) => addScopedOp({ type: 'Identity', name, inputs: [x] }).output(0);

describe('controlDependencies', () => {
  it('gives each op the control inputs Python gives it, nested scopes and domination included (live Python)', () => {
    requirePythonTF();
    const py = runPythonJSON<Record<string, string[]>>(`
g = tf.Graph()
with g.as_default():
    a = tf.constant(1.0, name='a'); b = tf.constant(2.0, name='b')
    with tf.control_dependencies([a, b]):
        c = tf.constant(3.0, name='c')
        d = tf.identity(c, name='d')
        e = tf.identity(a, name='e')
        with tf.control_dependencies([d]):
            f = tf.identity(c, name='f')
            h = tf.constant(4.0, name='h')
            k = tf.identity(h, name='k')
        with tf.control_dependencies(None):
            i = tf.identity(c, name='i')
            with tf.control_dependencies([e]):
                j = tf.identity(c, name='j')
emit({o.name: sorted(x.name for x in o.control_inputs) for o in g.get_operations()})
`);
    const g = new Graph();
    asDefault(g, () => {
      const a = konst(1, 'a');
      const b = konst(2, 'b');
      controlDependencies([a, b], () => {
        const c = konst(3, 'c');
        const d = identity(c, 'd');
        const e = identity(a, 'e');
        controlDependencies([d], () => {
          identity(c, 'f');
          identity(konst(4, 'h'), 'k');
        });
        controlDependencies(null, () => {
          identity(c, 'i');
          controlDependencies([e], () => identity(c, 'j'));
        });
      });
    });
    const ours = Object.fromEntries(g.operations().map((o) => [o.name, o.controlInputs.map((x) => x.name).sort()]));
    expect(ours).toEqual(py);
    // The cases that differ from "every op gets every enclosing control input":
    expect(py.d).toEqual([]);
    expect(py.f).toEqual(['d']);
    expect(py.k).toEqual([]);
  });
});
