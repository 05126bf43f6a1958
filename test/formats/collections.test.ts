// Issue 3, "It must show" 3: the collections of every fixture read back with the members Python put
// in. One Python process imports every model.meta (plainly and under an import scope) and describes
// each collection member; we load the same files and must describe them identically. Then the
// typed accessors, what a GraphDef-only file gives, and the collection_def kinds of members added
// in TS.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { create, isMessage, toBinary, type Message } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import {
  MetaGraphDefSchema,
  QueueRunnerDefSchema,
  SaverDefSchema,
  VariableDefSchema,
  TensorShapeProtoSchema,
  decodeBinary,
  equals,
  toBinaryDeterministic,
} from '../../lib/proto';
import { Operation, Output } from '../../lib/core/graph';
import { Graph } from '../../lib/graph-io/graph';
import { ArgumentError, RuntimeError } from '../../lib/core/errors';
import { GraphKeys, buildMetaGraphDef, collectionDefsOf, findVariables } from '../../lib/graph-io';
import { captureLogs } from '../../lib/core/logging';
import { QueueRunner } from '../../lib/core/queue-runner';
import { FIXTURE_NAMES, fixturePath, loadExpected, type FixtureName } from '../fixtures/fixtures';
import { requirePythonTF, runPythonJSON } from '../support/python';

type Desc = [string, string | number];
type Described = Record<string, Desc[]>;
const SCOPED: FixtureName[] = ['linear', 'queue', 'resource'];

let py: Record<string, Described>;

beforeAll(() => {
  requirePythonTF();
  py = runPythonJSON<Record<string, Described>>(
    `
    from tensorflow.python.ops import variables as variables_lib
    from tensorflow.python.training import queue_runner_impl
    b64 = lambda b: base64.b64encode(b).decode('ascii')
    def desc(x):
        if isinstance(x, tf.Tensor): return ['tensor', x.name]
        if isinstance(x, tf.Operation): return ['op', x.name]
        if isinstance(x, variables_lib.Variable): return ['variable', b64(x.to_proto().SerializeToString())]
        if isinstance(x, tf1.train.Saver): return ['saver', b64(x.to_proto().SerializeToString())]
        if isinstance(x, queue_runner_impl.QueueRunner): return ['queue_runner', b64(x.to_proto().SerializeToString())]
        if isinstance(x, bytes): return ['bytes', b64(x)]
        if isinstance(x, str): return ['bytes', b64(x.encode('utf-8'))]
        if isinstance(x, int): return ['int', str(x)]
        if isinstance(x, float): return ['float', x]
        return ['other', repr(x)]
    out = {}
    root, scoped = sys.argv[1], sys.argv[2].split(',')
    for name in sys.argv[3].split(','):
        for scope in [None] + (['imported'] if name in scoped else []):
            g = tf.Graph()
            with g.as_default():
                tf1.train.import_meta_graph(os.path.join(root, name, 'model.meta'), import_scope=scope)
            out[name + ('@' + scope if scope else '')] = {k: [desc(x) for x in g.get_collection(k)] for k in g.get_all_collection_keys()}
    emit(out)
  `,
    { args: [fixturePath('linear', '..'), SCOPED.join(','), FIXTURE_NAMES.join(',')] },
  );
});

const b64 = (m: Message, schema: Parameters<typeof toBinary>[0]) => Buffer.from(toBinary(schema, m as never)).toString('base64');

function describeMember(x: unknown): Desc {
  if (x instanceof Output) return ['tensor', x.name];
  if (x instanceof Operation) return ['op', x.name];
  if (isMessage(x, VariableDefSchema)) return ['variable', b64(x, VariableDefSchema)];
  if (isMessage(x, SaverDefSchema)) return ['saver', b64(x, SaverDefSchema)];
  if (x instanceof QueueRunner) return ['queue_runner', b64(x.toProto()!, QueueRunnerDefSchema)];
  if (x instanceof Uint8Array) return ['bytes', Buffer.from(x).toString('base64')];
  if (typeof x === 'bigint') return ['int', String(x)];
  if (typeof x === 'number') return ['float', x];
  return ['other', String(x)];
}

function describeGraph(g: Graph): Described {
  return Object.fromEntries([...g.collections].map(([k, v]) => [k, v.map(describeMember)]));
}

describe('collections of every fixture, as Python reads them', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: every key and every member, in order`, async () => {
      const g = await Graph.load(fixturePath(name, 'model.meta'));
      expect(describeGraph(g)).toEqual(py[name]);
      expect(Object.keys(py[name]).sort()).toEqual(loadExpected(name).collections);
    });
  }
  for (const name of SCOPED) {
    it(`${name}: under importScope 'imported', names are re-scoped as Python does`, async () => {
      const g = await Graph.load(fixturePath(name, 'model.meta'), { importScope: 'imported' });
      expect(describeGraph(g)).toEqual(py[`${name}@imported`]);
      expect(g.saverDef?.restoreOpName).toBe('imported/save/restore_all');
      expect(g.collections.trainOp()?.name).toBe('imported/train');
    });
  }
});

describe('collections against expected.json', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: variables, trainable variables, global step, saver, queue runners, ops`, async () => {
      const ex = loadExpected(name);
      const g = await Graph.load(fixturePath(name, 'model.meta'));
      const vars = g.collections.variables();
      expect(vars.map((v) => [v.variableName, v.initializerName, v.snapshotName, v.initialValueName, v.trainable, v.isResource])).toEqual(
        ex.variables.map((v) => [v.variable_name, v.initializer_name, v.snapshot_name, v.initial_value_name, v.trainable, v.is_resource]),
      );
      expect(g.collections.trainableVariables().map((v) => v.variableName)).toEqual(ex.trainable_variables.map((n) => `${n}:0`));
      // One message per variable, shared by the collections it is in (Python: one Variable object).
      expect(g.collections.trainableVariables().every((t) => vars.includes(t))).toBe(true);
      expect(g.collections.globalStep()?.variableName).toBe(ex.names.global_step);
      expect(g.collections.trainOp()?.name).toBe(ex.names.train_op);
      expect(g.collections.trainOp()).toBeInstanceOf(Operation);
      expect(g.collections.initOp()?.name).toBe(ex.names.init_op);
      expect(g.collections.summaryOp()?.name).toBe(ex.names.summary_op);
      if (ex.names.summary_op) expect(g.collections.summaryOp()).toBeInstanceOf(Output);
      const [saver] = g.collections.savers();
      expect({ ...saver, $typeName: undefined, $unknown: undefined }).toMatchObject({
        filenameTensorName: ex.saver_def.filename_tensor_name,
        saveTensorName: ex.saver_def.save_tensor_name,
        restoreOpName: ex.saver_def.restore_op_name,
        maxToKeep: ex.saver_def.max_to_keep,
        sharded: ex.saver_def.sharded,
        keepCheckpointEveryNHours: ex.saver_def.keep_checkpoint_every_n_hours,
      });
      expect(equals(SaverDefSchema, saver, g.saverDef!)).toBe(true);
      expect(
        g.collections.queueRunners().map((q) => [q.queueName, q.enqueueOpName, q.closeOpName, q.cancelOpName, q.queueClosedExceptionTypes]),
      ).toEqual(
        ex.queue_runner
          ? [
              [
                ex.queue_runner.queue_name,
                ex.queue_runner.enqueue_op_name,
                ex.queue_runner.close_op_name,
                ex.queue_runner.cancel_op_name,
                ex.queue_runner.queue_closed_exception_codes,
              ],
            ]
          : [],
      );
      expect(g.collections.readyOp()).toBeUndefined();
      expect(g.collections.localVariables()).toEqual([]);
      expect(g.getCollection('variables', 'w')).toEqual(vars.filter((v) => v.variableName.startsWith('w')));
    });

    it(`${name}: graph.pb and graph.pbtxt (no collections) give the same variables, global step and saver from the nodes`, async () => {
      const meta = await Graph.load(fixturePath(name, 'model.meta'));
      for (const file of ['graph.pb', 'graph.pbtxt']) {
        const g = await Graph.load(fixturePath(name, file));
        const want = meta.collections.variables();
        const got = g.collections.variables();
        expect(got.length, file).toBe(want.length);
        got.forEach((v, i) => expect(equals(VariableDefSchema, v, want[i]), `${file} ${v.variableName}`).toBe(true));
        expect(g.collections.trainableVariables().map((v) => v.variableName)).toEqual(
          meta.collections.trainableVariables().map((v) => v.variableName),
        );
        expect(equals(VariableDefSchema, g.collections.globalStep()!, meta.collections.globalStep()!)).toBe(true);
        expect(equals(SaverDefSchema, g.saverDef!, meta.saverDef!)).toBe(true);
        expect([...g.collections.keys()]).toEqual(['variables', 'global_step', 'trainable_variables']);
      }
    });
  }

  it('a GraphDef loaded under an import scope gets re-scoped VariableDefs; findVariables works on any GraphDef', async () => {
    const g = await Graph.load(fixturePath('resource', 'graph.pb'), { importScope: 'r' });
    expect(g.collections.variables().map((v) => v.snapshotName)).toEqual([
      'r/global_step/Read/ReadVariableOp:0',
      'r/w/Read/ReadVariableOp:0',
      'r/b/Read/ReadVariableOp:0',
      'r/w/Momentum/Read/ReadVariableOp:0',
      'r/b/Momentum/Read/ReadVariableOp:0',
    ]);
    expect(g.saverDef?.filenameTensorName).toBe('r/save/Const:0');
    const found = findVariables(g.asGraphDef());
    expect(found.variables.map((v) => v.variableName)).toEqual(g.collections.variables().map((v) => v.variableName));
    const bare = await Graph.load(fixturePath('linear', 'graph.pb'), { findVariables: false });
    expect(bare.collections.size).toBe(0);
    expect(bare.saverDef).toBeUndefined();
  });
});

describe('GraphCollections accessors', () => {
  it('singular accessors count repeated entries once and refuse different ones', async () => {
    const g = await Graph.load(fixturePath('linear', 'model.meta'));
    expect(g.getCollection('train_op').length).toBe(2); // Python put 'train' there twice
    expect(g.collections.trainOp()?.name).toBe('train');
    g.addToCollection(GraphKeys.TRAIN_OP, g.operation('init'));
    expect(() => g.collections.trainOp()).toThrow(RuntimeError);
    expect(() => g.collections.trainOp()).toThrow("More than one item in collection 'train_op': train, init.");
    g.addToCollection(GraphKeys.SUMMARIES, 42n);
    const e = (() => {
      try {
        g.collections.summaries();
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).param).toBe('summaries');
  });

  it('variables may be VariableDefs, toProto() objects, or variable operations of the graph', async () => {
    const g = await Graph.load(fixturePath('linear', 'graph.pb'), { findVariables: false });
    const wDef = findVariables(g.asGraphDef()).variables[1];
    const asObject = { toProto: () => wDef };
    g.addToCollection('variables', g.operation('global_step'));
    g.addToCollection('variables', asObject);
    g.addToCollection('variables', g.tensor('b:0'));
    expect(g.collections.variables().map((v) => [v.variableName, v.initializerName, v.snapshotName])).toEqual([
      ['global_step:0', 'global_step/Assign', 'global_step/read:0'],
      ['w:0', 'w/Assign', 'w/read:0'],
      ['b:0', 'b/Assign', 'b/read:0'],
    ]);
    g.addToCollection('variables', g.operation('pred'));
    expect(() => g.collections.variables()).toThrow("Collection 'variables' holds Operation pred, which is not a variable");
  });

  it("members added in TS serialize with Python's kinds; unserializable collections are skipped with a warning", async () => {
    const g = await Graph.load(fixturePath('linear', 'model.meta'));
    const shape = create(TensorShapeProtoSchema, { dim: [{ size: 3n }] });
    g.addToCollection('ints', 7n);
    g.addToCollection('ints', -2n);
    g.addToCollection('floats', 0.5);
    g.addToCollection('names', 'hello');
    g.addToCollection('names', new Uint8Array([1, 2]));
    g.addToCollection('anys', anyPack(TensorShapeProtoSchema, shape));
    g.addToCollection('mixed', 1n);
    g.addToCollection('mixed', 'two');
    g.addToCollection('objects', { some: 'object' });
    g.addToCollection('empty_then_nothing', undefined);
    g.collections.delete('empty_then_nothing');
    const logs = captureLogs();
    let defs;
    try {
      defs = collectionDefsOf(g);
    } finally {
      logs.restore();
    }
    expect(defs.ints.kind).toMatchObject({ case: 'int64List', value: { value: [7n, -2n] } });
    expect(defs.floats.kind).toMatchObject({ case: 'floatList', value: { value: [0.5] } });
    expect(defs.names.kind.case).toBe('bytesList');
    expect((defs.names.kind.value as { value: Uint8Array[] }).value.map((b) => Buffer.from(b).toString('hex'))).toEqual([
      '68656c6c6f',
      '0102',
    ]);
    expect(defs.anys.kind.case).toBe('anyList');
    expect(defs.mixed).toBeUndefined();
    expect(defs.objects).toBeUndefined();
    expect(logs.records.map((r) => r.message.split('\n')[0])).toEqual([
      'Issue encountered when serializing: mixed.',
      'Issue encountered when serializing: objects.',
    ]);
    // And they come back the same from the exported MetaGraphDef.
    g.clearCollection('mixed');
    g.clearCollection('objects');
    const meta = buildMetaGraphDef(g);
    const back = Graph.fromMetaGraph(toBinaryDeterministic(MetaGraphDefSchema, meta));
    expect(back.getCollection('ints')).toEqual([7n, -2n]);
    expect(back.getCollection('floats')).toEqual([0.5]);
    expect(back.getCollection<Uint8Array>('names').map((b) => Buffer.from(b).toString())).toEqual(['hello', '\x01\x02']);
    expect(
      equals(
        TensorShapeProtoSchema,
        shape,
        decodeBinary(TensorShapeProtoSchema, (back.getCollection('anys')[0] as { value: Uint8Array }).value),
      ),
    ).toBe(true);
    expect([...back.collections.keys()].sort()).toEqual([...Object.keys(meta.collectionDef)].sort());
  });

  it('exports only the collections asked for', async () => {
    const g = await Graph.load(fixturePath('queue', 'model.meta'));
    const meta = buildMetaGraphDef(g, { collectionList: ['queue_runners', 'train_op', 'no_such_key'] });
    expect(Object.keys(meta.collectionDef).sort()).toEqual(['queue_runners', 'train_op']);
    const original = decodeBinary(MetaGraphDefSchema, readFileSync(fixturePath('queue', 'model.meta')));
    expect(
      equals(
        MetaGraphDefSchema,
        create(MetaGraphDefSchema, { collectionDef: { queue_runners: meta.collectionDef.queue_runners } }),
        create(MetaGraphDefSchema, { collectionDef: { queue_runners: original.collectionDef.queue_runners } }),
      ),
    ).toBe(true);
  });
});

describe('a collection named like an Object.prototype property', () => {
  // Assigned as out['__proto__'] = def, it set the prototype and vanished from the export.
  it("'__proto__' is exported like any other key", () => {
    const g = new Graph();
    g.addToCollection('__proto__', 'abc');
    g.addToCollection('constructor', 'def');
    const defs = collectionDefsOf(g);
    expect(Object.keys(defs).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(defs, '__proto__')?.value?.kind.case).toBe('bytesList');
  });
});
