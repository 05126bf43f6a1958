// Issue 12 (A): a QueueRunner made in Node survives exportMetaGraph. It is written to the
// `queue_runners` collection as Python writes it (bytes of a QueueRunnerDef), Python's
// import_meta_graph finds it, a loaded .meta (ours or Python's) holds QueueRunners again, and
// createThreads starts loops only when asked (Python's start=False default).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { QueueRunnerDefSchema, create, decodeBinary, equals } from '../../lib/proto';
import { Graph } from '../../lib/graph-io/graph';
import { Session } from '../../lib/core/session';
import { Code, OutOfRangeError, RuntimeError } from '../../lib/core/errors';
import { exportMetaGraph } from '../../lib/graph-io';
import { Coordinator } from '../../lib/core/coordinator';
import { QueueRunner } from '../../lib/core/queue-runner';
import { Saver } from '../../lib/checkpoint/saver';
import { getOrCreateGlobalStep } from '../../lib/core/global-step';
import * as logging from '../../lib/core/logging';
import { requirePythonTF, runPythonJSON } from '../support/python';
import { catchErrorSync, expectArgumentError } from '../support/errors';

/** [queue, enqueue ops, close op, cancel op, exception codes], as both sides describe a runner. */
type RunnerNames = [string, string[], string, string, number[]];

const names = (qr: QueueRunner): RunnerNames => [
  qr.queueName,
  [...qr.enqueueOps],
  qr.closeOp ?? '',
  qr.cancelOp ?? '',
  [...qr.queueClosedExceptionTypes],
];

/** A queue of floats, two enqueue ops, its close/cancel ops and a dequeue; the runner in `queue_runners`. */
function queueGraph(): { graph: Graph; qr: QueueRunner } {
  const g = new Graph();
  getOrCreateGlobalStep(g);
  const q = g.addOp({ type: 'FIFOQueueV2', name: 'in/q', attrs: { component_types: ['float32'], shapes: [[]], capacity: 4 } });
  const one = g.addOp({ type: 'Const', name: 'in/one', attrs: { dtype: 'float32', value: 1 } });
  const two = g.addOp({ type: 'Const', name: 'in/two', attrs: { dtype: 'float32', value: 2 } });
  g.addOp({ type: 'QueueEnqueueV2', name: 'in/enqueue', inputs: [q, [one]], attrs: { Tcomponents: ['float32'] } });
  g.addOp({ type: 'QueueEnqueueV2', name: 'in/enqueue_1', inputs: [q, [two]], attrs: { Tcomponents: ['float32'] } });
  g.addOp({ type: 'QueueCloseV2', name: 'in/q_Close', inputs: [q] });
  g.addOp({ type: 'QueueCloseV2', name: 'in/q_Close_1', inputs: [q], attrs: { cancel_pending_enqueues: true } });
  g.addOp({ type: 'QueueDequeueV2', name: 'in/dequeue', inputs: [q], attrs: { component_types: ['float32'] } });
  const qr = new QueueRunner({
    queueName: 'in/q',
    enqueueOps: ['in/enqueue', 'in/enqueue_1'],
    closeOp: 'in/q_Close',
    cancelOp: 'in/q_Close_1',
    queueClosedExceptionTypes: [Code.OUT_OF_RANGE, Code.CANCELLED],
  });
  g.addToCollection('queue_runners', qr);
  return { graph: g, qr };
}

const EXPECTED: RunnerNames = ['in/q', ['in/enqueue', 'in/enqueue_1'], 'in/q_Close', 'in/q_Close_1', [Code.OUT_OF_RANGE, Code.CANCELLED]];
const scoped = (s: string, [q, e, c, k, codes]: RunnerNames): RunnerNames => [
  `${s}/${q}`,
  e.map((n) => `${s}/${n}`),
  `${s}/${c}`,
  `${s}/${k}`,
  codes,
];

const dir = mkdtempSync(path.join(tmpdir(), 'qr-proto-'));
const ours = path.join(dir, 'ours.meta');
const pyPlain = path.join(dir, 'py.meta');
const pyScoped = path.join(dir, 'py-scoped.meta');
let py: { ours: RunnerNames[]; oursScoped: RunnerNames[]; dequeued?: number[]; python: RunnerNames };

beforeAll(async () => {
  requirePythonTF();
  await exportMetaGraph(queueGraph().graph, { filename: ours });
  py = runPythonJSON(
    `
    from tensorflow.python.framework import errors
    def desc(qr):
        return [qr.queue.name, [op.name for op in qr.enqueue_ops], qr.close_op.name, qr.cancel_op.name,
                [errors.error_code_from_exception_type(c) for c in qr.queue_closed_exception_types]]
    ours, py_plain, py_scoped = sys.argv[1:4]
    out = {}
    for key, scope in [('ours', None), ('oursScoped', 'imported')]:
        g = tf.Graph()
        with g.as_default():
            tf1.train.import_meta_graph(ours, import_scope=scope)
            out[key] = [desc(qr) for qr in tf1.get_collection(tf1.GraphKeys.QUEUE_RUNNERS)]
            if scope is None and out[key]:
                # The runner works in Python: its two enqueue loops fill the queue. (Without a
                # runner the dequeue would block: the test fails on out['ours'] instead.)
                with tf1.Session() as sess:
                    coord = tf1.train.Coordinator()
                    threads = tf1.train.start_queue_runners(sess, coord)
                    out['dequeued'] = sorted(float(sess.run('in/dequeue:0')) for _ in range(6))
                    coord.request_stop()
                    coord.join(threads)
    g = tf.Graph()
    with g.as_default():
        with tf1.name_scope('outer'):
            q = tf1.FIFOQueue(4, [tf.float32], shapes=[[]], name='q')
            qr = tf1.train.QueueRunner(q, [q.enqueue([1.0], name='enq'), q.enqueue([2.0], name='enq2')])
        tf1.train.add_queue_runner(qr)
        out['python'] = desc(qr)
        tf1.train.export_meta_graph(filename=py_plain)
        tf1.train.export_meta_graph(filename=py_scoped, export_scope='outer')
    emit(out)
  `,
    { args: [ours, pyPlain, pyScoped] },
  );
}, 240_000); // importing TF and running a queue in Python takes over a minute on a busy 2-core machine

describe('QueueRunner.toProto / fromProto', () => {
  it('round-trips every field, with Python export_scope / import_scope names', () => {
    const { qr } = queueGraph();
    const def = qr.toProto()!;
    expect(
      equals(
        QueueRunnerDefSchema,
        def,
        create(QueueRunnerDefSchema, {
          queueName: 'in/q',
          enqueueOpName: ['in/enqueue', 'in/enqueue_1'],
          closeOpName: 'in/q_Close',
          cancelOpName: 'in/q_Close_1',
          queueClosedExceptionTypes: [Code.OUT_OF_RANGE, Code.CANCELLED],
        }),
      ),
    ).toBe(true);
    expect(names(QueueRunner.fromProto(def))).toEqual(EXPECTED);
    // Stripped on export, prepended on import; a runner outside the export scope is left out (null).
    const stripped = qr.toProto('in')!;
    expect([stripped.queueName, stripped.enqueueOpName, stripped.closeOpName, stripped.cancelOpName]).toEqual([
      'q',
      ['enqueue', 'enqueue_1'],
      'q_Close',
      'q_Close_1',
    ]);
    expect(names(QueueRunner.fromProto(stripped, 'tower_0/'))).toEqual(
      scoped('tower_0', ['q', ['enqueue', 'enqueue_1'], 'q_Close', 'q_Close_1', [Code.OUT_OF_RANGE, Code.CANCELLED]]),
    );
    expect(qr.toProto('other')).toBeNull();
    // A legacy QueueRunnerDef without exception types reads as OUT_OF_RANGE, as in Python.
    expect(QueueRunner.fromProto(create(QueueRunnerDefSchema, { queueName: 'q', enqueueOpName: ['e'] })).queueClosedExceptionTypes).toEqual(
      [Code.OUT_OF_RANGE],
    );
    expect(qr.name).toBe('in/q');
  });

  it('rejects a non-QueueRunnerDef, a bad scope, and options next to queueRunnerDef, naming them', async () => {
    await expectArgumentError(() => QueueRunner.fromProto({ queueName: 'q' } as never), 'queueRunnerDef');
    await expectArgumentError(() => QueueRunner.fromProto(create(QueueRunnerDefSchema), 5 as never), 'importScope');
    await expectArgumentError(() => new QueueRunner({ queueRunnerDef: create(QueueRunnerDefSchema), enqueueOps: ['e'] }), 'enqueueOps');
    await expectArgumentError(() => new QueueRunner({ enqueueOps: ['e'], importScope: 's' }), 'importScope');
    await expectArgumentError(() => queueGraph().qr.toProto(7 as never), 'exportScope');
  });
});

describe('exportMetaGraph writes the runner; loading turns it back into a QueueRunner', () => {
  it('round-trips in Node, without the "Issue encountered when serializing" warning, plain and under importScope', async () => {
    const { graph } = queueGraph();
    const capture = logging.captureLogs();
    let meta;
    try {
      meta = await exportMetaGraph(graph);
    } finally {
      capture.restore();
    }
    expect(capture.messages(logging.Level.WARN)).toEqual([]);
    const kind = meta.collectionDef.queue_runners?.kind;
    expect(kind?.case).toBe('bytesList');
    const defs = (kind!.value as { value: Uint8Array[] }).value.map((b) => decodeBinary(QueueRunnerDefSchema, b));
    expect(defs.map((d) => names(QueueRunner.fromProto(d)))).toEqual([EXPECTED]);

    const back = await Graph.load(ours);
    const [qr] = back.getCollection('queue_runners');
    expect(qr).toBeInstanceOf(QueueRunner);
    expect(names(qr as QueueRunner)).toEqual(EXPECTED);
    expect(back.getCollection('queue_runners', 'in/')).toEqual([qr]);
    const under = await Graph.load(ours, { importScope: 'imported' });
    expect(under.getCollection<QueueRunner>('queue_runners').map(names)).toEqual([scoped('imported', EXPECTED)]);
  });

  it("a Saver's checkpoint .meta keeps the runner", async () => {
    const { graph } = queueGraph();
    const w = graph.addOp({ type: 'VariableV2', name: 'w', attrs: { dtype: 'float32', shape: [] } });
    graph.addOp({
      type: 'Assign',
      name: 'w/Assign',
      inputs: [w, graph.addOp({ type: 'Const', name: 'w/init', attrs: { dtype: 'float32', value: 3 } })],
    });
    graph.addToCollection('variables', w);
    const saver = new Saver({ graph, varList: [w] });
    const sess = new Session(graph);
    try {
      await sess.run('w/Assign');
      const prefix = await saver.save(sess, path.join(dir, 'ckpt', 'model.ckpt'), { globalStep: 1 });
      const loaded = await Graph.load(`${prefix}.meta`);
      expect(loaded.getCollection<QueueRunner>('queue_runners').map(names)).toEqual([EXPECTED]);
    } finally {
      await sess.close();
    }
  });

  it("Python's import_meta_graph finds our runner with the same names (plain and import_scope), and it runs there", () => {
    expect(py.ours).toEqual([EXPECTED]);
    expect(py.oursScoped).toEqual([scoped('imported', EXPECTED)]);
    expect(py.dequeued).toHaveLength(6);
    expect(py.dequeued!.every((v) => v === 1 || v === 2)).toBe(true);
  });

  it('a QueueRunner exported by Python is read back as one (plain, and export_scope + our importScope)', async () => {
    const [queue, enqueue, close, cancel, codes] = py.python;
    expect(queue).toBe('outer/q');
    const plain = await Graph.load(pyPlain);
    expect(plain.getCollection<QueueRunner>('queue_runners').map(names)).toEqual([py.python]);
    expect(plain.getCollection('queue_runners')[0]).toBeInstanceOf(QueueRunner);
    const strip = (n: string) => n.replace(/^outer\//, 'inner/');
    const rescoped = await Graph.load(pyScoped, { importScope: 'inner' });
    expect(rescoped.getCollection<QueueRunner>('queue_runners').map(names)).toEqual([
      [strip(queue), enqueue.map(strip), strip(close), strip(cancel), codes],
    ]);
  });
});

describe('createThreads starts loops only when asked (Python: start=False)', () => {
  /** A session whose every run records its op and reports the queue closed, so started loops end at once. */
  const recording = () => {
    const ran: string[] = [];
    return {
      ran,
      session: {
        run: async (op: unknown) => {
          ran.push(String(op));
          throw new OutOfRangeError('closed');
        },
        close: async () => {},
      },
    };
  };

  it('by default returns registered, unstarted loops; start() runs them; start: true runs them at once', async () => {
    const qr = new QueueRunner({ queueName: 'q', enqueueOps: ['enqueue'], closeOp: 'close', cancelOp: 'cancel' });
    const coord = new Coordinator();
    const { ran, session } = recording();
    const threads = qr.createThreads(session, { coord, daemon: true });
    expect(threads.map((t) => t.name)).toEqual(['QueueRunnerThread-q-enqueue', 'QueueRunnerThread-q-close_on_stop']);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual([]);
    expect(threads.every((t) => !t.isAlive())).toBe(true);
    // Nothing started: join does not wait for a stop (Python's join skips threads that are not alive).
    await coord.join({ stopGracePeriodSecs: 0 });

    const coord2 = new Coordinator();
    const again = new QueueRunner({ queueName: 'q', enqueueOps: ['enqueue'], closeOp: 'close' });
    const started = again.createThreads(session, { coord: coord2 });
    started[0].start();
    await started[0].done;
    expect(ran).toEqual(['enqueue', 'close']);
    expect(catchErrorSync(() => started[0].start())).toBeInstanceOf(RuntimeError);

    const third = new QueueRunner({ queueName: 'q', enqueueOps: ['enqueue'] });
    const now = third.createThreads(session, { start: true });
    expect(now[0].isAlive()).toBe(true);
    await now[0].done;
    expect(ran).toEqual(['enqueue', 'close', 'enqueue']);
  });
});
