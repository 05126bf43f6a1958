/**
 * Issue 21, "It must show" 1 and 2: models built and trained entirely in TypeScript interchange
 * with Python. A linear regression (Momentum) and an MLP (Adam, softmax cross entropy) are built
 * in TS from seeded initial values and trained 10 steps by a MonitoredTrainingSession, which
 * saves a checkpoint at the end; a second MTS on the same directory restores it and trains 5 more
 * steps. Live Python then builds the same models from the same initial values: its first 10 losses
 * equal ours bit for bit, and after restoring our checkpoint with its own Saver (every variable and
 * slot found by Python's name) its next 5 losses on the same feeds equal our steps 11-15; so do
 * the next 5 losses of Python running our `.meta` alone (import_meta_graph, its train_op collection).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph, type Output } from '../../lib/core/graph';
import { getOrCreateGlobalStep } from '../../lib/core/global-step';
import { Tensor } from '../../lib/core/tensor';
import { matMul, addV2, relu, softmaxCrossEntropyWithLogits, mean, placeholder, square, sub } from '../../lib/ops/gen';
import { addScopedOp, asDefault } from '../../lib/ops/scope';
import { getVariable, type Variable } from '../../lib/ops/variables';
import { AdamOptimizer } from '../../lib/optimizers/adam';
import { MomentumOptimizer } from '../../lib/optimizers/momentum';
import type { Optimizer } from '../../lib/optimizers/optimizer';
import { MonitoredTrainingSession } from '../../lib/train/monitored-training-session';
import { requirePythonTF, runPythonJSONAsync } from '../support/python';
import { b64, seeded } from '../optimizers/model';

const N = 16;
const FIRST = 10;
const MORE = 5;

interface Spec {
  key: string;
  /** name → shape of each variable, in creation order (Python creates them in the same order). */
  vars: Array<[string, number[]]>;
  xDim: number;
  yDim: number;
  /** TS: the loss from x, y and the variables' snapshots. */
  loss: (x: Output, y: Output, v: Record<string, Output>) => Output;
  /** Python: the loss from x, y and the dict of variables. */
  pyLoss: string;
  optimizer: () => Optimizer;
  pyOptimizer: string;
  /** Labels: one-hot rows (classification) or seeded values (regression). */
  oneHot: boolean;
}

const axes = (values: number[]) => addScopedOp({ type: 'Const', attrs: { dtype: 'int32', value: Tensor.from(values, 'int32') } }).output(0);

const SPECS: Spec[] = [
  {
    key: 'linear',
    vars: [
      ['w', [3, 1]],
      ['b', [1]],
    ],
    xDim: 3,
    yDim: 1,
    loss: (x, y, v) => mean(square(sub(addV2(matMul(x, v.w), v.b), y)), axes([0, 1])),
    pyLoss: 'tf.reduce_mean(tf.square(tf.matmul(x, v["w"]) + v["b"] - y))',
    optimizer: () => new MomentumOptimizer(0.05, 0.9),
    pyOptimizer: 'tf1.train.MomentumOptimizer(0.05, 0.9)',
    oneHot: false,
  },
  {
    key: 'mlp',
    vars: [
      ['hidden/w', [4, 8]],
      ['hidden/b', [8]],
      ['out/w', [8, 3]],
      ['out/b', [3]],
    ],
    xDim: 4,
    yDim: 3,
    loss: (x, y, v) => {
      const h = relu(addV2(matMul(x, v['hidden/w']), v['hidden/b']));
      const logits = addV2(matMul(h, v['out/w']), v['out/b']);
      return mean(softmaxCrossEntropyWithLogits(logits, y).loss, axes([0]));
    },
    pyLoss: `tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y,
        logits=tf.matmul(tf.nn.relu(tf.matmul(x, v["hidden/w"]) + v["hidden/b"]), v["out/w"]) + v["out/b"]))`,
    optimizer: () => new AdamOptimizer(0.05),
    pyOptimizer: 'tf1.train.AdamOptimizer(0.05)',
    oneHot: true,
  },
];

interface Data {
  init: Record<string, Float32Array>;
  xs: Float32Array[];
  ys: Float32Array[];
}

function dataFor(spec: Spec, seed: number): Data {
  const init: Record<string, Float32Array> = {};
  spec.vars.forEach(([name, shape], i) => {
    init[name] = seeded(
      seed + i,
      shape.reduce((a, b) => a * b, 1),
    ).map((v) => v * 0.5);
  });
  const xs: Float32Array[] = [];
  const ys: Float32Array[] = [];
  for (let s = 0; s < FIRST + MORE; s++) {
    xs.push(seeded(seed + 100 + s, N * spec.xDim));
    if (spec.oneHot) {
      const r = seeded(seed + 200 + s, N);
      const y = new Float32Array(N * spec.yDim);
      r.forEach((v, i) => (y[i * spec.yDim + Math.min(spec.yDim - 1, Math.floor(((v + 1) / 2) * spec.yDim))] = 1));
      ys.push(y);
    } else ys.push(seeded(seed + 200 + s, N * spec.yDim));
  }
  return { init, xs, ys };
}

let dir: string;
beforeAll(() => {
  requirePythonTF();
  dir = mkdtempSync(join(tmpdir(), 'tfm-train-parity-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Builds the model in a new graph with the building API: `getVariable` (initial values given as
 * tensors), the generated op functions, and the optimizer over the default `trainable_variables`.
 */
function build(spec: Spec, d: Data) {
  const g = new Graph();
  return asDefault(g, () => {
    const vars: Record<string, Variable> = {};
    for (const [name, shape] of spec.vars)
      vars[name] = getVariable(name, { initializer: Tensor.from({ dtype: 'float32', shape, data: d.init[name] }) });
    const gs = getOrCreateGlobalStep(g);
    const x = placeholder({ dtype: 'float32', shape: [-1, spec.xDim], name: 'x' });
    const y = placeholder({ dtype: 'float32', shape: [-1, spec.yDim], name: 'y' });
    const loss = spec.loss(x, y, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.value()])));
    const opt = spec.optimizer();
    const train = opt.minimize(loss, { globalStep: gs });
    return { g, loss, train, opt, vars };
  });
}

const feeds = (spec: Spec, d: Data, s: number) => ({
  'x:0': Tensor.from({ dtype: 'float32', shape: [N, spec.xDim], data: d.xs[s] }),
  'y:0': Tensor.from({ dtype: 'float32', shape: [N, spec.yDim], data: d.ys[s] }),
});

const hex = (t: Tensor) => Buffer.from((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, 4).toString('hex');

/** Runs steps [from, to) in a MonitoredTrainingSession on `ckptDir` (restoring what is there). */
async function trainMts(spec: Spec, d: Data, ckptDir: string, from: number, to: number): Promise<string[]> {
  const { g, loss, train, opt, vars } = build(spec, d);
  // The optimizer takes getVariable's Variables and names their slots as Python.
  for (const [name, v] of Object.entries(vars)) {
    for (const slot of opt.getSlotNames()) expect(opt.getSlot(v, slot)?.name).toMatch(new RegExp(`^${name}/(Adam|Adam_1|Momentum):0$`));
  }
  const sess = await MonitoredTrainingSession({
    graph: g,
    checkpointDir: ckptDir,
    saveSummariesSteps: null,
    logStepCountSteps: null,
    saveCheckpointSteps: 1000,
  });
  const losses: string[] = [];
  try {
    for (let s = from; s < to; s++) {
      const [l] = (await sess.run([loss, train], feeds(spec, d, s))) as [Tensor, unknown];
      losses.push(hex(l));
    }
  } finally {
    await sess.close(); // the CheckpointSaverHook saves at the end
  }
  return losses;
}

const PY = `
import glob
specs = json.load(open(sys.argv[1]))
def arr(s, shape):
    return np.frombuffer(base64.b64decode(s), dtype=np.float32).reshape(shape)
def h(v):
    return np.float32(v).tobytes().hex()
out = {}
for sp in specs:
    def build():
        g = tf.Graph()
        with g.as_default():
            v = {}
            for name, shape in sp['vars']:
                v[name] = tf1.Variable(arr(sp['init'][name], shape), name=name)
            gs = tf1.train.get_or_create_global_step()
            x = tf1.placeholder(tf.float32, [None, sp['xDim']], name='x')
            y = tf1.placeholder(tf.float32, [None, sp['yDim']], name='y')
            loss = eval(sp['pyLoss'])
            train = eval(sp['pyOptimizer']).minimize(loss, global_step=gs)
        return g, loss, train, x, y
    def feed(x, y, s):
        return {x: arr(sp['xs'][s], (-1, sp['xDim'])), y: arr(sp['ys'][s], (-1, sp['yDim']))}
    # 2: the same model from the same initial values, trained by Python.
    g, loss, train, x, y = build()
    with g.as_default(), tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        first = [h(sess.run([loss, train], feed(x, y, s))[0]) for s in range(${FIRST})]
    # 1: Python's Saver restores our checkpoint (every variable and slot by its name), then trains on.
    g, loss, train, x, y = build()
    ckpt = tf.train.latest_checkpoint(sp['dir'])
    with g.as_default(), tf1.Session() as sess:
        tf1.train.Saver().restore(sess, ckpt)
        step = int(sess.run(tf1.train.get_global_step()))
        more = [h(sess.run([loss, train], feed(x, y, s))[0]) for s in range(${FIRST}, ${FIRST + MORE})]
        names = sorted(v.op.name for v in tf1.global_variables())
    # And from our .meta alone, without the model's Python code: the graph, its collections (the
    # variables with their slots, train_op) and the checkpoint give the same next losses.
    g = tf.Graph()
    with g.as_default():
        saver = tf1.train.import_meta_graph(ckpt + '.meta')
        train = tf1.get_collection('train_op')[0]
        loss = g.get_tensor_by_name(sp['lossName'])
        x, y = g.get_tensor_by_name('x:0'), g.get_tensor_by_name('y:0')
        meta_names = sorted(v.op.name for v in tf1.global_variables())
        meta_trainable = sorted(v.op.name for v in tf1.trainable_variables())
        with tf1.Session() as sess:
            saver.restore(sess, ckpt)
            meta_more = [h(sess.run([loss, train], feed(x, y, s))[0]) for s in range(${FIRST}, ${FIRST + MORE})]
    out[sp['key']] = {'first': first, 'more': more, 'step': step, 'checkpoint': os.path.basename(ckpt),
                      'names': names, 'keys': sorted(tf.train.load_checkpoint(ckpt).get_variable_to_shape_map()),
                      'metaNames': meta_names, 'metaTrainable': meta_trainable, 'metaMore': meta_more}
emit(out)
`;

describe('training built in TypeScript, resumed by Python (issue 21, must-show 1 and 2)', () => {
  it('linear regression and an MLP: the first 10 losses equal Python’s, and Python restores our checkpoint and goes on with our losses', async () => {
    const ours: Record<string, { first: string[]; more: string[] }> = {};
    const lossNames: Record<string, string> = {};
    const pySpecs = [];
    for (const [i, spec] of SPECS.entries()) {
      const d = dataFor(spec, 2100 + 37 * i);
      const ckptDir = join(dir, spec.key);
      lossNames[spec.key] = build(spec, d).loss.name;
      const first = await trainMts(spec, d, ckptDir, 0, FIRST);
      const more = await trainMts(spec, d, ckptDir, FIRST, FIRST + MORE); // restores step 10 first
      ours[spec.key] = { first, more };
      // Python resumes from the checkpoint of step 10 (the second session's is step 15).
      rmSync(join(ckptDir, 'checkpoint'));
      writeFileSync(
        join(ckptDir, 'checkpoint'),
        `model_checkpoint_path: "model.ckpt-${FIRST}"\nall_model_checkpoint_paths: "model.ckpt-${FIRST}"\n`,
      );
      pySpecs.push({
        key: spec.key,
        dir: ckptDir,
        vars: spec.vars,
        xDim: spec.xDim,
        yDim: spec.yDim,
        pyLoss: spec.pyLoss,
        pyOptimizer: spec.pyOptimizer,
        lossName: lossNames[spec.key],
        init: Object.fromEntries(Object.entries(d.init).map(([k, a]) => [k, b64(a)])),
        xs: d.xs.map(b64),
        ys: d.ys.map(b64),
      });
    }
    const specsPath = join(dir, 'specs.json');
    writeFileSync(specsPath, JSON.stringify(pySpecs));
    const py = await runPythonJSONAsync<
      Record<
        string,
        {
          first: string[];
          more: string[];
          step: number;
          checkpoint: string;
          names: string[];
          keys: string[];
          metaNames: string[];
          metaTrainable: string[];
          metaMore: string[];
        }
      >
    >(PY, { args: [specsPath], timeoutMs: 240_000 });
    for (const spec of SPECS) {
      const p = py[spec.key];
      const o = ours[spec.key];
      expect(p.checkpoint).toBe(`model.ckpt-${FIRST}`);
      expect(p.step).toBe(FIRST);
      // Every variable Python's graph has (model, slots, beta powers, global step) is in our checkpoint.
      expect(p.keys).toEqual(p.names);
      expect({ key: spec.key, first: o.first }).toEqual({ key: spec.key, first: p.first });
      expect({ key: spec.key, more: o.more }).toEqual({ key: spec.key, more: p.more });
      expect({ key: spec.key, more: o.more }).toEqual({ key: spec.key, more: p.metaMore });
      expect(p.metaNames).toEqual(p.names);
      expect(p.metaTrainable).toEqual(spec.vars.map(([n]) => n).sort());
      // The model learns: the losses are not all the same value.
      expect(new Set(o.first).size).toBeGreaterThan(5);
    }
    expect(py.mlp.names).toEqual(
      expect.arrayContaining(['beta1_power', 'beta2_power', 'hidden/w/Adam', 'hidden/w/Adam_1', 'out/b/Adam_1']),
    );
    expect(py.linear.names).toEqual(expect.arrayContaining(['w/Momentum', 'b/Momentum', 'global_step']));
  });
});
