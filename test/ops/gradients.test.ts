import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, type Output } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import type { Tensor } from '../../lib/core/tensor';
import { ArgumentError, ValueError } from '../../lib/core/errors';
import { addScopedOp, asDefault, nameScope } from '../../lib/ops/scope';
import { GradientNotFoundError, gradients } from '../../lib/ops/gradients';
import * as ops from '../../lib/ops';
import { requirePythonTF, runPythonJSON, type RawTensor } from '../support/python';

// Inputs made in TS (float32 values, exact in JSON) and sent to Python, so both graphs hold the same constants.
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.fround((s / 2 ** 32) * 4 - 2);
  });
}
const SHAPES: Record<string, number[]> = {
  x: [3, 4],
  w: [4, 5],
  a: [3, 5],
  logits: [4, 5],
  img: [1, 5, 5, 2],
  filt: [3, 3, 2, 3],
  pool: [1, 4, 4, 2],
  r: [3, 4],
  gy: [3, 5],
};
const INPUTS = Object.fromEntries(
  Object.entries(SHAPES).map(([k, shape], i) => [
    k,
    {
      shape,
      data: values(
        shape.reduce((p, d) => p * d, 1),
        7 + i,
      ),
    },
  ]),
);

const konst = (k: string) =>
  addScopedOp({
    type: 'Const',
    name: k,
    attrs: { dtype: 'float32', value: { dtype: 'float32', shape: INPUTS[k].shape, data: Float32Array.from(INPUTS[k].data) } },
  }).output(0);
const op = (type: string, inputs: Output[], attrs?: Record<string, unknown>, name?: string) =>
  addScopedOp({ type, inputs, attrs, name }).output(0);

const PY = `
d = json.loads(sys.stdin.read())
c = {k: tf.constant(np.array(v['data'], np.float32).reshape(v['shape']), name=k) for k, v in d.items()}
out = {}
def put(key, ys, xs, **kw):
    gs = tf.gradients(ys, xs, **kw)
    out[key] = [None if g is None else g for g in gs]
put('matmul', tf.matmul(c['x'], c['w']), [c['x'], c['w']])
put('relu', tf.nn.relu(c['a']), [c['a']])
labels = tf.nn.softmax(tf.concat([c['a'], c['a'][:1]], 0))
put('xent', tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=c['logits']), [c['logits']])
conv = tf.nn.conv2d(c['img'], c['filt'], strides=[1, 1, 1, 1], padding='SAME')
put('conv', conv, [c['img'], c['filt']])
put('pool', tf.nn.max_pool2d(c['pool'], ksize=2, strides=2, padding='VALID'), [c['pool']])
put('mean', tf.reduce_mean(c['r'], axis=1), [c['r']])
put('sum', tf.reduce_sum(c['r'] * c['r']), [c['r']])
put('gradys', tf.matmul(c['x'], c['w']), [c['x']], grad_ys=[c['gy']])
put('unconnected', tf.nn.relu(c['a']), [c['a'], c['x']])
put('stopped', tf.stop_gradient(c['a']) * 2.0, [c['a']])
put('argmax', tf.cast(tf.argmax(c['a'], 1), tf.float32), [c['a']])
keys = list(out)
with tf1.Session() as s:
    vals = s.run({k: [g for g in out[k] if g is not None] for k in keys})
emit({k: [None if g is None else raw(vals[k].pop(0)) for g in out[k]] for k in keys})
`;

function b64(t: Tensor): string {
  const d = t.data as Float32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
}

describe('gradients (TF C++ gradient registry) against Python tf.gradients', () => {
  let py: Record<string, Array<RawTensor | null>>;
  beforeAll(() => {
    requirePythonTF();
    py = runPythonJSON(PY, { input: JSON.stringify(INPUTS) });
  });

  it('gives the same values bit for bit for MatMul, Relu, softmax cross entropy, Conv2D, MaxPool, Mean, Sum, grad_ys; null where y does not depend on x or only through StopGradient / ArgMax', () => {
    const g = new Graph();
    const cases: Record<string, Array<Output | null>> = asDefault(g, () => {
      const c = Object.fromEntries(Object.keys(INPUTS).map((k) => [k, konst(k)]));
      const out: Record<string, Array<Output | null>> = {};
      out.matmul = gradients(op('MatMul', [c.x, c.w]), [c.x, c.w]);
      out.relu = gradients(op('Relu', [c.a]), [c.a]);
      // The labels Python computes: softmax of the rows of a and a's first row again.
      const first = op('StridedSlice', [c.a, konstInt([0]), konstInt([1]), konstInt([1])], {});
      const labels = op('Softmax', [op('ConcatV2', [[c.a, first] as never, konstInt(0)])]);
      const xent = addScopedOp({ type: 'SoftmaxCrossEntropyWithLogits', inputs: [c.logits, labels] }).output(0);
      out.xent = gradients(xent, [c.logits]);
      out.conv = gradients(op('Conv2D', [c.img, c.filt], { strides: [1, 1, 1, 1], padding: 'SAME' }), [c.img, c.filt]);
      out.pool = gradients(op('MaxPool', [c.pool], { ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: 'VALID' }), [c.pool]);
      out.mean = gradients(op('Mean', [c.r, konstInt(1)]), [c.r]);
      out.sum = gradients(op('Sum', [op('Mul', [c.r, c.r]), konstInt([0, 1])]), [c.r]);
      out.gradys = gradients(op('MatMul', [c.x, c.w]), [c.x], { gradYs: [c.gy] });
      out.unconnected = gradients(op('Relu', [c.a]), [c.a, c.x]);
      out.stopped = gradients(op('Mul', [op('StopGradient', [c.a]), op('Const', [], { dtype: 'float32', value: 2 })]), [c.a]);
      out.argmax = gradients(op('Cast', [op('ArgMax', [c.a, konstInt(1)])], { DstT: 'float32' }), [c.a]);
      return out;
    });
    const sess = new Session(g);
    try {
      for (const [key, outs] of Object.entries(cases)) {
        expect(
          outs.map((o) => o === null),
          key,
        ).toEqual(py[key].map((p) => p === null));
        const present = outs.filter((o): o is Output => o !== null);
        const fetched = present.length ? (sess.runSync(present) as Tensor[]) : [];
        const expected = py[key].filter((p): p is RawTensor => p !== null);
        fetched.forEach((t, i) => {
          expect(t.shape, `${key}[${i}] shape`).toEqual(expected[i].shape);
          expect(b64(t), `${key}[${i}] bytes`).toBe(expected[i].base64);
        });
      }
    } finally {
      sess.close();
    }
  });

  it('names the gradient scopes as Python: gradients, gradients_1, and under the current name scope', () => {
    const pyNames = runPythonJSON<string[]>(`
      g = tf.Graph()
      with g.as_default():
        x = tf.constant([1.0, 2.0], name='x')
        y = tf.square(x)
        a = tf.gradients(y, [x])[0]
        b = tf.gradients(y, [x])[0]
        with tf.name_scope('train'):
          c = tf.gradients(y, [x])[0]
        d = tf.gradients(y, [x], name='grads')[0]
      emit([t.name.split('/')[0] if not t.name.startswith('train/') else 'train/' + t.name.split('/')[1] for t in (a, b, c, d)])
    `);
    const g = new Graph();
    const ours = asDefault(g, () => {
      const x = op('Const', [], { dtype: 'float32', value: [1, 2] }, 'x');
      const y = op('Square', [x]);
      const a = gradients(y, [x])[0]!;
      const b = gradients(y, [x])[0]!;
      const c = nameScope('train', () => gradients(y, [x])[0]!);
      const d = gradients(y, [x], { name: 'grads' })[0]!;
      return [a, b, c, d].map((t) => (t.name.startsWith('train/') ? `train/${t.name.split('/')[1]}` : t.name.split('/')[0]));
    });
    expect(ours).toEqual(pyNames);
  });

  it('through an MLP built from seeded getVariable variables and friendly ops: the same gradients as Python for each Variable', async () => {
    const pyGrads = runPythonJSON<RawTensor[]>(`
      g = tf.Graph()
      with g.as_default():
        tf1.set_random_seed(3)
        x = tf.constant(np.linspace(-1, 1, 20, dtype=np.float32).reshape(5, 4), name='x')
        y = tf.constant([0, 2, 1, 1, 0], name='y')
        with tf1.variable_scope('hidden'):
          w1 = tf1.get_variable('kernel', [4, 8])
          b1 = tf1.get_variable('bias', [8], initializer=tf1.zeros_initializer())
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
        with tf1.variable_scope('out'):
          w2 = tf1.get_variable('kernel', [8, 3], initializer=tf1.truncated_normal_initializer(stddev=0.5))
        logits = tf.matmul(h, w2)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tf.gradients(loss, [w1, b1, w2])
        with tf1.Session() as s:
          s.run(tf1.global_variables_initializer())
          emit([raw(v) for v in s.run(grads)])
    `);
    const g = new Graph();
    const grads = ops.asDefault(g, () => {
      ops.setRandomSeed(3);
      const xs = Array.from({ length: 20 }, (_, i) => -1 + (2 * i) / 19);
      const x = ops.constant(Float32Array.from(new Float64Array(xs)), { shape: [5, 4], name: 'x' });
      const y = ops.constant([0, 2, 1, 1, 0], { dtype: 'int32', name: 'y' });
      const [w1, b1] = ops.variableScope('hidden', () => [
        ops.getVariable('kernel', { shape: [4, 8] }),
        ops.getVariable('bias', { shape: [8], initializer: ops.zerosInitializer() }),
      ]);
      const h = ops.relu(ops.add(ops.matmul(x, w1), b1, { name: 'add' }));
      const w2 = ops.variableScope('out', () =>
        ops.getVariable('kernel', { shape: [8, 3], initializer: ops.truncatedNormalInitializer({ stddev: 0.5 }) }),
      );
      const logits = ops.matmul(h, w2);
      const loss = ops.reduceMean(ops.sparseSoftmaxCrossEntropyWithLogits({ labels: y, logits }));
      const out = ops.gradients(loss, [w1, b1, w2]);
      ops.globalVariablesInitializer();
      return out;
    });
    const sess = new Session(g);
    try {
      await sess.run(g.operation('init'));
      const got = (await sess.run(grads as Output[])) as Tensor[];
      got.forEach((t, i) => expect(b64(t), `gradient ${i}`).toBe(pyGrads[i].base64));
    } finally {
      sess.close();
    }
  });

  it('an op with no C++ gradient (Cumprod in TF 2.21) is a GradientNotFoundError naming its type and name', () => {
    const g = new Graph();
    asDefault(g, () => {
      const x = op('Const', [], { dtype: 'float32', value: [1, 2, 3] }, 'x');
      const cp = nameScope('net', () => op('Cumprod', [x, konstInt(0)], {}, 'running_product'));
      const y = op('Sum', [op('Square', [cp]), konstInt(0)]);
      let err: unknown;
      try {
        gradients(y, [x]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GradientNotFoundError);
      expect(err).toBeInstanceOf(ValueError);
      const e = err as GradientNotFoundError;
      expect(e.opType).toBe('Cumprod');
      expect(e.opNames).toEqual(['net/running_product']);
      expect(e.message).toContain("'net/running_product'");
      expect(e.message).toContain('Cumprod');
    });
  });

  it('bad arguments are typed errors naming the parameter', () => {
    const g = new Graph();
    asDefault(g, () => {
      const x = op('Const', [], { dtype: 'float32', value: [1, 2] }, 'x');
      const y = op('Square', [x]);
      expect(() => gradients([], [x])).toThrow(ArgumentError);
      expect(() => gradients(y, 'x' as never)).toThrow(/xs/);
      expect(() => gradients(y, ['x:0' as never])).toThrow(/xs\[0\]/);
      expect(() => gradients(y, [x], { gradYs: [] })).toThrow(/gradYs/);
      const other = new Graph();
      const z = asDefault(other, () => op('Const', [], { dtype: 'float32', value: 1 }, 'z'));
      expect(() => gradients(y, [z])).toThrow();
    });
  });
});

function konstInt(v: number | number[]): Output {
  return addScopedOp({ type: 'Const', attrs: { dtype: 'int32', value: v } }).output(0);
}
