import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, Output } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import type { Tensor } from '../../lib/core/tensor';
import { ValueError } from '../../lib/core/errors';
import { Saver } from '../../lib/checkpoint/saver';
import { asDefault, controlDependencies, nameScope } from '../../lib/ops/scope';
import { constant, placeholder } from '../../lib/ops/constant';
import * as raw from '../../lib/ops/gen';
import { setRandomSeed } from '../../lib/ops/random-seed';
import {
  constantInitializer,
  onesInitializer,
  randomNormalInitializer,
  randomUniformInitializer,
  truncatedNormalInitializer,
  zerosInitializer,
} from '../../lib/ops/initializers';
import {
  type Variable,
  getVariable,
  globalVariables,
  globalVariablesInitializer,
  localVariables,
  trainableVariables,
  variableScope,
} from '../../lib/ops/variables';
import { requirePythonTF, runPythonJSON, type RawTensor } from '../support/python';

// The same model in Python and in TS (control inputs compared as sets: TF keeps them in an edge set): names, op types, inputs, seeds, collections and initial values must match.
const PY_MODEL = `
g = tf.Graph()
with g.as_default():
  tf1.set_random_seed(42)
  x = tf1.placeholder(tf.float32, [None, 3], name='x')
  with tf1.variable_scope('dense'):
    w = tf1.get_variable('kernel', [3, 4])
    b = tf1.get_variable('bias', [4], initializer=tf1.zeros_initializer())
  with tf1.variable_scope('dense', reuse=True):
    assert tf1.get_variable('kernel') is w
  with tf1.variable_scope('dense'):
    tf1.get_variable('big', [40, 30], initializer=tf1.zeros_initializer())
    tf1.get_variable('ones', [2], initializer=tf1.ones_initializer(), trainable=False)
    tf1.get_variable('k', [2], initializer=tf1.constant_initializer(3.5))
    tf1.get_variable('k2', [2, 2], initializer=tf1.constant_initializer([1, 2, 3, 4]))
    tf1.get_variable('rn', [3], initializer=tf1.random_normal_initializer(0.5, 2.0))
    tf1.get_variable('tn', [3], initializer=tf1.truncated_normal_initializer(stddev=0.1, seed=7))
    tf1.get_variable('ru', [3], initializer=tf1.random_uniform_initializer(-1.0, 1.0))
    tf1.get_variable('loc', [2], collections=[tf1.GraphKeys.LOCAL_VARIABLES])
    tf1.get_variable('i', [2], dtype=tf.int32)
    c = tf.constant(1.0)
  with tf1.variable_scope('conv'):
    with tf1.variable_scope('inner'):
      tf1.get_variable('kernel', [3, 3, 2, 8])
  top = tf1.get_variable('top', [5, 5])
  y = tf.matmul(x, w)
  upd = w.assign_add(tf.ones([3, 4]))
  init = tf1.global_variables_initializer()
ops = []
for op in g.get_operations():
  a = {}
  for k in ('seed', 'seed2'):
    try: a[k] = op.get_attr(k)
    except Exception: pass
  ops.append([op.name, op.type, [t.name for t in op.inputs], sorted(c.name for c in op.control_inputs), a])
cols = {k: [v.name for v in g.get_collection(k)] for k in ('variables', 'trainable_variables', 'local_variables')}
defs = [str(v.to_proto()) for v in g.get_collection('variables')]
with tf1.Session(graph=g) as s:
  s.run(init)
  s.run(tf1.local_variables_initializer())
  vals = {v.op.name: raw(s.run(v)) for v in g.get_collection('variables') + g.get_collection('local_variables')}
emit({'ops': ops, 'cols': cols, 'vals': vals, 'defs': defs})
`;

function buildTs(g: Graph) {
  return asDefault(g, () => {
    setRandomSeed(42);
    const x = placeholder('float32', { shape: [null, 3], name: 'x' });
    const w = variableScope('dense', () => {
      const kernel = getVariable('kernel', { shape: [3, 4] });
      getVariable('bias', { shape: [4], initializer: zerosInitializer() });
      return kernel;
    });
    variableScope('dense', () => expect(getVariable('kernel')).toBe(w), { reuse: true });
    variableScope('dense', () => {
      getVariable('big', { shape: [40, 30], initializer: zerosInitializer() });
      getVariable('ones', { shape: [2], initializer: onesInitializer(), trainable: false });
      getVariable('k', { shape: [2], initializer: constantInitializer(3.5) });
      getVariable('k2', { shape: [2, 2], initializer: constantInitializer([1, 2, 3, 4]) });
      getVariable('rn', { shape: [3], initializer: randomNormalInitializer({ mean: 0.5, stddev: 2.0 }) });
      getVariable('tn', { shape: [3], initializer: truncatedNormalInitializer({ stddev: 0.1, seed: 7 }) });
      getVariable('ru', { shape: [3], initializer: randomUniformInitializer({ minval: -1, maxval: 1 }) });
      getVariable('loc', { shape: [2], collections: ['local_variables'] });
      getVariable('i', { shape: [2], dtype: 'int32' });
      constant(1.0);
    });
    variableScope('conv', () => variableScope('inner', () => getVariable('kernel', { shape: [3, 3, 2, 8] })));
    getVariable('top', { shape: [5, 5] });
    raw.matMul(x, w.value());
    const ones = nameScope('ones', (scope) => constant(1, { dtype: 'float32', shape: [3, 4], name: scope }));
    w.assignAdd(ones);
    globalVariablesInitializer();
    return { w };
  });
}

function opsOf(g: Graph) {
  return g.operations().map((op) => {
    const a: Record<string, number> = {};
    for (const k of ['seed', 'seed2']) {
      try {
        a[k] = Number(op.attr(k).value.value);
      } catch {
        // not a random op
      }
    }
    return [op.name, op.type, op.inputs.map((t) => t.name), op.controlInputs.map((c) => c.name).sort(), Object.keys(a).length ? a : {}];
  });
}

const b64 = (t: Tensor) => {
  const d = t.data as Float32Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
};

describe('variables and initializers as tf.compat.v1.get_variable (live Python)', () => {
  let py: { ops: unknown[]; cols: Record<string, string[]>; vals: Record<string, RawTensor>; defs: string[] };
  let dir: string;
  beforeAll(() => {
    requirePythonTF();
    py = runPythonJSON(PY_MODEL);
    dir = mkdtempSync(join(tmpdir(), 'tfm-vars-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same ops (names, types, inputs, control inputs, seeds) and collections as Python', () => {
    const g = new Graph();
    buildTs(g);
    expect(opsOf(g)).toEqual(py.ops);
    const names = (vs: Variable[]) => vs.map((v) => v.name);
    asDefault(g, () => {
      expect(names(globalVariables())).toEqual(py.cols.variables);
      expect(names(trainableVariables())).toEqual(py.cols.trainable_variables);
      expect(names(localVariables())).toEqual(py.cols.local_variables);
    });
    const defs = g.collections.variables();
    expect(defs.map((d) => [d.variableName, d.initializerName, d.snapshotName, d.initialValueName, d.trainable])).toEqual(
      py.defs.map((text) => {
        const field = (k: string) => new RegExp(`${k}: "([^"]*)"`).exec(text)?.[1];
        return [
          field('variable_name'),
          field('initializer_name'),
          field('snapshot_name'),
          field('initial_value_name'),
          /trainable: true/.test(text),
        ];
      }),
    );
  });

  it('initializes seeded variables to the same values as Python, bit for bit', async () => {
    const g = new Graph();
    buildTs(g);
    const sess = new Session(g);
    try {
      await sess.run(g.operation('init'));
      const vars = asDefault(g, () => [...globalVariables(), ...localVariables()]);
      await sess.run(
        asDefault(g, () =>
          nameScope('', () => raw.noOp({ name: 'init_local', controlInputs: localVariables().map((v) => v.initializer) })),
        ),
      );
      expect(vars.map((v) => v.op.name).sort()).toEqual(Object.keys(py.vals).sort());
      for (const v of vars) {
        const t = (await sess.run(v.ref)) as Tensor;
        const want = py.vals[v.op.name];
        expect(t.shape, v.op.name).toEqual(want.shape);
        expect(t.dtype, v.op.name).toBe(want.dtype);
        expect(b64(t), v.op.name).toBe(want.base64);
      }
    } finally {
      sess.close();
    }
  });

  it('a checkpoint and .meta our Saver writes from the TS-built graph: Python restores by the same names, and imports the .meta with the same collections', async () => {
    const g = new Graph();
    const { w } = buildTs(g);
    const saver = new Saver({ graph: g });
    const sess = new Session(g);
    let prefix: string;
    let expected: Record<string, string>;
    try {
      await sess.run(g.operation('init'));
      await sess.run(asDefault(g, () => w.assignAdd(constant(0.25, { shape: [3, 4] }))));
      expected = Object.fromEntries(
        await Promise.all(
          asDefault(g, () => globalVariables())
            .filter((v) => v.dtype === 'float32')
            .map(async (v) => [v.op.name, b64((await sess.run(v.ref)) as Tensor)] as const),
        ),
      );
      prefix = (await saver.save(sess, join(dir, 'model.ckpt')))!;
    } finally {
      sess.close();
    }
    const restored = runPythonJSON<Record<string, RawTensor>>(
      `
${PY_MODEL.replace(/^emit\(.*$/m, '')}
with g.as_default():
  saver = tf1.train.Saver()
  with tf1.Session(graph=g) as s:
    saver.restore(s, sys.argv[1])
    emit({v.op.name: raw(s.run(v)) for v in g.get_collection('variables') if v.dtype.base_dtype == tf.float32})
`,
      { args: [prefix] },
    );
    expect(Object.keys(restored).sort()).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(restored)) expect(v.base64, k).toBe(expected[k]);

    // The .meta the Saver wrote from the TS-built graph: Python imports it and finds every variable
    // in the right collections by its VariableDef, then restores the values into that graph.
    const fromMeta = runPythonJSON<{ cols: Record<string, string[]>; vals: Record<string, RawTensor> }>(
      `
g = tf.Graph()
with g.as_default():
  saver = tf1.train.import_meta_graph(sys.argv[1] + '.meta')
  cols = {k: [v.name for v in g.get_collection(k)] for k in ('variables', 'trainable_variables', 'local_variables')}
  with tf1.Session(graph=g) as s:
    saver.restore(s, sys.argv[1])
    vals = {v.op.name: raw(s.run(v)) for v in g.get_collection('variables') if v.dtype.base_dtype == tf.float32}
emit({'cols': cols, 'vals': vals})
`,
      { args: [prefix] },
    );
    expect(fromMeta.cols).toEqual(py.cols);
    for (const [k, v] of Object.entries(fromMeta.vals)) expect(v.base64, k).toBe(expected[k]);
  });

  it('creates variables outside control-dependency scopes and names assign/assignAdd/assignSub with JS values as Python (live Python)', () => {
    const pyOps = runPythonJSON<unknown[]>(`
      g = tf.Graph()
      with g.as_default():
        w = tf1.get_variable('w', [2])
        c = tf.constant(1.0)
        with tf.control_dependencies([c]):
          v = tf1.get_variable('v', [2])
          d = tf.constant(2.0)
        w.assign([1.0, 2.0]); w.assign_add([1.0, 1.0]); w.assign_sub(tf.ones([2]))
      emit([[o.name, o.type, [t.name for t in o.inputs], [x.name for x in o.control_inputs]] for o in g.get_operations()])
    `);
    const g = new Graph();
    asDefault(g, () => {
      const w = getVariable('w', { shape: [2] });
      const c = constant(1.0);
      controlDependencies([c], () => {
        getVariable('v', { shape: [2] });
        constant(2.0);
      });
      w.assign([1, 2]);
      w.assignAdd([1, 1]);
      w.assignSub(nameScope('ones', (scope) => constant(1, { shape: [2], name: scope })));
    });
    expect(g.operations().map((o) => [o.name, o.type, o.inputs.map((t) => t.name), o.controlInputs.map((x) => x.name)])).toEqual(pyOps);
  });

  it('reuse rules and bad arguments are ValueErrors / typed errors naming the problem', () => {
    const g = new Graph();
    asDefault(g, () => {
      variableScope('s', () => getVariable('v', { shape: [2] }));
      expect(() => variableScope('s', () => getVariable('v', { shape: [2] }))).toThrow(/already exists, disallowed/);
      expect(() => variableScope('s', () => getVariable('nope', { shape: [2] }), { reuse: true })).toThrow(/does not exist/);
      expect(() => variableScope('s', () => getVariable('v', { shape: [3] }), { reuse: true })).toThrow(ValueError);
      const auto = variableScope('s', () => [getVariable('v'), getVariable('new', { shape: [1] })], { reuse: 'auto' });
      expect(auto.map((v) => v.op.name)).toEqual(['s/v', 's/new']);
      expect(() => getVariable('noshape')).toThrow(/shape/);
      expect(() => getVariable('s', { shape: [1], dtype: 'string' })).toThrow(/initializer/);
      expect(() => variableScope('x', () => 0, { reuse: 'yes' as never })).toThrow(/reuse/);
      const fromValue = getVariable('fromValue', { initializer: constant([[1, 2]]) });
      expect(fromValue.shape).toEqual([1, 2]);
      expect(fromValue.value()).toBeInstanceOf(Output);
    });
  });
});
