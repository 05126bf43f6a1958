/**
 * Interop with Python TF, in one Python process:
 * - issue 4 point 2: we train the `linear` fixture a few steps and save (through the graph's own
 *   sharded SaverDef, through a built unsharded Saver, and into a relative directory); Python's
 *   `latest_checkpoint` / `get_checkpoint_state` read our state files, Python writes the same state
 *   bytes for the same checkpoints, and Python restores our checkpoints (via our `.meta`) and reads
 *   the same values bit-exactly;
 * - issue 4 point 5: a sharded save with variables on two devices (`/cpu:0`, `/cpu:1`) writes
 *   `-00000-of-00002` and `-00001-of-00002`, which Python restores;
 * - the save/restore subgraph we build is Python's, node for node (names, ops, inputs, devices,
 *   attrs), unsharded and sharded, for ref and resource variables on several devices.
 */
import fs from 'node:fs';
import path from 'node:path';
import { create, fromBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphDefSchema } from '../../lib/proto/gen/tensorflow/core/framework/graph_pb';
import { AttrValueSchema } from '../../lib/proto/gen/tensorflow/core/framework/attr_value_pb';
import { printText } from '../../lib/proto/text-format';
import { Saver } from '../../lib/checkpoint/saver';
import { getCheckpointState } from '../../lib/checkpoint/checkpoint-state';
import { Graph } from '../../lib/core/graph';
import { VariableDefSchema } from '../../lib/proto/gen/tensorflow/core/framework/variable_pb';
import { FIXTURES_DIR, loadExpected, stepFeeds } from '../fixtures/fixtures';
import { PY_PREAMBLE, decodeRaw, requirePythonTF, runPythonJSONAsync, type RawTensor } from '../support/python';
import { PY_REPLAY_DEFS, expectSameAsPython, type FixtureReplay } from '../support/fixture-replay';
import { SESSION_CONFIG, cleanupTmp, fixtureGraph, fixtureSaverDef, newSession, readSmall, setSmall, smallGraph, tmp } from './support';

interface NodeSummary {
  op: string;
  input: string[];
  device: string;
  attr: Record<string, string>;
}

interface PyOut {
  dirs: Record<
    string,
    {
      latest: string | null;
      state: { model: string; all: string[] };
      generated_state: string;
      restored: Record<string, RawTensor>;
      reader: Record<string, RawTensor>;
    }
  >;
  sharded: { files: string[]; restored: Record<string, RawTensor>; reader_keys: string[] };
  structure: Record<string, Record<string, NodeSummary>>;
  partitioned: { shapes: Record<string, number[]>; pv: RawTensor };
  /** Python training the linear fixture here: our trained values must be these (not expected.json's). */
  linear: FixtureReplay;
}

const ex = loadExpected('linear');
const TRAIN_STEPS = 3;
let cwdRel: string;
const ours: Record<string, { prefix: string; values: Record<string, Float32Array | BigInt64Array>; stateText: string; dir: string }> = {};
let shardedPrefix: string;
let shardedValues: Awaited<ReturnType<typeof readSmall>>;
let shardedFiles: string[];
let partitionedPrefix: string;
let partitionedRestored: number[];
const ourStructure: Record<string, Record<string, NodeSummary>> = {};
let py: PyOut;

function summarize(graph: Graph, scope: string): Record<string, NodeSummary> {
  const gd = fromBinary(GraphDefSchema, graph.toGraphDef());
  const out: Record<string, NodeSummary> = {};
  for (const n of gd.node) {
    if (!n.name.startsWith(`${scope}/`)) continue;
    const attr: Record<string, string> = {};
    for (const k of Object.keys(n.attr).sort()) {
      if (k === '_class' || k === '_has_manual_control_dependencies' || k === '_output_shapes') continue;
      attr[k] = printText(AttrValueSchema, n.attr[k]);
    }
    out[n.name] = { op: n.op, input: n.input, device: n.device, attr };
  }
  return out;
}

const SMALL_DEVICES = { a: '/cpu:0', step: '/cpu:0', r: '/cpu:1' };
const TWO_CPUS = { ...SESSION_CONFIG, deviceCount: { CPU: 2 } };

beforeAll(async () => {
  requirePythonTF();
  const root = tmp('tfm-ckpt-interop-');

  // Train the linear fixture for a few steps, then save three ways.
  const graph = fixtureGraph('linear');
  const sess = newSession(graph);
  await sess.run(ex.names.init_op as string);
  for (let step = 1; step <= TRAIN_STEPS; step++) await sess.run(ex.names.train_op as string, stepFeeds('linear', step) as never);
  const values: Record<string, Float32Array | BigInt64Array> = {};
  for (const v of ex.variables) values[v.name] = (await sess.run(`${v.name}:0`))!.data as Float32Array | BigInt64Array;

  const graphSaver = new Saver({ graph, saverDef: fixtureSaverDef(ex) });
  const builtSaver = new Saver({ graph, maxToKeep: 2 });
  const absSharded = path.join(root, 'graph_saver');
  const absBuilt = path.join(root, 'built_saver');
  const relDir = path.join(root, 'rel', 'ckpt');
  for (const d of [absSharded, absBuilt, relDir]) fs.mkdirSync(d, { recursive: true });
  cwdRel = path.relative(process.cwd(), relDir);

  const p1 = await graphSaver.save(sess, path.join(absSharded, 'model.ckpt'), { globalStep: 'global_step:0' });
  const p2 = await builtSaver.save(sess, path.join(absBuilt, 'model.ckpt'), { globalStep: 1 });
  const p2b = await builtSaver.save(sess, path.join(absBuilt, 'model.ckpt'), { globalStep: TRAIN_STEPS });
  // A second Saver over the same SaverDef: its list of checkpoints starts empty.
  const p3 = await Saver.fromProto(fixtureSaverDef(ex), { graph }).save(sess, path.join(cwdRel, 'model.ckpt'), { globalStep: TRAIN_STEPS });
  expect(p1).toBe(path.join(absSharded, `model.ckpt-${TRAIN_STEPS}`));
  expect(p2).toBe(path.join(absBuilt, 'model.ckpt-1'));
  expect(p3).toBe(`${cwdRel}/model.ckpt-${TRAIN_STEPS}`);
  ours.graph_saver = { prefix: p1!, values, dir: absSharded, stateText: fs.readFileSync(path.join(absSharded, 'checkpoint'), 'utf8') };
  ours.built_saver = { prefix: p2b!, values, dir: absBuilt, stateText: fs.readFileSync(path.join(absBuilt, 'checkpoint'), 'utf8') };
  ours.relative = { prefix: p3!, values, dir: cwdRel, stateText: fs.readFileSync(path.join(relDir, 'checkpoint'), 'utf8') };
  await sess.close();

  // Two devices, sharded.
  const g2 = smallGraph({ devices: SMALL_DEVICES });
  const s2 = newSession(g2, TWO_CPUS);
  await setSmall(s2, 7.5);
  shardedValues = await readSmall(s2);
  const shardDir = path.join(root, 'sharded');
  fs.mkdirSync(shardDir);
  shardedPrefix = (await new Saver({ graph: g2, sharded: true }).save(s2, path.join(shardDir, 'model.ckpt'), { globalStep: 7 }))!;
  shardedFiles = fs.readdirSync(shardDir).sort();
  await s2.close();

  // A partitioned variable (two slices of a [4, 3] tensor), known through VariableDefs.
  const g3 = new Graph();
  for (const [i, offset] of [
    [0, 0],
    [1, 2],
  ]) {
    g3.addOp({ type: 'VariableV2', name: `pv/part_${i}`, attrs: { dtype: 'float32', shape: [2, 3] } });
    const c = g3.addOp({
      type: 'Const',
      name: `pv/part_${i}/value`,
      attrs: {
        dtype: 'float32',
        value: [
          [offset * 3, offset * 3 + 1, offset * 3 + 2],
          [offset * 3 + 3, offset * 3 + 4, offset * 3 + 5],
        ],
      },
    });
    g3.addOp({ type: 'Assign', name: `pv/part_${i}/Assign`, inputs: [`pv/part_${i}`, c] });
    g3.addToCollection(
      'variables',
      create(VariableDefSchema, {
        variableName: `pv/part_${i}:0`,
        initializerName: `pv/part_${i}/Assign`,
        snapshotName: `pv/part_${i}:0`,
        saveSliceInfoDef: { fullName: 'pv', fullShape: [4n, 3n], varOffset: [BigInt(offset), 0n], varShape: [2n, 3n] },
      }),
    );
  }
  const s3 = newSession(g3);
  await s3.run(['pv/part_0/Assign', 'pv/part_1/Assign']);
  const partDir = path.join(root, 'partitioned');
  fs.mkdirSync(partDir);
  const partSaver = new Saver({ graph: g3 });
  partitionedPrefix = (await partSaver.save(s3, path.join(partDir, 'model.ckpt'), { writeMetaGraph: false }))!;
  await s3.close();
  const s4 = newSession(g3); // variables uninitialized: only the restore can give them values
  await partSaver.restore(s4, partitionedPrefix);
  partitionedRestored = [
    ...Array.from((await s4.run('pv/part_0:0'))!.data as Float32Array),
    ...Array.from((await s4.run('pv/part_1:0'))!.data as Float32Array),
  ];
  await s4.close();

  // The subgraphs to compare with Python's.
  for (const sharded of [false, true]) {
    const g = smallGraph({ devices: { a: '/cpu:0', step: '', r: '/job:localhost/replica:0/task:0/device:CPU:1' } });
    new Saver({ graph: g, sharded });
    new Saver({ graph: g, sharded, name: 'custom', filename: 'weights' });
    ourStructure[`save_${sharded}`] = summarize(g, 'save');
    ourStructure[`custom_${sharded}`] = summarize(g, 'custom');
  }

  py = await runPythonJSONAsync<PyOut>(
    `
    from tensorflow.python.checkpoint import checkpoint_management as cm
    from google.protobuf import text_format
    spec = json.loads(sys.stdin.read())
    out = {'dirs': {}, 'structure': {}}
    for key, d in spec['dirs'].items():
        ckpt = tf1.train.get_checkpoint_state(d['dir'])
        gen = cm.generate_checkpoint_state_proto(d['save_dir'], d['model'], all_model_checkpoint_paths=list(d['all']))
        g = tf1.Graph()
        with g.as_default():
            saver = tf1.train.import_meta_graph(d['prefix'] + '.meta')
            with tf1.Session(graph=g) as sess:
                saver.restore(sess, d['prefix'])
                restored = {n: raw(sess.run(n + ':0')) for n in spec['variables']}
        reader = tf.train.load_checkpoint(d['prefix'])
        out['dirs'][key] = {
            'latest': tf1.train.latest_checkpoint(d['dir']),
            'state': {'model': ckpt.model_checkpoint_path, 'all': list(ckpt.all_model_checkpoint_paths)},
            'generated_state': text_format.MessageToString(gen),
            'restored': restored,
            'reader': {n: raw(reader.get_tensor(n)) for n in spec['variables']},
        }
    sh = spec['sharded']
    config = tf1.ConfigProto(device_count={'CPU': 2}, intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    g = tf1.Graph()
    with g.as_default():
        saver = tf1.train.import_meta_graph(sh['prefix'] + '.meta')
        with tf1.Session(graph=g, config=config) as sess:
            saver.restore(sess, sh['prefix'])
            restored = {'a': raw(sess.run('a:0')), 'step': raw(sess.run('step:0')), 'r': raw(sess.run('r/Read/ReadVariableOp:0'))}
    out['sharded'] = {
        'files': sorted(os.listdir(os.path.dirname(sh['prefix']))),
        'restored': restored,
        'reader_keys': sorted(tf.train.load_checkpoint(sh['prefix']).get_variable_to_shape_map().keys()),
    }
    pr = tf.train.load_checkpoint(spec['partitioned'])
    out['partitioned'] = {'shapes': pr.get_variable_to_shape_map(), 'pv': raw(pr.get_tensor('pv'))}
    out['linear'] = replay(spec['fixtures'], 'linear')
    def summarize(g, scope):
        res = {}
        for n in g.as_graph_def().node:
            if not n.name.startswith(scope + '/'):
                continue
            attr = {k: text_format.MessageToString(v) for k, v in sorted(n.attr.items())
                    if k not in ('_class', '_has_manual_control_dependencies', '_output_shapes')}
            res[n.name] = {'op': n.op, 'input': list(n.input), 'device': n.device, 'attr': attr}
        return res
    for sharded in (False, True):
        g = tf1.Graph()
        with g.as_default():
            with tf1.device('/cpu:0'):
                tf1.Variable(tf1.zeros([2]), name='a', use_resource=False)
            tf1.Variable(tf1.zeros([], tf.int64), name='step', use_resource=False)
            with tf1.device('/job:localhost/replica:0/task:0/device:CPU:1'):
                tf1.Variable(tf1.zeros([3]), name='r', use_resource=True)
            tf1.train.Saver(sharded=sharded)
            tf1.train.Saver(sharded=sharded, name='custom', filename='weights')
        out['structure']['save_%s' % ('true' if sharded else 'false')] = summarize(g, 'save')
        out['structure']['custom_%s' % ('true' if sharded else 'false')] = summarize(g, 'custom')
    emit(out)
  `,
    {
      cwd: process.cwd(),
      preamble: PY_PREAMBLE + PY_REPLAY_DEFS,
      input: JSON.stringify({
        fixtures: FIXTURES_DIR,
        variables: ex.variables.map((v) => v.name),
        dirs: Object.fromEntries(
          Object.entries(ours).map(([k, o]) => {
            const st = fs.readFileSync(path.join(o.dir, 'checkpoint'), 'utf8');
            const model = /model_checkpoint_path: "([^"]*)"/.exec(st)![1];
            const all = [...st.matchAll(/all_model_checkpoint_paths: "([^"]*)"/g)].map((m) => m[1]);
            // What the Saver handed to the state writer: paths as save() returned them.
            const abs = (p: string) => (path.isAbsolute(p) || k !== 'relative' ? p : `${o.dir}/${p}`);
            return [k, { dir: o.dir, save_dir: o.dir, prefix: o.prefix, model: abs(model), all: all.map(abs) }];
          }),
        ),
        sharded: { prefix: shardedPrefix },
        partitioned: partitionedPrefix,
      }),
    },
  );
});

afterAll(cleanupTmp);

describe('Saver#save() read by Python', () => {
  it(`saves what Python computes for ${TRAIN_STEPS} steps of the linear fixture on this machine`, () => {
    const after = py.linear.steps[TRAIN_STEPS - 1].after;
    expect(Object.keys(ours.graph_saver.values).sort()).toEqual(Object.keys(after).sort());
    for (const v of ex.variables) {
      const data = ours.graph_saver.values[v.name];
      expectSameAsPython({ dtype: v.dtype, shape: v.shape, data }, after[v.name], `after step ${TRAIN_STEPS}: ${v.name}`);
    }
  });

  for (const key of ['graph_saver', 'built_saver', 'relative']) {
    it(`${key}: Python's latest_checkpoint and get_checkpoint_state read our state file`, async () => {
      const o = ours[key];
      const r = py.dirs[key];
      expect(r.latest).toBe(o.prefix);
      expect(r.state.model).toBe(o.prefix);
      const st = await getCheckpointState(o.dir);
      expect(r.state.all).toEqual(st!.allModelCheckpointPaths);
      // Python writes the same bytes for the same checkpoints.
      expect(o.stateText).toBe(r.generated_state);
    });

    it(`${key}: Python restores our checkpoint through our .meta and reads the same values bit-exactly`, () => {
      const o = ours[key];
      for (const [name, data] of Object.entries(o.values)) {
        for (const src of ['restored', 'reader'] as const) {
          const got = decodeRaw(py.dirs[key][src][name]);
          expect(Buffer.from((got.data as Float32Array).buffer)).toEqual(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
        }
      }
    });
  }

  it('keeps relative paths relative in the state file of a relative directory', () => {
    expect(ours.relative.stateText).toBe(
      `model_checkpoint_path: "model.ckpt-${TRAIN_STEPS}"\nall_model_checkpoint_paths: "model.ckpt-${TRAIN_STEPS}"\n`,
    );
    expect(ours.built_saver.stateText).toBe(
      `model_checkpoint_path: "${ours.built_saver.prefix}"\n` +
        `all_model_checkpoint_paths: "${ours.built_saver.dir}/model.ckpt-1"\n` +
        `all_model_checkpoint_paths: "${ours.built_saver.prefix}"\n`,
    );
  });
});

describe('sharded Saver with variables on two devices', () => {
  it('writes one data shard per device, and Python restores them bit-exactly', () => {
    const base = path.basename(shardedPrefix);
    expect(shardedFiles).toEqual([
      'checkpoint',
      `${base}.data-00000-of-00002`,
      `${base}.data-00001-of-00002`,
      `${base}.index`,
      `${base}.meta`,
    ]);
    expect(py.sharded.files).toEqual(shardedFiles);
    expect(py.sharded.reader_keys).toEqual(['a', 'r', 'step']);
    expect(Array.from(decodeRaw(py.sharded.restored.a).data as Float32Array)).toEqual(shardedValues.a);
    expect((decodeRaw(py.sharded.restored.step).data as BigInt64Array)[0]).toBe(shardedValues.step);
    expect(Array.from(decodeRaw(py.sharded.restored.r).data as Float32Array)).toEqual(shardedValues.r);
  });
});

describe('partitioned variables', () => {
  it('are saved as slices of one checkpoint tensor that Python reads whole, and restore', () => {
    expect(py.partitioned.shapes).toEqual({ pv: [4, 3] });
    const whole = Array.from({ length: 12 }, (_, i) => i);
    expect(Array.from(decodeRaw(py.partitioned.pv).data as Float32Array)).toEqual(whole);
    expect(partitionedRestored).toEqual(whole);
  });
});

describe('the saver subgraph', () => {
  for (const key of ['save_false', 'save_true', 'custom_false', 'custom_true']) {
    it(`${key}: has Python's nodes (names, ops, inputs, devices, attrs)`, () => {
      expect(Object.keys(ourStructure[key])).toEqual(Object.keys(py.structure[key]));
      expect(ourStructure[key]).toEqual(py.structure[key]);
    });
  }
});
