// Issue 3, "It must show" 2: our graph.pbtxt and .meta output are read by Python TF
// (text_format.Parse into a GraphDef, tf.compat.v1.train.import_meta_graph) and the imported graphs
// run there. We write, in one go: a fixture loaded then exported (meta binary and text, graph.pbtxt,
// graph.pb), a graph.pbtxt loaded then exported as a MetaGraphDef (collections and saver found from
// its nodes), a graph built with the op builder (collections of every kind), a cluster graph
// imported with clearDevices + importScope, and exports with clearDevices / stripDefaultAttrs.
// One Python process reads all of it, runs it, and writes Python's own exports of the same
// graphs, which must equal ours byte for byte.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../lib/graph-io/graph';
import { exportMetaGraph, exportMetaGraphSync, writeGraph } from '../../lib/graph-io';
import { fixturePath, loadExpected, type PlainTensor } from '../fixtures/fixtures';
import { PY_PREAMBLE, decodeRaw, requirePythonTF, runPythonJSONAsync, type RawTensor } from '../support/python';
import { PY_REPLAY_DEFS, expectSameAsPython, type FixtureReplay } from '../support/fixture-replay';

const tmp = mkdtempSync(join(tmpdir(), 'tfm-formats-py-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const out = (...p: string[]) => join(tmp, ...p);

/** pred = w * x + b, global step, init, a train op that bumps the step, collections of every kind. */
function buildWithOpBuilder(): Graph {
  const g = new Graph();
  const variable = (name: string, dtype: string, init: number | bigint) => {
    const v = g.addOp({ type: 'VariableV2', name, attrs: { dtype, shape: [] } });
    const c = g.addOp({ type: 'Const', name: `${name}/Initializer/Const`, attrs: { dtype, value: init } });
    g.addOp({ type: 'Assign', name: `${name}/Assign`, inputs: [v, c] });
    g.addOp({ type: 'Identity', name: `${name}/read`, inputs: [v] });
    return v;
  };
  const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [-1] } });
  const gs = variable('global_step', 'int64', 0n);
  const w = variable('w', 'float32', 0.25);
  const b = variable('b', 'float32', -0.5);
  const mul = g.addOp({ type: 'Mul', name: 'mul', inputs: ['w/read', x] });
  const pred = g.addOp({ type: 'AddV2', name: 'pred', inputs: [mul, 'b/read'] });
  const init = g.addOp({ type: 'NoOp', name: 'init', controlInputs: ['global_step/Assign', 'w/Assign', 'b/Assign'] });
  const one = g.addOp({ type: 'Const', name: 'one', attrs: { dtype: 'int64', value: 1n } });
  const train = g.addOp({ type: 'AssignAdd', name: 'train', inputs: [gs, one] });
  g.addToCollection('trainable_variables', w);
  g.addToCollection('trainable_variables', b);
  for (const v of [gs, w, b]) g.addToCollection('variables', v);
  g.addToCollection('global_step', gs);
  g.addToCollection('init_op', init);
  g.addToCollection('train_op', train);
  g.addToCollection('predictions', pred.output(0));
  g.addToCollection('floats', 0.5);
  g.addToCollection('floats', 1.5);
  g.addToCollection('ints', 3n);
  g.addToCollection('names', 'a');
  g.addToCollection('names', 'b');
  return g;
}

interface PyResult {
  [key: string]: unknown;
  A: { loss: RawTensor; restored: RawTensor[]; keys: string[]; pbtxt_pred: RawTensor; pb_pred: RawTensor; text_meta_pred: RawTensor };
  B: { variables: string[]; trainable: string[]; global_step: string; restored: RawTensor[] };
  C: {
    pred: RawTensor;
    step: number;
    global_step: string;
    trainable: string[];
    variables: string[];
    floats: number[];
    ints: number[];
    names: string[];
    predictions: string[];
    init_op: string[];
    pbtxt_pred: RawTensor;
  };
  D: { devices: string[]; unscoped: string[]; pred: RawTensor; variables: string[] };
  E: { pred: RawTensor; stripped: boolean };
  F: { devices: string[]; pred: RawTensor };
  /** The linear fixture's own model.meta run by Python here: what A and B must compute. */
  linear: FixtureReplay;
}

let py: PyResult;
const linear = loadExpected('linear');

beforeAll(async () => {
  requirePythonTF();
  // A: linear model.meta loaded and written back in every form.
  const a = await Graph.load(fixturePath('linear', 'model.meta'));
  await exportMetaGraph(a, { filename: out('A', 'model.meta') });
  await exportMetaGraph(a, { filename: out('A', 'model.meta.txt'), asText: true });
  await writeGraph(a.asGraphDef({ addShapes: true }), out('A'), 'graph.pbtxt');
  await writeGraph(a, out('A'), 'graph.pb', false);
  // B: graph.pbtxt (no collections) → MetaGraphDef with what was found from the nodes.
  await exportMetaGraph(await Graph.load(fixturePath('linear', 'graph.pbtxt')), { filename: out('B', 'model.meta') });
  // C: built with the op builder.
  const c = buildWithOpBuilder();
  exportMetaGraphSync(c, { filename: out('C', 'model.meta') });
  await writeGraph(c, out('C'), 'graph.pbtxt');
  // D: a ps/worker graph made portable and scoped on import; exported without a saver_def, as
  //    Python's module-level export_meta_graph does.
  const d = await Graph.load(fixturePath('distributed', 'model.meta'), { clearDevices: true, importScope: 'rep' });
  await exportMetaGraph(d, { filename: out('D', 'model.meta'), saverDef: null });
  // E, F: export options.
  await exportMetaGraph(a, { filename: out('E', 'model.meta'), stripDefaultAttrs: true, saverDef: null });
  await exportMetaGraph(await Graph.load(fixturePath('distributed', 'model.meta')), {
    filename: out('F', 'model.meta'),
    clearDevices: true,
    saverDef: null,
  });

  py = await runPythonJSONAsync<PyResult>(
    `
    from google.protobuf import text_format
    tmp, fx = sys.argv[1], sys.argv[2]
    P = lambda *p: os.path.join(tmp, *p)
    ex = json.load(open(os.path.join(fx, 'linear', 'expected.json')))
    def feed(enc): return np.array(enc['values'], dtype=enc['dtype']).reshape(enc['shape'])
    cfg = tf1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    xs = np.array([0.0, 1.0, 2.0], np.float32)
    res = {}

    def session(g): return tf1.Session(graph=g, config=cfg)
    def devices_of_file_ops(g, path):
        # Devices of the ops our file holds (import_meta_graph adds a saver of its own, on CPU, when the file has none).
        meta = tf1.MetaGraphDef()
        meta.ParseFromString(open(path, 'rb').read())
        return sorted({g.get_operation_by_name(n.name).device for n in meta.graph_def.node})

    # A: our export of the linear fixture: train one step from init, then restore Python's checkpoint.
    g = tf.Graph()
    with g.as_default():
        saver = tf1.train.import_meta_graph(P('A', 'model.meta'))
        with session(g) as s:
            s.run('init')
            step = ex['steps'][0]
            _, loss = s.run(['train', 'loss:0'], {k: feed(v) for k, v in step['feeds'].items()})
            saver.restore(s, os.path.join(fx, 'linear', ex['checkpoint']['prefix']))
            o = ex['outputs'][0]
            restored = s.run(list(o['fetches']), {k: feed(v) for k, v in o['feeds'].items()})
        res['A'] = {'loss': raw(loss), 'restored': [raw(r) for r in restored], 'keys': sorted(g.get_all_collection_keys())}
    def run_graph_def(gd, init, fetch, feeds):
        g = tf.Graph()
        with g.as_default():
            tf.graph_util.import_graph_def(gd, name='')
            with session(g) as s:
                s.run(init)
                return s.run(fetch, feeds)
    gd = text_format.Parse(open(P('A', 'graph.pbtxt')).read(), tf1.GraphDef())
    res['A']['pbtxt_pred'] = raw(run_graph_def(gd, 'init', 'pred:0', {'x:0': xs}))
    gd = tf1.GraphDef()
    gd.ParseFromString(open(P('A', 'graph.pb'), 'rb').read())
    res['A']['pb_pred'] = raw(run_graph_def(gd, 'init', 'pred:0', {'x:0': xs}))
    g = tf.Graph()
    with g.as_default():
        tf1.train.import_meta_graph(P('A', 'model.meta.txt'))
        with session(g) as s:
            s.run('init')
            res['A']['text_meta_pred'] = raw(s.run('pred:0', {'x:0': xs}))

    # B: the MetaGraphDef we made from graph.pbtxt: Python finds the variables and the saver.
    g = tf.Graph()
    with g.as_default():
        saver = tf1.train.import_meta_graph(P('B', 'model.meta'))
        with session(g) as s:
            saver.restore(s, os.path.join(fx, 'linear', ex['checkpoint']['prefix']))
            o = ex['outputs'][0]
            restored = s.run(list(o['fetches']), {k: feed(v) for k, v in o['feeds'].items()})
        res['B'] = {'variables': [v.name for v in tf1.global_variables()], 'trainable': [v.name for v in tf1.trainable_variables()],
                    'global_step': tf1.train.get_global_step().name, 'restored': [raw(r) for r in restored]}

    # C: the op-builder graph.
    g = tf.Graph()
    with g.as_default():
        tf1.train.import_meta_graph(P('C', 'model.meta'))
        with session(g) as s:
            s.run(tf1.get_collection('init_op'))
            pred = s.run(tf1.get_collection('predictions')[0], {'x:0': np.array([1.0, 2.0], np.float32)})
            s.run(tf1.get_collection('train_op'))
            step = s.run(tf1.train.get_global_step())
        res['C'] = {'pred': raw(pred), 'step': int(step), 'global_step': tf1.train.get_global_step().name,
                    'trainable': [v.name for v in tf1.trainable_variables()], 'variables': [v.name for v in tf1.global_variables()],
                    'floats': tf1.get_collection('floats'), 'ints': tf1.get_collection('ints'),
                    'names': [n.decode() for n in tf1.get_collection('names')],
                    'predictions': [t.name for t in tf1.get_collection('predictions')], 'init_op': [o.name for o in tf1.get_collection('init_op')]}
    gd = text_format.Parse(open(P('C', 'graph.pbtxt')).read(), tf1.GraphDef())
    res['C']['pbtxt_pred'] = raw(run_graph_def(gd, 'init', 'pred:0', {'x:0': np.array([1.0, 2.0], np.float32)}))

    # D: cluster graph imported with clearDevices + importScope 'rep', exported by us.
    g = tf.Graph()
    with g.as_default():
        tf1.train.import_meta_graph(P('D', 'model.meta'))
        with session(g) as s:
            s.run('rep/init')
            pred = s.run('rep/pred:0', {'rep/x:0': xs})
        res['D'] = {'devices': devices_of_file_ops(g, P('D', 'model.meta')), 'unscoped': [op.name for op in g.get_operations() if not op.name.startswith(('rep/', 'save/'))],
                    'pred': raw(pred), 'variables': [v.name for v in tf1.global_variables()]}
    # Python's own export of the same import, for a byte comparison.
    g = tf.Graph()
    with g.as_default():
        tf1.train.import_meta_graph(os.path.join(fx, 'distributed', 'model.meta'), clear_devices=True, import_scope='rep')
        tf1.train.export_meta_graph(P('D', 'python.meta'))

    # E: stripped default attrs.
    g = tf.Graph()
    with g.as_default():
        tf1.train.import_meta_graph(P('E', 'model.meta'))
        with session(g) as s:
            s.run('init')
            res['E'] = {'pred': raw(s.run('pred:0', {'x:0': xs}))}
    meta = tf1.MetaGraphDef()
    meta.ParseFromString(open(P('E', 'model.meta'), 'rb').read())
    res['E']['stripped'] = meta.meta_info_def.stripped_default_attrs
    g = tf.Graph()
    with g.as_default():
        tf1.train.import_meta_graph(os.path.join(fx, 'linear', 'model.meta'))
        tf1.train.export_meta_graph(P('E', 'python.meta'), strip_default_attrs=True)

    # F: devices cleared on export.
    g = tf.Graph()
    with g.as_default():
        tf1.train.import_meta_graph(P('F', 'model.meta'))
        with session(g) as s:
            s.run('init')
            res['F'] = {'devices': devices_of_file_ops(g, P('F', 'model.meta')), 'pred': raw(s.run('pred:0', {'x:0': xs}))}
    g = tf.Graph()
    with g.as_default():
        tf1.train.import_meta_graph(os.path.join(fx, 'distributed', 'model.meta'))
        tf1.train.export_meta_graph(P('F', 'python.meta'), clear_devices=True)
    res['linear'] = replay(fx, 'linear')
    emit(res)
  `,
    { args: [tmp, fixturePath('linear', '..')], preamble: PY_PREAMBLE + PY_REPLAY_DEFS },
  );
});

const plain = (r: RawTensor): PlainTensor => decodeRaw(r) as PlainTensor;
const initialPred = [-0.5, -0.25, 0]; // w = 0.25, b = -0.5 at init, x = [0, 1, 2]
const predValues = (r: RawTensor) => Array.from(decodeRaw(r).data as Float32Array);
const bytes = (...p: string[]) => readFileSync(out(...p));

describe('Python reads and runs what we write', () => {
  it('linear model.meta loaded then exported: Python imports it, trains a step from init, restores its checkpoint', () => {
    expectSameAsPython(plain(py.A.loss), py.linear.steps[0].fetches['loss:0'], 'loss of step 1 in Python');
    const o = linear.outputs[0];
    Object.keys(o.fetches).forEach((t, i) =>
      expectSameAsPython(plain(py.A.restored[i]), py.linear.outputs[0][t], `Python ${t} after restore`),
    );
    expect(py.A.keys).toEqual(linear.collections);
  });

  it('our graph.pbtxt goes through text_format.Parse into a GraphDef and runs; so does our graph.pb and text .meta', () => {
    expect(predValues(py.A.pbtxt_pred)).toEqual(initialPred);
    expect(predValues(py.A.pb_pred)).toEqual(initialPred);
    expect(predValues(py.A.text_meta_pred)).toEqual(initialPred);
  });

  it('a MetaGraphDef made from graph.pbtxt gives Python the variables, global step and a working saver', () => {
    expect(py.B.variables).toEqual(['global_step:0', 'w:0', 'b:0']);
    expect(py.B.trainable).toEqual(['w:0', 'b:0']);
    expect(py.B.global_step).toBe('global_step:0');
    const o = linear.outputs[0];
    Object.keys(o.fetches).forEach((t, i) =>
      expectSameAsPython(plain(py.B.restored[i]), py.linear.outputs[0][t], `Python ${t} after restore`),
    );
  });

  it('a graph built with the op builder: Python runs it and reads every collection kind', () => {
    expect(predValues(py.C.pred)).toEqual([-0.25, 0]);
    expect(predValues(py.C.pbtxt_pred)).toEqual([-0.25, 0]);
    expect(py.C.step).toBe(1);
    expect(py.C.global_step).toBe('global_step:0');
    expect(py.C.variables).toEqual(['global_step:0', 'w:0', 'b:0']);
    expect(py.C.trainable).toEqual(['w:0', 'b:0']);
    expect(py.C.floats).toEqual([0.5, 1.5]);
    expect(py.C.ints).toEqual([3]);
    expect(py.C.names).toEqual(['a', 'b']);
    expect(py.C.predictions).toEqual(['pred:0']);
    expect(py.C.init_op).toEqual(['init']);
  });

  it("a cluster graph imported with clearDevices and importScope runs in Python, and equals Python's export byte for byte", () => {
    expect(py.D.devices).toEqual(['']);
    expect(py.D.unscoped).toEqual([]);
    expect(py.D.variables).toEqual(['rep/global_step:0', 'rep/w:0', 'rep/b:0']);
    expect(predValues(py.D.pred)).toEqual(initialPred);
    expect(bytes('D', 'model.meta').equals(bytes('D', 'python.meta'))).toBe(true);
  });

  it("stripDefaultAttrs and clearDevices exports run in Python and equal Python's exports byte for byte", () => {
    expect(py.E.stripped).toBe(true);
    expect(predValues(py.E.pred)).toEqual(initialPred);
    expect(bytes('E', 'model.meta').equals(bytes('E', 'python.meta'))).toBe(true);
    expect(py.F.devices).toEqual(['']);
    expect(predValues(py.F.pred)).toEqual(initialPred);
    expect(bytes('F', 'model.meta').equals(bytes('F', 'python.meta'))).toBe(true);
  });
});
