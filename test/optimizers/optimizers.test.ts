/**
 * The optimizers against live Python: the same linear regression, built in TS and in Python from
 * the same initial values and trained 5 steps on the same seeded batches with each optimizer, gives
 * bit-identical variables, slots and beta powers; the same variable names, collections and update
 * ops (GraphDefs compared outside the gradient ops); and Python's Saver restores our checkpoint,
 * finding every slot by Python's name.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphKeys } from '../../lib/core/collections';
import { ValueError } from '../../lib/core/errors';
import { Graph, type Operation, type Output } from '../../lib/core/graph';
import { getOrCreateGlobalStep } from '../../lib/core/global-step';
import { Session } from '../../lib/core/session';
import type { Tensor } from '../../lib/core/tensor';
import { Saver } from '../../lib/checkpoint/saver';
import { asDefault, nameScope } from '../../lib/ops/scope';
import { AdamOptimizer } from '../../lib/optimizers/adam';
import { GradientDescentOptimizer } from '../../lib/optimizers/gradient-descent';
import { exponentialDecay } from '../../lib/optimizers/learning-rate';
import { MomentumOptimizer } from '../../lib/optimizers/momentum';
import type { Optimizer } from '../../lib/optimizers/optimizer';
import { RMSPropOptimizer } from '../../lib/optimizers/rmsprop';
import { globalVariables, trainableVariables } from '../../lib/ops/variables';
import { requirePythonTF, runPythonJSON, runPythonJSONAsync } from '../support/python';
import { PY_COMPARE_GRAPHS, writeGraphDef } from '../ops/graph-compare';
import { PY_MODEL, STEPS, buildModel, dataJSON, feedsOf, makeData } from './model';

interface Case {
  key: string;
  make: (g: Graph, gs: Output) => Optimizer;
  py: string;
}

const CASES: Case[] = [
  { key: 'gd', make: () => new GradientDescentOptimizer(0.1), py: 'tf1.train.GradientDescentOptimizer(0.1)' },
  { key: 'momentum', make: () => new MomentumOptimizer(0.1, 0.9), py: 'tf1.train.MomentumOptimizer(0.1, 0.9)' },
  {
    key: 'nesterov',
    make: () => new MomentumOptimizer(0.05, 0.8, { useNesterov: true }),
    py: 'tf1.train.MomentumOptimizer(0.05, 0.8, use_nesterov=True)',
  },
  { key: 'adam', make: () => new AdamOptimizer(0.1), py: 'tf1.train.AdamOptimizer(0.1)' },
  { key: 'rmsprop', make: () => new RMSPropOptimizer(0.01), py: 'tf1.train.RMSPropOptimizer(0.01)' },
  {
    key: 'rmsprop-centered',
    make: () => new RMSPropOptimizer(0.01, { momentum: 0.5, centered: true, decay: 0.8 }),
    py: 'tf1.train.RMSPropOptimizer(0.01, decay=0.8, momentum=0.5, centered=True)',
  },
  {
    key: 'gd-decay',
    make: (g, gs) => new GradientDescentOptimizer(asDefault(g, () => exponentialDecay(0.2, gs, 2, 0.5, { staircase: true }))),
    py: 'tf1.train.GradientDescentOptimizer(tf1.train.exponential_decay(0.2, gs, 2, 0.5, staircase=True))',
  },
];

const data = makeData();
let dir: string;
beforeAll(() => {
  requirePythonTF();
  dir = mkdtempSync(join(tmpdir(), 'tfm-optimizers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeData(): string {
  const p = join(dir, 'data.json');
  writeFileSync(p, dataJSON(data));
  return p;
}

interface Ours {
  globals: string[];
  trainables: string[];
  trainOps: string[];
  values: Record<string, string>;
  slots: Record<string, string[]>;
  prefix: string;
  graph: string;
}

async function trainOurs(c: Case): Promise<Ours> {
  const g = new Graph();
  const { loss, w, b } = buildModel(g, data);
  const gs = getOrCreateGlobalStep(g);
  const opt = c.make(g, gs);
  const train = opt.minimize(loss, { globalStep: gs });
  const graphFile = writeGraphDef(g, dir, `${c.key}.pb`);
  const vars = globalVariables(undefined, g);
  const saver = new Saver({ graph: g });
  const sess = new Session(g);
  try {
    await sess.run(vars.map((v) => v.initializer));
    for (let i = 0; i < STEPS; i++) await sess.run(train, feedsOf(data, i));
    const vals = (await sess.run(vars.map((v) => v.ref))) as Tensor[];
    const values: Record<string, string> = {};
    vars.forEach((v, i) => {
      const t = vals[i].data as unknown as ArrayBufferView;
      values[v.name] = Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('base64');
    });
    mkdirSync(join(dir, c.key), { recursive: true });
    const prefix = (await saver.save(sess, join(dir, c.key, 'model.ckpt')))!;
    const slots: Record<string, string[]> = {};
    for (const s of opt.getSlotNames()) slots[s] = [w, b].map((v) => opt.getSlot(v, s)?.name ?? 'none');
    // variables(): what the optimizer made, sorted by name, as Python's.
    expect(opt.variables().map((v) => v.name)).toEqual(
      vars
        .map((v) => v.name)
        .filter((n) => !['w:0', 'b:0', 'global_step:0'].includes(n) && !n.startsWith('ExponentialDecay'))
        .sort(),
    );
    return {
      globals: vars.map((v) => v.name),
      trainables: trainableVariables(undefined, g).map((v) => v.name),
      trainOps: g.getCollection<Operation>(GraphKeys.TRAIN_OP).map((o) => o.name),
      values,
      slots,
      prefix,
      graph: graphFile,
    };
  } finally {
    await sess.close();
  }
}

const PY = `
${PY_COMPARE_GRAPHS}
${PY_MODEL}
cases = json.loads(sys.argv[1])
d = load_data(sys.argv[2])
out = {}
for c in cases:
    g = tf.Graph()
    with g.as_default():
        loss, x, y = build_model(d)
        gs = tf1.train.get_or_create_global_step()
        opt = eval(c['py'])
        train = opt.minimize(loss, global_step=gs)
        diffs = compare_graphs(c['graph'], g, skip_prefix='gradients')
        gvars = tf1.global_variables()
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            for i in range(${STEPS}):
                sess.run(train, {x: d['xs'][i], y: d['ys'][i]})
            values = {v.name: b64(sess.run(v)) for v in gvars}
        # Python's Saver restores our checkpoint into its graph: every variable and slot is found by name.
        with tf1.Session() as sess:
            tf1.train.Saver().restore(sess, c['prefix'])
            restored = {v.name: b64(sess.run(v)) for v in gvars}
        slots = {s: [opt.get_slot(v, s).name for v in tf1.trainable_variables()] for s in opt.get_slot_names()}
    out[c['key']] = {
        'globals': [v.name for v in gvars], 'trainables': [v.name for v in g.get_collection('trainable_variables')],
        'trainOps': [o.name for o in g.get_collection('train_op')], 'values': values, 'restored': restored, 'slots': slots,
        'ckptKeys': sorted(tf.train.load_checkpoint(c['prefix']).get_variable_to_shape_map()),
        'diffs': diffs,
    }
emit(out)
`;

describe('optimizers against live Python (linear regression, 5 steps)', () => {
  it('give bit-identical variables and slots, Python names and collections, and checkpoints Python restores', async () => {
    const ours: Record<string, Ours> = {};
    for (const c of CASES) ours[c.key] = await trainOurs(c);
    const dataPath = writeData();
    const arg = JSON.stringify(CASES.map((c) => ({ key: c.key, py: c.py, prefix: ours[c.key].prefix, graph: ours[c.key].graph })));
    const py = await runPythonJSONAsync<
      Record<string, Omit<Ours, 'prefix' | 'graph'> & { restored: Record<string, string>; ckptKeys: string[]; diffs: string[] }>
    >(PY, {
      args: [arg, dataPath],
      timeoutMs: 240_000,
    });
    for (const c of CASES) {
      const o = ours[c.key];
      const p = py[c.key];
      expect({ key: c.key, diffs: p.diffs }).toEqual({ key: c.key, diffs: [] });
      expect(o.globals).toEqual(p.globals);
      expect(o.trainables).toEqual(p.trainables);
      expect(o.trainOps).toEqual(p.trainOps);
      expect(o.slots).toEqual(p.slots);
      // Bit for bit, every variable: the model's, the slots, the beta powers and the global step.
      expect({ key: c.key, values: o.values }).toEqual({ key: c.key, values: p.values });
      // Python restored our checkpoint: each of its variables holds what we saved.
      expect({ key: c.key, values: p.restored }).toEqual({ key: c.key, values: o.values });
      expect(p.ckptKeys).toEqual(o.globals.map((n) => n.replace(/:0$/, '')).sort());
    }
    expect(py.adam.globals).toEqual(
      expect.arrayContaining(['beta1_power:0', 'beta2_power:0', 'w/Adam:0', 'w/Adam_1:0', 'b/Adam:0', 'b/Adam_1:0']),
    );
    expect(py['rmsprop-centered'].globals).toEqual(expect.arrayContaining(['w/RMSProp:0', 'w/RMSProp_1:0', 'w/RMSProp_2:0']));
  });
});

describe('optimizer naming', () => {
  it('names a repeated minimize, a second optimizer, a varList subset, a name and a name scope as Python (live Python)', () => {
    const g = new Graph();
    const { loss, w } = buildModel(g, data);
    const gs = getOrCreateGlobalStep(g);
    const adam = new AdamOptimizer(0.1);
    const first = adam.minimize(loss, { globalStep: gs });
    const again = adam.minimize(loss); // the same slots and beta powers, a new 'Adam_1' scope
    const other = asDefault(g, () => nameScope('outer', () => new AdamOptimizer(0.01).minimize(loss, { varList: [w], name: 'step' })));
    const rms = new RMSPropOptimizer(0.1, { momentum: 0.9 }).minimize(loss, { varList: [w] });
    expect([first.name, again.name, other.name, rms.name]).toEqual(['Adam', 'Adam_1', 'outer/step', 'RMSProp']);
    const py = runPythonJSON<{ diffs: string[]; globals: string[]; trainOps: string[] }>(
      `${PY_COMPARE_GRAPHS}
${PY_MODEL}
d = load_data(sys.argv[2])
g = tf.Graph()
with g.as_default():
    loss, x, y = build_model(d)
    w = [v for v in tf1.trainable_variables() if v.op.name == 'w'][0]
    gs = tf1.train.get_or_create_global_step()
    adam = tf1.train.AdamOptimizer(0.1)
    adam.minimize(loss, global_step=gs)
    adam.minimize(loss)
    with tf.name_scope('outer'):
        tf1.train.AdamOptimizer(0.01).minimize(loss, var_list=[w], name='step')
    tf1.train.RMSPropOptimizer(0.1, momentum=0.9).minimize(loss, var_list=[w])
emit({'diffs': compare_graphs(sys.argv[1], g, skip_prefix='gradients'),
      'globals': [v.name for v in g.get_collection('variables')], 'trainOps': [o.name for o in g.get_collection('train_op')]})
`,
      { args: [writeGraphDef(g, dir, 'naming.pb'), writeData()] },
    );
    expect(py.diffs).toEqual([]);
    expect(globalVariables(undefined, g).map((v) => v.name)).toEqual(py.globals);
    expect(g.getCollection<Operation>(GraphKeys.TRAIN_OP).map((o) => o.name)).toEqual(py.trainOps);
    expect(py.globals).toEqual(expect.arrayContaining(['outer/beta1_power:0', 'w/Adam_2:0', 'w/Adam_3:0', 'w/RMSProp:0']));
  });
});

describe('optimizer errors', () => {
  it('bad input: typed errors naming the parameter', () => {
    const g = new Graph();
    const { loss } = buildModel(g, data);
    expect(() => new GradientDescentOptimizer('fast' as never)).toThrow(/learningRate/);
    expect(() => new MomentumOptimizer(0.1, 0.9, { nesterov: true } as never)).toThrow(/nesterov/);
    expect(() => new AdamOptimizer(0.1, { beta1: 'x' as never })).toThrow(/beta1/);
    expect(() => new GradientDescentOptimizer(0.1).minimize('loss' as never)).toThrow(/loss/);
    expect(() => new GradientDescentOptimizer(0.1).minimize(loss, { varList: [] })).toThrow(ValueError);
    expect(() => new GradientDescentOptimizer(0.1).minimize(loss, { varList: [loss] })).toThrow(/not a ref variable/);
    expect(() => new GradientDescentOptimizer(0.1).applyGradients([])).toThrow(/No variables provided/);
    expect(() => new GradientDescentOptimizer(0.1).applyGradients([[null, g.tensor('w:0')]])).toThrow(/No gradients provided/);
  });
});
