/**
 * The tiny linear regression the optimizer tests train on both sides: `loss = mean((x·w + b - y)²)`
 * with x [N, 3], y [N, 1], w [3, 1] and b [1] as ref variables made from given initial values
 * (`tf1.Variable(value, name=...)` in Python), and seeded batches shared with Python as base64.
 */
import { create } from '@bufbuild/protobuf';
import { GraphKeys } from '../../lib/core/collections';
import type { Graph, Output } from '../../lib/core/graph';
import { Tensor } from '../../lib/core/tensor';
import { addScopedOp, asDefault, nameScope } from '../../lib/ops/scope';
import { VariableDefSchema } from '../../lib/proto/gen/tensorflow/core/framework/variable_pb';
import { mulberry32 } from '../support/seeded-random';

export const N = 8;
export const STEPS = 5;

/** Float32 values from a seeded PRNG in [-1, 1). */
export function seeded(seed: number, n: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

export const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export interface Data {
  w0: Float32Array;
  b0: Float32Array;
  xs: Float32Array[];
  ys: Float32Array[];
}

export function makeData(seed = 21): Data {
  return {
    w0: seeded(seed, 3),
    b0: seeded(seed + 1, 1),
    xs: Array.from({ length: STEPS * 2 }, (_, i) => seeded(seed + 100 + i, N * 3)),
    ys: Array.from({ length: STEPS * 2 }, (_, i) => seeded(seed + 200 + i, N)),
  };
}

/** The data as the JSON the Python side reads (`load_data(path)` in PY_MODEL). */
export function dataJSON(d: Data): string {
  return JSON.stringify({ w0: b64(d.w0), b0: b64(d.b0), xs: d.xs.map(b64), ys: d.ys.map(b64) });
}

/** `tf1.Variable(value, name=name)`: initial_value Const, VariableV2, Assign, read, collections. */
export function refVariable(graph: Graph, name: string, value: Tensor): Output {
  return asDefault(graph, () =>
    nameScope(name, (scope) => {
      const init = addScopedOp({ type: 'Const', name: 'initial_value', attrs: { dtype: value.dtype, value } }).output(0);
      const v = addScopedOp({
        type: 'VariableV2',
        name: scope,
        attrs: { dtype: value.dtype, shape: value.shape, container: '', shared_name: '' },
      });
      const assign = addScopedOp({ type: 'Assign', name: 'Assign', inputs: [v, init], attrs: { use_locking: true, validate_shape: true } });
      const read = addScopedOp({ type: 'Identity', name: 'read', inputs: [v] });
      const def = create(VariableDefSchema, {
        variableName: `${v.name}:0`,
        initializerName: assign.name,
        snapshotName: `${read.name}:0`,
        initialValueName: init.name,
        trainable: true,
      });
      graph.addToCollection(GraphKeys.GLOBAL_VARIABLES, def);
      graph.addToCollection(GraphKeys.TRAINABLE_VARIABLES, def);
      return v.output(0);
    }),
  );
}

/** The model in `graph`: placeholders 'x', 'y', variables 'w', 'b', and the loss ('Mean:0'). */
export function buildModel(graph: Graph, d: Data): { loss: Output; w: Output; b: Output } {
  const w = refVariable(graph, 'w', Tensor.from({ dtype: 'float32', shape: [3, 1], data: d.w0 }));
  const b = refVariable(graph, 'b', Tensor.from({ dtype: 'float32', shape: [1], data: d.b0 }));
  const loss = asDefault(graph, () => {
    const x = addScopedOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [-1, 3] } }).output(0);
    const y = addScopedOp({ type: 'Placeholder', name: 'y', attrs: { dtype: 'float32', shape: [-1, 1] } }).output(0);
    const wr = graph.tensor('w/read:0');
    const br = graph.tensor('b/read:0');
    const mm = addScopedOp({ type: 'MatMul', inputs: [x, wr], attrs: { transpose_a: false, transpose_b: false } }).output(0);
    const add = addScopedOp({ type: 'AddV2', name: 'add', inputs: [mm, br] }).output(0);
    const sub = addScopedOp({ type: 'Sub', name: 'sub', inputs: [add, y] }).output(0);
    const sq = addScopedOp({ type: 'Square', inputs: [sub] }).output(0);
    const axes = addScopedOp({ type: 'Const', attrs: { dtype: 'int32', value: Tensor.from([0, 1], 'int32') } }).output(0);
    return addScopedOp({ type: 'Mean', inputs: [sq, axes], attrs: { keep_dims: false } }).output(0);
  });
  return { loss, w, b };
}

/** The feeds of step `i`. */
export function feedsOf(d: Data, i: number) {
  return {
    'x:0': Tensor.from({ dtype: 'float32', shape: [N, 3], data: d.xs[i] }),
    'y:0': Tensor.from({ dtype: 'float32', shape: [N, 1], data: d.ys[i] }),
  };
}

/** Python: `load_data(path)` and `build_model(d)`, the same model from the same values. */
export const PY_MODEL = `
N = ${N}
def _arr(s, shape):
    return np.frombuffer(base64.b64decode(s), dtype=np.float32).reshape(shape)

def load_data(path):
    with open(path) as f:
        j = json.load(f)
    return {'w0': _arr(j['w0'], (3, 1)), 'b0': _arr(j['b0'], (1,)),
            'xs': [_arr(s, (N, 3)) for s in j['xs']], 'ys': [_arr(s, (N, 1)) for s in j['ys']]}

def build_model(d):
    w = tf1.Variable(d['w0'], name='w')
    b = tf1.Variable(d['b0'], name='b')
    x = tf1.placeholder(tf.float32, [None, 3], name='x')
    y = tf1.placeholder(tf.float32, [None, 1], name='y')
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    return loss, x, y

def b64(a):
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode('ascii')
`;
