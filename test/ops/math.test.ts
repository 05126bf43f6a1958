import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, type Output } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { Tensor } from '../../lib/core/tensor';
import * as ops from '../../lib/ops';
import { requirePythonTF, runPythonJSON, type RawTensor } from '../support/python';

// Each entry: the ops Python's function adds (name, type, inputs), recorded the same way on both sides.
const PY = `
g = tf.Graph()
res = {}
vals = {}
with g.as_default():
  x = tf1.placeholder(tf.float32, [None, 4], name='x')
  w = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, name='w')
  img = tf.constant(np.arange(32, dtype=np.float32).reshape(1, 4, 4, 2) / 7, name='img')
  filt = tf.constant(np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2) / 5 - 1, name='filt')
  labels = tf.constant([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], name='labels')
  ids = tf.constant([2, 0], name='ids')
  def rec(k, f):
    before = set(o.name for o in g.get_operations())
    out = f()
    res[k] = [[o.name, o.type, [t.name for t in o.inputs]] for o in g.get_operations() if o.name not in before]
    return out
  rec('add', lambda: tf.add(x, x)); rec('add_value', lambda: tf.add(x, 2.0)); rec('sub', lambda: tf.subtract(x, x))
  rec('mul', lambda: tf.multiply(x, x)); rec('div', lambda: tf.divide(x, x)); mm = rec('matmul', lambda: tf.matmul(x, w))
  rec('relu', lambda: tf.nn.relu(x)); rec('sigmoid', lambda: tf.sigmoid(x)); rec('tanh', lambda: tf.tanh(x))
  rec('reshape', lambda: tf.reshape(x, [-1, 2])); m0 = rec('mean_all', lambda: tf.reduce_mean(x)); m1 = rec('mean_axis', lambda: tf.reduce_mean(x, axis=1))
  rec('sum', lambda: tf.reduce_sum(x)); rec('cast', lambda: tf.cast(x, tf.int32)); rec('argmax', lambda: tf.argmax(x, 1)); rec('equal', lambda: tf.equal(x, x))
  sm = rec('softmax', lambda: tf.nn.softmax(mm)); rec('bias_add', lambda: tf.nn.bias_add(x, tf.constant([1.0] * 4)))
  rec('square', lambda: tf.square(x)); rec('zeros', lambda: tf.zeros([2, 3])); rec('ones_big', lambda: tf.ones([40, 30]))
  cv = rec('conv2d', lambda: tf.nn.conv2d(img, filt, 1, 'SAME')); mp = rec('max_pool', lambda: tf.nn.max_pool2d(cv, 2, 2, 'VALID'))
  rec('avg_pool', lambda: tf.nn.avg_pool2d(img, 2, 2, 'SAME')); rec('concat', lambda: tf.concat([x, x], 1)); rec('expand_dims', lambda: tf.expand_dims(x, 0))
  rec('shape', lambda: tf.shape(x)); rec('maximum', lambda: tf.maximum(x, x)); rec('l2_loss', lambda: tf.nn.l2_loss(x)); rec('one_hot', lambda: tf.one_hot(ids, 3))
  rec('gather', lambda: tf.gather(w, ids)); rec('transpose', lambda: tf.transpose(w, [1, 0])); rec('zeros_like', lambda: tf.zeros_like(x))
  rec('no_op', lambda: tf.no_op()); rec('group', lambda: tf.group(x.op))
  sx = rec('sparse_xent', lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ids, logits=mm))
  xe = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=mm)
  feed = {x: np.array([[1, -2, 3, 0.5], [0.25, 4, -1, 2]], np.float32)}
  with tf1.Session() as s:
    out = s.run({'matmul': mm, 'softmax': sm, 'mean_all': m0, 'mean_axis': m1, 'conv2d': cv, 'max_pool': mp, 'sparse_xent': sx, 'xent': xe}, feed)
emit({'ops': res, 'vals': {k: raw(v) for k, v in out.items()}, 'xent_op': xe.op.name})
`;

describe('friendly ops (lib/ops/math.ts) against live Python', () => {
  let py: { ops: Record<string, unknown[]>; vals: Record<string, RawTensor>; xent_op: string };
  beforeAll(() => {
    requirePythonTF();
    py = runPythonJSON(PY);
  });

  it("add the same ops under Python's default names, JS values converted inside the op's scope, and compute the same values bit for bit", async () => {
    const g = new Graph();
    const res: Record<string, unknown[]> = {};
    const outs = ops.asDefault(g, () => {
      const x = ops.placeholder('float32', { shape: [null, 4], name: 'x' });
      const w = ops.constant(
        Array.from({ length: 12 }, (_, i) => Math.fround(Math.fround(i) / 10)),
        { shape: [4, 3], name: 'w' },
      );
      const img = ops.constant(
        Array.from({ length: 32 }, (_, i) => Math.fround(Math.fround(i) / 7)),
        { shape: [1, 4, 4, 2], name: 'img' },
      );
      const filt = ops.constant(
        Array.from({ length: 16 }, (_, i) => Math.fround(Math.fround(Math.fround(i) / 5) - 1)),
        { shape: [2, 2, 2, 2], name: 'filt' },
      );
      const labels = ops.constant(
        [
          [0.1, 0.2, 0.7],
          [0.5, 0.25, 0.25],
        ],
        { name: 'labels' },
      );
      const ids = ops.constant([2, 0], { dtype: 'int32', name: 'ids' });
      const rec = <T>(k: string, f: () => T): T => {
        const before = new Set(g.operations().map((o) => o.name));
        const out = f();
        res[k] = g
          .operations()
          .filter((o) => !before.has(o.name))
          .map((o) => [o.name, o.type, o.inputs.map((t) => t.name)]);
        return out;
      };
      rec('add', () => ops.add(x, x));
      rec('add_value', () => ops.add(x, 2));
      rec('sub', () => ops.subtract(x, x));
      rec('mul', () => ops.multiply(x, x));
      rec('div', () => ops.divide(x, x));
      const mm = rec('matmul', () => ops.matmul(x, w));
      rec('relu', () => ops.relu(x));
      rec('sigmoid', () => ops.sigmoid(x));
      rec('tanh', () => ops.tanh(x));
      rec('reshape', () => ops.reshape(x, [-1, 2]));
      const m0 = rec('mean_all', () => ops.reduceMean(x));
      const m1 = rec('mean_axis', () => ops.reduceMean(x, 1));
      rec('sum', () => ops.reduceSum(x));
      rec('cast', () => ops.cast(x, 'int32'));
      rec('argmax', () => ops.argmax(x, 1));
      rec('equal', () => ops.equal(x, x));
      const sm = rec('softmax', () => ops.softmax(mm));
      rec('bias_add', () => ops.biasAdd(x, ops.constant([1, 1, 1, 1])));
      rec('square', () => ops.square(x));
      rec('zeros', () => ops.zeros([2, 3]));
      rec('ones_big', () => ops.ones([40, 30]));
      const cv = rec('conv2d', () => ops.conv2d(img, filt, { strides: 1, padding: 'SAME' }));
      const mp = rec('max_pool', () => ops.maxPool(cv, { ksize: 2, strides: 2, padding: 'VALID' }));
      rec('avg_pool', () => ops.avgPool(img, { ksize: 2, strides: 2, padding: 'SAME' }));
      rec('concat', () => ops.concat([x, x], 1));
      rec('expand_dims', () => ops.expandDims(x, 0));
      rec('shape', () => ops.shape(x));
      rec('maximum', () => ops.maximum(x, x));
      rec('l2_loss', () => ops.l2Loss(x));
      rec('one_hot', () => ops.oneHot(ids, 3));
      rec('gather', () => ops.gather(w, ids));
      rec('transpose', () => ops.transpose(w, [1, 0]));
      rec('zeros_like', () => ops.zerosLike(x));
      rec('no_op', () => ops.noOp());
      rec('group', () => ops.group([x.op]));
      const sx = rec('sparse_xent', () => ops.sparseSoftmaxCrossEntropyWithLogits({ labels: ids, logits: mm }));
      const xe = ops.softmaxCrossEntropyWithLogits({ labels, logits: mm });
      return { matmul: mm, softmax: sm, mean_all: m0, mean_axis: m1, conv2d: cv, max_pool: mp, sparse_xent: sx, xent: xe };
    });
    // Python's ops for each call; sparse softmax cross entropy adds its gradient path after them.
    const sparse = res.sparse_xent;
    expect(sparse.slice(0, py.ops.sparse_xent.length)).toEqual(py.ops.sparse_xent);
    expect(
      sparse
        .slice(py.ops.sparse_xent.length)
        .every((o) => (o as string[])[0].startsWith('SparseSoftmaxCrossEntropyWithLogits/with_gradient')),
    ).toBe(true);
    expect({ ...res, sparse_xent: sparse.slice(0, py.ops.sparse_xent.length) }).toEqual(py.ops);
    expect(outs.xent.op.name).toBe(py.xent_op.replace(/\/Reshape_2$/, ''));
    const sess = new Session(g);
    try {
      const got = (await sess.run(outs as Record<string, Output>, {
        'x:0': Tensor.from(
          [
            [1, -2, 3, 0.5],
            [0.25, 4, -1, 2],
          ],
          'float32',
        ),
      })) as Record<string, Tensor>;
      for (const [k, t] of Object.entries(got)) {
        const d = t.data as Float32Array;
        expect(t.shape, k).toEqual(py.vals[k].shape);
        expect(Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64'), k).toBe(py.vals[k].base64);
      }
    } finally {
      sess.close();
    }
  });

  it('bad arguments are typed errors naming the parameter', () => {
    const g = new Graph();
    ops.asDefault(g, () => {
      const x = ops.placeholder('float32', { shape: [2, 2] });
      expect(() => ops.maxPool(x, { ksize: [1, 2, 3] as never, strides: 1, padding: 'SAME' })).toThrow(/opts\.ksize/);
      expect(() => ops.concat([], 0)).toThrow(/values/);
      expect(() => ops.group(['x' as never])).toThrow(/inputs\[0\]/);
      expect(() => ops.placeholder('float33' as never)).toThrow(/dtype/);
      expect(() => ops.constant([1, 2, 3], { shape: [2, 2] })).toThrow(/shape/);
    });
  });
});
