/**
 * In-graph summaries (lib/ops/summary.ts): the ops, tags and collection members Python's
 * `tf.compat.v1.summary.*` build for the same calls (live Python compares the two GraphDefs), and a
 * MonitoredTrainingSession's default SummarySaverHook writing them where TensorBoard's own
 * EventAccumulator lists every tag.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, ValueError } from '../../lib/core/errors';
import { Graph, type Output } from '../../lib/core/graph';
import { Tensor } from '../../lib/core/tensor';
import * as summary from '../../lib/ops/summary';
import { addScopedOp, asDefault, nameScope } from '../../lib/ops/scope';
import { createGlobalStep } from '../../lib/core/global-step';
import { MonitoredTrainingSession } from '../../lib/train/monitored-training-session';
import { requirePythonTF, runPythonJSON } from '../support/python';
import { PY_COMPARE_GRAPHS, writeGraphDef } from './graph-compare';

let dir: string;
beforeAll(() => {
  requirePythonTF();
  dir = mkdtempSync(join(tmpdir(), 'tfm-summary-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const placeholder = (name: string, dtype: string, shape: number[] | null) =>
  addScopedOp({ type: 'Placeholder', name, attrs: { dtype, shape: shape ?? undefined } }).output(0);

/** `tf.reduce_mean(x)` of a rank-1 tensor, as Python builds it ('Const' axes, 'Mean'). */
function mean(x: Output): Output {
  const axes = addScopedOp({ type: 'Const', attrs: { dtype: 'int32', value: Tensor.from([0], 'int32') } }).output(0);
  return addScopedOp({ type: 'Mean', inputs: [x, axes], attrs: { keep_dims: false } }).output(0);
}

/** The same summaries as PY_BUILD, in TypeScript. */
function build(g: Graph): Record<string, Output> {
  return asDefault(g, () => {
    const x = placeholder('x', 'float32', [-1]);
    const s1 = nameScope('train', () => summary.scalar('loss', mean(x)));
    const s2 = summary.histogram('w hist', x, { family: 'weights' });
    const img = placeholder('img', 'float32', [-1, 4, 4, 3]);
    const s3 = summary.image('img', img, { maxOutputs: 2 });
    const au = placeholder('au', 'float32', [-1, 100]);
    const s4 = summary.audio('au', au, 8000);
    const t = placeholder('t', 'string', []);
    const s5 = summary.text('note', t);
    const s6 = summary.scalar('loss', mean(x));
    const extra = summary.scalar('other', mean(x), { collections: ['mine'] });
    const merged = summary.mergeAll();
    const foo = summary.merge([s1, s2], { name: 'foo' });
    return { s1, s2, s3, s4, s5, s6, extra, merged: merged!, foo };
  });
}

const PY_BUILD = `
g = tf.Graph()
with g.as_default():
    x = tf1.placeholder(tf.float32, [None], name='x')
    with tf.name_scope('train'):
        tf1.summary.scalar('loss', tf.reduce_mean(x))
    tf1.summary.histogram('w hist', x, family='weights')
    img = tf1.placeholder(tf.float32, [None, 4, 4, 3], name='img')
    tf1.summary.image('img', img, max_outputs=2)
    au = tf1.placeholder(tf.float32, [None, 100], name='au')
    tf1.summary.audio('au', au, 8000)
    t = tf1.placeholder(tf.string, [], name='t')
    tf1.summary.text('note', t)
    tf1.summary.scalar('loss', tf.reduce_mean(x))
    tf1.summary.scalar('other', tf.reduce_mean(x), collections=['mine'])
    tf1.summary.merge_all()
    tf1.summary.merge(tf1.get_collection('summaries')[:2], name='foo')
`;

describe('in-graph summaries', () => {
  it('builds the ops, tags and collections Python builds (live Python compares the GraphDefs)', () => {
    const g = new Graph();
    const ours = build(g);
    const py = runPythonJSON<{ diffs: string[]; summaries: string[]; mine: string[]; tags: Record<string, string> }>(
      `${PY_COMPARE_GRAPHS}
${PY_BUILD}
tags = {}
for op in g.get_operations():
    if op.type == 'Const' and op.get_attr('dtype') == tf.string and op.name.endswith(('/tag', '/tags')):
        tags[op.name] = tf.make_ndarray(op.get_attr('value')).item().decode()
emit({'diffs': compare_graphs(sys.argv[1], g), 'summaries': [t.name for t in g.get_collection('summaries')],
      'mine': [t.name for t in g.get_collection('mine')], 'tags': tags})
`,
      { args: [writeGraphDef(g, dir)] },
    );
    expect(py.diffs).toEqual([]);
    expect(g.getCollection<Output>('summaries').map((t) => t.name)).toEqual(py.summaries);
    expect(g.getCollection<Output>('mine').map((t) => t.name)).toEqual(py.mine);
    // The tags Python gives: 'train/loss' inside name scope 'train', the family twice for a histogram.
    expect(py.tags['train/loss/tags']).toBe('train/loss');
    expect(py.tags['weights/w_hist/tag']).toBe('weights/weights/w_hist');
    expect(ours.s1.name).toBe('train/loss:0');
    expect(ours.merged.name).toBe('Merge/MergeSummary:0');
    expect(ours.foo.name).toBe('foo/foo:0');
  });

  it('the default SummarySaverHook of a MonitoredTrainingSession writes them and TensorBoard lists every tag', async () => {
    const g = new Graph();
    const gs = createGlobalStep(g);
    const train = asDefault(g, () => {
      const x = placeholder('x', 'float32', [-1]);
      nameScope('train', () => summary.scalar('loss', mean(x)));
      summary.histogram('weights', x);
      summary.image('pic', placeholder('img', 'float32', [-1, 4, 4, 3]), { maxOutputs: 1 });
      summary.audio('sound', placeholder('au', 'float32', [-1, 100]), 8000);
      summary.text('note', placeholder('t', 'string', []));
      const one = addScopedOp({ type: 'Const', attrs: { dtype: 'int64', value: Tensor.from(1n, 'int64') } }).output(0);
      return addScopedOp({ type: 'AssignAdd', name: 'train_op', inputs: [gs, one] });
    });
    const logdir = join(dir, 'mts');
    const sess = await MonitoredTrainingSession({
      graph: g,
      checkpointDir: logdir,
      saveSummariesSteps: 1,
      saveCheckpointSecs: null,
      logStepCountSteps: null,
    });
    const feeds = {
      'x:0': Tensor.from(new Float32Array([1, 2, 3])),
      'img:0': Tensor.from({ dtype: 'float32', shape: [1, 4, 4, 3], data: new Float32Array(48).fill(0.5) }),
      'au:0': Tensor.from({ dtype: 'float32', shape: [1, 100], data: new Float32Array(100).fill(0.1) }),
      't:0': Tensor.from('hello', 'string'),
    };
    for (let i = 0; i < 3; i++) await sess.run(train, feeds);
    await sess.close();
    const py = runPythonJSON<{
      scalars: string[];
      histograms: string[];
      images: string[];
      audio: string[];
      tensors: string[];
      loss: Array<[number, number]>;
      text: string;
    }>(
      `
from tensorboard.backend.event_processing import event_accumulator as ea
acc = ea.EventAccumulator(sys.argv[1], size_guidance={ea.TENSORS: 0, ea.SCALARS: 0})
acc.Reload()
tags = acc.Tags()
emit({'scalars': sorted(tags['scalars']), 'histograms': sorted(tags['histograms']), 'images': sorted(tags['images']),
      'audio': sorted(tags['audio']), 'tensors': sorted(tags['tensors']),
      'loss': [[e.step, e.value] for e in acc.Scalars('train/loss')],
      'text': tf.make_ndarray(acc.Tensors('note')[0].tensor_proto).item().decode()})
`,
      { args: [logdir] },
    );
    expect(py.scalars).toContain('train/loss');
    expect(py.histograms).toEqual(['weights']);
    // TF's kernels name one image 'tag/image', several 'tag/image/0', ...; audio likewise.
    expect(py.images).toEqual(['pic/image']);
    expect(py.audio).toEqual(['sound/audio/0']);
    expect(py.tensors).toEqual(['note']);
    // The hook labels each run's summaries with the global step after the run.
    expect(py.loss.map(([s]) => s)).toEqual([1, 2, 3]);
    expect(py.loss.every(([, v]) => v === 2)).toBe(true);
    expect(py.text).toBe('hello');
  });

  it('bad input: typed errors naming the parameter', () => {
    const g = new Graph();
    asDefault(g, () => {
      const x = placeholder('x', 'float32', [-1]);
      expect(() => summary.scalar('', x)).toThrow(ArgumentError);
      expect(() => summary.scalar('a', 3 as unknown as Output)).toThrow(/tensor/);
      expect(() => summary.text('t', x)).toThrow(ValueError);
      expect(() => summary.image('i', x, { maxOutputs: 0 })).toThrow(/maxOutputs/);
      expect(() => summary.audio('a', x, -1)).toThrow(/sampleRate/);
      expect(() => summary.scalar('a', x, { colections: [] } as never)).toThrow(/colections/);
      expect(() => summary.merge([])).toThrow(/inputs/);
      expect(summary.mergeAll({ key: 'nothing' })).toBeNull();
    });
  });
});
