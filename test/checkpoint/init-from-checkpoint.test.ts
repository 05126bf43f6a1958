// Issue 12 (B): warm start, Python's tf.compat.v1.train.init_from_checkpoint. A source run trains
// 'old/w' and 'old/b' and checkpoints them; initFromCheckpoint maps them into another graph (a
// scope map, a rename); bad entries fail with Python's ValueErrors (compared with live Python's
// text); a MonitoredTrainingSession fine-tunes from the source run into its own directory, and
// Python reads the result.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, type Operation } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { type ArgumentError, ValueError } from '../../lib/core/errors';
import { StopAtStepHook } from '../../lib/hooks/basic/stop-at-step-hook';
import { MonitoredTrainingSession } from '../../lib/train/monitored-training-session';
import { Scaffold } from '../../lib/checkpoint/scaffold';
import { getOrCreateGlobalStep } from '../../lib/core/global-step';
import { loadCheckpoint } from '../../lib/checkpoint/checkpoint-reader';
import { initFromCheckpoint } from '../../lib/index';
import { VariableDefSchema, create } from '../../lib/proto';
import * as logging from '../../lib/core/logging';
import { requirePythonTF, runPythonJSON } from '../support/python';
import { catchErrorSync } from '../support/errors';
import { tmpDir } from '../mts/support';

const CONFIG = { intraOpParallelismThreads: 1, interOpParallelismThreads: 1 };
const W0 = [1, 2, 3, 4, 5, 6];
const B0 = [0.5, 0.25, 0.125];

/** A float variable with a constant initializer (`<name>/Assign`), in the variables collections. */
function addVar(g: Graph, name: string, shape: number[], values: number[]): Operation {
  const v = g.addOp({ type: 'VariableV2', name, attrs: { dtype: 'float32', shape } });
  const init = g.addOp({
    type: 'Const',
    name: `${name}/Initializer/Const`,
    attrs: { dtype: 'float32', value: { dtype: 'float32', shape, data: values } },
  });
  g.addOp({ type: 'Assign', name: `${name}/Assign`, inputs: [v, init], attrs: { use_locking: true, validate_shape: true } });
  g.addOp({ type: 'Identity', name: `${name}/read`, inputs: [v] });
  g.addToCollection('variables', v);
  g.addToCollection('trainable_variables', v);
  return v;
}

/** `scope/w` [2, 3] and `scope/b` (shape bShape), the global step, and `train`: each variable *= 0.9, step += 1. */
function model(scope: string, bShape = [3], init = { w: W0.map((x) => -x), b: Array(bShape.reduce((a, d) => a * d, 1)).fill(-1) }): Graph {
  const g = new Graph();
  const gs = getOrCreateGlobalStep(g);
  const scale = g.addOp({ type: 'Const', name: 'scale', attrs: { dtype: 'float32', value: 0.1 } });
  const updates = [addVar(g, `${scope}/w`, [2, 3], init.w), addVar(g, `${scope}/b`, bShape, init.b)].map((v) =>
    g.addOp({
      type: 'AssignSub',
      name: `${v.name}/update`,
      inputs: [v, g.addOp({ type: 'Mul', name: `${v.name}/delta`, inputs: [v, scale] })],
    }),
  );
  const one = g.addOp({ type: 'Const', name: 'one', attrs: { dtype: 'int64', value: 1n } });
  const inc = g.addOp({ type: 'AssignAdd', name: 'inc', inputs: [gs, one], controlInputs: updates });
  g.addOp({ type: 'NoOp', name: 'train', controlInputs: [inc] });
  return g;
}

/**
 * Trains to `lastStep` with checkpoints in `dir`: model.ckpt-0 holds the values the session started
 * from (saved right after initialization), model.ckpt-<lastStep> the trained ones.
 */
async function train(graph: Graph, dir: string, lastStep: number): Promise<void> {
  const sess = await MonitoredTrainingSession({
    graph,
    checkpointDir: dir,
    hooks: [new StopAtStepHook({ lastStep })],
    config: CONFIG,
    saveSummariesSteps: null,
  });
  try {
    while (!sess.shouldStop()) await sess.run('train');
  } finally {
    await sess.close();
  }
}

/** `steps` training steps on float32 values, as TF computes them (Mul, then Sub, each rounded). */
const trained = (values: number[], steps: number) =>
  values.map((x) => {
    for (let i = 0; i < steps; i++) x = Math.fround(x - Math.fround(x * Math.fround(0.1)));
    return x;
  });

/** The values the graph's init op gives: what Scaffold runs when there is no checkpoint of its own. */
async function initialValues(graph: Graph, names: string[]): Promise<number[][]> {
  const scaffold = new Scaffold().finalize(graph);
  const sess = new Session(graph);
  try {
    await sess.run(scaffold.initOp!);
    return await Promise.all(names.map(async (n) => [...((await sess.run(`${n}:0`))!.data as Float32Array)]));
  } finally {
    await sess.close();
  }
}

const read = (prefix: string, key: string) => [...(loadCheckpoint(prefix).getTensor(key).data as Float32Array)];

let source: string;
let sourceFiles: string[];
let sourceLast: Record<string, number[]>;
let fineDir: string;
let py: {
  missing: string;
  shape: string;
  noVariable: string;
  scopeMissing: string;
  warm: { w: number[]; b: number[] };
  result: { step: number; w: number[]; b: number[]; keys: string[] };
};

beforeAll(async () => {
  requirePythonTF();
  source = tmpDir('ifc-source-');
  await train(model('old', [3], { w: W0, b: B0 }), source, 3);
  sourceLast = { 'old/w': read(`${source}/model.ckpt-3`, 'old/w'), 'old/b': read(`${source}/model.ckpt-3`, 'old/b') };
  // The fine-tune: variables under 'new/' start from the source's 'old/', the global step from 0.
  sourceFiles = fs.readdirSync(source).sort();
  fineDir = tmpDir('ifc-fine-');
  const g = model('new');
  initFromCheckpoint(g, source, { 'old/': 'new/' });
  await train(g, fineDir, 4);
  py = runPythonJSON(
    `
    source, fine = sys.argv[1], sys.argv[2]
    out = {}
    def message(m, b_shape=(4,)):
        g = tf.Graph()
        with g.as_default():
            with tf1.variable_scope('new'):
                tf1.get_variable('w', [2, 3]); tf1.get_variable('b', list(b_shape))
            try:
                tf1.train.init_from_checkpoint(source, m)
            except ValueError as e:
                return str(e)
    out['missing'] = message({'old/nope': 'new/w'})
    out['shape'] = message({'old/b': 'new/b'})
    out['noVariable'] = message({'old/w': 'new/nope'})
    out['scopeMissing'] = message({'nope/': 'new/'})
    g = tf.Graph()
    with g.as_default():
        with tf1.variable_scope('new'):
            w = tf1.get_variable('w', [2, 3]); b = tf1.get_variable('b', [3])
        tf1.train.init_from_checkpoint(source, {'old/': 'new/'})
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            out['warm'] = {'w': sess.run(w).reshape(-1).tolist(), 'b': sess.run(b).tolist()}
    reader = tf.train.load_checkpoint(fine)
    out['result'] = {'step': int(reader.get_tensor('global_step')), 'w': reader.get_tensor('new/w').reshape(-1).tolist(),
                     'b': reader.get_tensor('new/b').tolist(), 'keys': sorted(reader.get_variable_to_shape_map())}
    emit(out)
  `,
    { args: [source, fineDir] },
  );
}, 240_000);

describe('initFromCheckpoint: assignment maps', () => {
  it("a scope map ('old/': 'new/') loads every variable under new/ from the same name under old/", async () => {
    const g = model('new');
    initFromCheckpoint(g, source, { 'old/': 'new/' });
    const [w, b] = await initialValues(g, ['new/w', 'new/b']);
    expect(w).toEqual(read(`${source}/model.ckpt-3`, 'old/w'));
    expect(b).toEqual(read(`${source}/model.ckpt-3`, 'old/b'));
    expect([w, b]).toEqual([py.warm.w, py.warm.b]);
    // The VariableDef records the checkpoint initializer, as Python's to_proto does.
    const def = g.collections.variables().find((d) => d.variableName === 'new/w:0')!;
    expect([def.initializerName, def.initialValueName]).toEqual([
      expect.stringMatching(/^Assign(_\d+)?:0$/),
      expect.stringMatching(/^checkpoint_initializer(_\d+)?:0$/),
    ]);
  });

  it("a rename ('old/w': 'new/w', from a checkpoint prefix) loads that variable only; a list of pairs maps one tensor twice", async () => {
    const g = model('new');
    initFromCheckpoint(g, `${source}/model.ckpt-3`, { 'old/w': 'new/w' });
    const [w, b] = await initialValues(g, ['new/w', 'new/b']);
    expect(w).toEqual(sourceLast['old/w']);
    expect(b).toEqual([-1, -1, -1]);

    // A variable object (an Operation) as the target, and one checkpoint tensor into two variables.
    const twice = model('new', [2, 3]);
    initFromCheckpoint(twice, source, [
      ['old/w', 'new/w'],
      ['old/w', twice.operation('new/b')],
    ]);
    expect(await initialValues(twice, ['new/w', 'new/b'])).toEqual([sourceLast['old/w'], sourceLast['old/w']]);
  });

  it("a root map ('/': '/') loads every variable, the global step too, from the checkpoint's root", async () => {
    const g = model('new');
    initFromCheckpoint(g, fineDir, { '/': '/' });
    const scaffold = new Scaffold().finalize(g);
    const sess = new Session(g);
    try {
      await sess.run(scaffold.initOp!);
      expect((await sess.run('global_step:0'))!.scalar()).toBe(4n);
      expect([...((await sess.run('new/w:0'))!.data as Float32Array)]).toEqual(read(path.join(fineDir, 'model.ckpt-4'), 'new/w'));
    } finally {
      await sess.close();
    }
  });

  it('a partitioned variable (<name>/part_<i>, slices from its VariableDefs) loads each slice of the tensor', async () => {
    const g = new Graph();
    for (const i of [0, 1]) {
      const name = `p/part_${i}`;
      const v = g.addOp({ type: 'VariableV2', name, attrs: { dtype: 'float32', shape: [1, 3] } });
      g.addOp({
        type: 'Assign',
        name: `${name}/Assign`,
        inputs: [
          v,
          g.addOp({
            type: 'Const',
            name: `${name}/zeros`,
            attrs: { dtype: 'float32', value: { dtype: 'float32', shape: [1, 3], data: [0, 0, 0] } },
          }),
        ],
      });
      g.addToCollection(
        'variables',
        create(VariableDefSchema, {
          variableName: `${name}:0`,
          initializerName: `${name}/Assign`,
          snapshotName: `${name}:0`,
          saveSliceInfoDef: { fullName: 'p', fullShape: [2n, 3n], varOffset: [BigInt(i), 0n], varShape: [1n, 3n] },
        }),
      );
    }
    initFromCheckpoint(g, source, { 'old/w': 'p' });
    const rows = await initialValues(g, ['p/part_0', 'p/part_1']);
    expect(rows).toEqual([sourceLast['old/w'].slice(0, 3), sourceLast['old/w'].slice(3)]);
  });

  it("a missing checkpoint name: ValueError with Python's text (the shape map listed by name)", () => {
    const g = model('new', [4]);
    const e = catchErrorSync<Error>(() => initFromCheckpoint(g, source, { 'old/nope': 'new/w' }));
    expect(e).toBeInstanceOf(ValueError);
    const head = (m: string) => m.slice(0, m.indexOf('{'));
    const entries = (m: string) =>
      m
        .slice(m.indexOf('{') + 1, -1)
        .split(/, (?=')/)
        .sort();
    expect(head(e.message)).toBe(head(py.missing));
    expect(head(e.message)).toBe(`Tensor old/nope is not found in ${source} checkpoint `);
    expect(entries(e.message)).toEqual(entries(py.missing));
    // A scope map whose names are missing, and a variable the graph does not have: Python's texts too.
    const scope = catchErrorSync<Error>(() => initFromCheckpoint(g, source, { 'nope/': 'new/' }));
    expect(scope).toBeInstanceOf(ValueError);
    expect(scope.message).toBe(py.scopeMissing);
    const noVar = catchErrorSync<Error>(() => initFromCheckpoint(g, source, { 'old/w': 'new/nope' }));
    expect(noVar).toBeInstanceOf(ValueError);
    expect(noVar.message.startsWith(py.noVariable)).toBe(true);
    expect(noVar.message).toContain("assignmentMap['old/w']: the graph has no variable 'new/nope'");
    // Nothing was added to the graph by the failed calls.
    expect(g.operations().some((op) => op.name.startsWith('checkpoint_initializer'))).toBe(false);
  });

  it("a shape mismatch: ValueError with Python's text", () => {
    const g = model('new', [4]);
    const e = catchErrorSync<Error>(() => initFromCheckpoint(g, source, { 'old/b': 'new/b' }));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toBe(py.shape);
    expect(e.message).toBe("Shape of variable new/b:0 ((4,)) doesn't match with shape of tensor old/b ([3]) from checkpoint reader.");
  });

  it('bad arguments are typed errors naming the parameter', () => {
    const g = model('new');
    const param = (f: () => unknown) => catchErrorSync<ArgumentError>(f).param;
    expect(param(() => initFromCheckpoint(null as never, source, {}))).toBe('graph');
    expect(param(() => initFromCheckpoint(g, 7 as never, {}))).toBe('ckptDirOrFile');
    expect(param(() => initFromCheckpoint(g, source, 'old/' as never))).toBe('assignmentMap');
    expect(param(() => initFromCheckpoint(g, source, { 'old/w': 5 as never }))).toBe("assignmentMap['old/w']");
    expect(param(() => initFromCheckpoint(g, source, [['old/w']] as never))).toBe('assignmentMap[0]');
    const empty = tmpDir('ifc-empty-');
    expect(catchErrorSync(() => initFromCheckpoint(g, empty, { 'old/': 'new/' }))).toBeInstanceOf(ValueError);
  });

  it('warns when the graph already has an init op (it would run the old initializers)', () => {
    const g = model('new');
    new Scaffold().finalize(g);
    g.unfinalize();
    const capture = logging.captureLogs();
    try {
      initFromCheckpoint(g, source, { 'old/w': 'new/w' });
    } finally {
      capture.restore();
    }
    expect(capture.messages(logging.Level.WARN).some((m) => m.includes("'init_op' collection already holds an init op"))).toBe(true);
  });
});

describe('a MonitoredTrainingSession fine-tunes from another run', () => {
  it("starts from the other run's values, trains on, and checkpoints into its own directory", () => {
    expect(sourceLast['old/w']).toEqual(trained(W0, 3));
    const start = path.join(fineDir, 'model.ckpt-0');
    expect(read(start, 'new/w')).toEqual(sourceLast['old/w']);
    expect(read(start, 'new/b')).toEqual(sourceLast['old/b']);
    const end = path.join(fineDir, 'model.ckpt-4');
    expect(read(end, 'new/w')).toEqual(trained(sourceLast['old/w'], 4));
    expect(read(end, 'new/b')).toEqual(trained(sourceLast['old/b'], 4));
    expect(fs.readFileSync(path.join(fineDir, 'checkpoint'), 'utf8')).toContain(`model_checkpoint_path: "${end}"`);
    // The source run's directory is untouched.
    expect(fs.readdirSync(source).sort()).toEqual(sourceFiles);
    expect(fs.readFileSync(path.join(source, 'checkpoint'), 'utf8')).not.toContain(fineDir);
  });

  it("is one Scaffold option: { initFromCheckpoint: { ckptDirOrFile, assignmentMap } }, and the run's own checkpoint wins on resume", async () => {
    const dir = tmpDir('ifc-scaffold-');
    const run = async (lastStep: number) => {
      const sess = await MonitoredTrainingSession({
        graph: model('new'),
        checkpointDir: dir,
        config: CONFIG,
        saveSummariesSteps: null,
        hooks: [new StopAtStepHook({ lastStep })],
        scaffold: new Scaffold({ initFromCheckpoint: { ckptDirOrFile: source, assignmentMap: { 'old/': 'new/' } } }),
      });
      try {
        while (!sess.shouldStop()) await sess.run('train');
      } finally {
        await sess.close();
      }
    };
    await run(2);
    expect(read(path.join(dir, 'model.ckpt-0'), 'new/w')).toEqual(sourceLast['old/w']);
    expect(read(path.join(dir, 'model.ckpt-2'), 'new/w')).toEqual(trained(sourceLast['old/w'], 2));
    // A restart resumes from its own step 2, not from the warm-start values again.
    await run(3);
    expect(read(path.join(dir, 'model.ckpt-3'), 'new/w')).toEqual(trained(sourceLast['old/w'], 3));
    expect(() => new Scaffold({ initFromCheckpoint: { ckptDirOrFile: '', assignmentMap: {} } })).toThrow(
      /initFromCheckpoint\.ckptDirOrFile/,
    );
    expect(() => new Scaffold({ initFromCheckpoint: { ckptDir: source } as never })).toThrow(/ckptDir/);
  });

  it("Python's tf.train.load_checkpoint reads the fine-tuned checkpoint and agrees", () => {
    expect(py.result.step).toBe(4);
    expect(py.result.w).toEqual(read(path.join(fineDir, 'model.ckpt-4'), 'new/w'));
    expect(py.result.b).toEqual(read(path.join(fineDir, 'model.ckpt-4'), 'new/b'));
    expect(py.result.keys).toEqual(['global_step', 'new/b', 'new/w']);
  });
});
