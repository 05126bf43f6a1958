/**
 * Issue 21, "It must show" 4: examples/digits/train.ts, run in-process through its `main()` for 5
 * epochs, reaches ≥ 95 % test accuracy; its checkpoint and event file exist; a real TensorBoard
 * (the pip 2.21 server on 127.0.0.1, `--load_fast=false` as in test/summary/tensorboard.test.ts)
 * and its event loader (event_accumulator) list the `loss` and `accuracy` scalars with the values
 * our reader reads, and the `logits` histogram; and live Python, restoring the last checkpoint with
 * the Saver that `import_meta_graph` makes from our `.meta`, gets the same test logits bit for bit
 * and so the same accuracy.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from '../../lib/summary';
import { main, type DigitsResult } from '../../examples/digits/train';
import { type TensorBoard, startTensorBoard } from '../support/tensorboard';
import { decodeRaw, requirePythonTF, runPythonJSONAsync, type RawTensor } from '../support/python';

const NPZ = join(__dirname, '../../examples/digits/digits.npz');

interface PyOut {
  scalarTags: string[];
  histogramTags: string[];
  scalars: Record<string, Array<[number, number]>>;
  histogramSteps: number[];
  checkpoint: string;
  variables: string[];
  accuracy: number;
  logits: RawTensor;
}

const PY = `
from tensorboard.backend.event_processing import event_accumulator
d, npz = sys.argv[1], sys.argv[2]
ea = event_accumulator.EventAccumulator(d, size_guidance={'scalars': 0, 'histograms': 0})
ea.Reload()
tags = ea.Tags()
out = {
    'scalarTags': sorted(tags['scalars']),
    'histogramTags': sorted(tags['histograms']),
    'scalars': {t: [[e.step, e.value] for e in ea.Scalars(t)] for t in ('loss', 'accuracy') if t in tags['scalars']},
    'histogramSteps': [e.step for e in ea.Histograms('logits')] if 'logits' in tags['histograms'] else [],
}
data = np.load(npz)
ckpt = tf.train.latest_checkpoint(d)
g = tf.Graph()
with g.as_default():
    saver = tf1.train.import_meta_graph(ckpt + '.meta')
    assert isinstance(saver, tf1.train.Saver)
    with tf1.Session() as sess:
        saver.restore(sess, ckpt)
        acc, logits = sess.run(['metrics/accuracy:0', 'output:0'],
                               {'images:0': data['test_images'], 'labels:0': data['test_labels']})
out.update(checkpoint=ckpt, accuracy=float(acc), logits=raw(logits),
           variables=sorted(name for name, _ in tf.train.list_variables(ckpt)))
emit(out)
`;

let dir: string;
let result: DigitsResult;
let py: PyOut;
type Tags = Record<string, Record<string, unknown>>;
let tb: TensorBoard | null = null;
const lines: string[] = [];

beforeAll(async () => {
  requirePythonTF();
  dir = mkdtempSync(join(tmpdir(), 'tfm-digits-'));
  result = await main({ epochs: 5, out: dir, log: (l) => lines.push(l) });
  [py, tb] = await Promise.all([
    runPythonJSONAsync<PyOut>(PY, { args: [dir, NPZ] }),
    startTensorBoard(dir, async (t) => {
      const scalars = await t.getJSON<Tags>('/data/plugin/scalars/tags');
      const histograms = await t.getJSON<Tags>('/data/plugin/histograms/tags');
      return Boolean(scalars['.']?.loss && scalars['.']?.accuracy && histograms['.']?.logits);
    }),
  ]);
}, 300_000);

afterAll(async () => {
  await tb?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What our own reader finds in the event file: [step, value] per scalar tag, and the logits histograms. */
async function ourSummaries() {
  const file = readdirSync(dir).find((f) => f.startsWith('events.out.tfevents.'))!;
  const scalars: Record<string, Array<[number, number]>> = { loss: [], accuracy: [] };
  let histograms = 0;
  for (const e of await readEvents(join(dir, file))) {
    if (e.what.case !== 'summary') continue;
    for (const v of e.what.value.value) {
      if (v.value.case === 'simpleValue' && v.tag in scalars) scalars[v.tag].push([Number(e.step), v.value.value]);
      if (v.value.case === 'histo' && v.tag === 'logits') histograms++;
    }
  }
  return { scalars, histograms };
}

describe('examples/digits', () => {
  it('trains 5 epochs to at least 95 % test accuracy and prints its progress', () => {
    expect(result.steps).toBe(5 * Math.ceil(1437 / 32));
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(result.testLogits.shape).toEqual([360, 10]);
    expect(lines.filter((l) => l.startsWith('epoch '))).toHaveLength(5);
    expect(lines.at(-1)).toMatch(/^test accuracy [01]\.\d{4} \(360 images\) from .*model\.ckpt-225, /);
  });

  it('leaves the last checkpoint with its .meta, and an event file', () => {
    expect(result.checkpoint).toBe(join(dir, `model.ckpt-${result.steps}`));
    for (const ext of ['.index', '.meta', '.data-00000-of-00001']) expect(existsSync(result.checkpoint + ext)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'))).toHaveLength(1);
  });

  it("TensorBoard's event loader lists the loss and accuracy scalars (our values) and the logits histogram", async () => {
    const ours = await ourSummaries();
    expect(py.scalarTags).toEqual(expect.arrayContaining(['loss', 'accuracy']));
    expect(py.histogramTags).toEqual(['logits']);
    expect(ours.scalars.loss.length).toBeGreaterThanOrEqual(20); // every 10 steps of 225
    expect(py.scalars).toEqual(ours.scalars);
    expect(py.histogramSteps).toHaveLength(ours.histograms);
    expect(ours.histograms).toBe(ours.scalars.loss.length);
  });

  it('a running TensorBoard serves the loss and accuracy scalars (our steps and values) and the logits histogram', async () => {
    const ours = await ourSummaries();
    const scalarTags = await tb!.getJSON<Tags>(`/data/plugin/scalars/tags`);
    expect(Object.keys(scalarTags['.']).sort()).toEqual(['accuracy', 'loss']);
    const histogramTags = await tb!.getJSON<Tags>(`/data/plugin/histograms/tags`);
    expect(Object.keys(histogramTags['.'])).toEqual(['logits']);
    for (const tag of ['loss', 'accuracy']) {
      const served = await tb!.getJSON<Array<[number, number, number]>>(`/data/plugin/scalars/scalars?run=.&tag=${tag}`);
      expect(served.map(([, step, value]) => [step, value])).toEqual(ours.scalars[tag]);
    }
    const histograms = await tb!.getJSON<unknown[]>(`/data/plugin/histograms/histograms?run=.&tag=logits`);
    expect(histograms).toHaveLength(ours.histograms);
  });

  it('Python restores the checkpoint from our .meta (tf.compat.v1.train.Saver) and gets the same test logits and accuracy', () => {
    expect(py.checkpoint).toBe(result.checkpoint);
    // Every variable and Adam slot under Python's names.
    expect(py.variables).toEqual(
      expect.arrayContaining([
        'beta1_power',
        'beta2_power',
        'global_step',
        'conv/kernel',
        'conv/kernel/Adam',
        'conv/kernel/Adam_1',
        'conv/bias',
        'hidden/kernel',
        'hidden/bias',
        'classifier/kernel',
        'classifier/bias/Adam_1',
      ]),
    );
    const logits = decodeRaw(py.logits);
    expect(logits.shape).toEqual([360, 10]);
    expect(Buffer.from((logits.data as Float32Array).buffer)).toEqual(Buffer.from((result.testLogits.data as Float32Array).slice().buffer));
    expect(py.accuracy).toBe(result.testAccuracy);
  });
});
