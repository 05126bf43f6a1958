/**
 * Trains a small CNN on the 8×8 digits entirely in TypeScript: the graph is built with `ops`,
 * trained by Adam in a MonitoredTrainingSession (checkpoints and TensorBoard summaries in `--out`),
 * then a plain Session restores the last checkpoint into a fresh evaluation graph and measures the
 * accuracy on the held-back test split. Seeded: the same run gives the same numbers on one machine.
 *
 *   npx tsx examples/digits/train.ts [--epochs 10] [--out runs/digits] [--batch-size 32] [--seed 0]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  AdamOptimizer,
  Graph,
  MonitoredTrainingSession,
  Saver,
  Session,
  type Tensor,
  batches,
  feedFromBatches,
  latestCheckpoint,
  ops,
  readNpz,
  summary,
  type Output,
} from '../../lib';

export interface DigitsOptions {
  epochs?: number;
  /** Checkpoints, events and graph go here. */
  out?: string;
  batchSize?: number;
  seed?: number;
  learningRate?: number;
  /** Default: digits.npz beside this file. */
  data?: string;
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
}

export interface DigitsResult {
  testAccuracy: number;
  /** The evaluation graph's logits on the test split, [360, 10]. */
  testLogits: Tensor;
  /** Training steps of this run (a run on an existing `out` resumes from its last checkpoint). */
  steps: number;
  /** The checkpoint evaluated (the last one, `<out>/model.ckpt-<global step>`). */
  checkpoint: string;
  /** Wall time of the whole run, data loading and evaluation included. */
  seconds: number;
}

/** The model: uint8 pixels 0–16 in, 10 logits out. Variables are named as Python's get_variable names them. */
function model(images: Output): Output {
  const x = ops.reshape(ops.divide(ops.cast(images, 'float32'), 16), [-1, 8, 8, 1]);
  const dense = (name: string, input: Output, units: number) =>
    ops.variableScope(name, () => {
      const kernel = ops.getVariable('kernel', { shape: [input.shape![1]!, units] }); // glorot uniform
      const bias = ops.getVariable('bias', { shape: [units], initializer: ops.zerosInitializer() });
      return ops.biasAdd(ops.matmul(input, kernel), bias);
    });
  const conv = ops.variableScope('conv', () => {
    const kernel = ops.getVariable('kernel', { shape: [3, 3, 1, 16] });
    const bias = ops.getVariable('bias', { shape: [16], initializer: ops.zerosInitializer() });
    return ops.relu(ops.biasAdd(ops.conv2d(x, kernel, { strides: 1, padding: 'SAME' }), bias));
  });
  const pooled = ops.maxPool(conv, { ksize: 2, strides: 2, padding: 'SAME' }); // [n, 4, 4, 16]
  const hidden = ops.relu(dense('hidden', ops.reshape(pooled, [-1, 4 * 4 * 16]), 64));
  return dense('classifier', hidden, 10);
}

/** Placeholders, logits, loss and accuracy in a new graph (`images:0`, `labels:0` fed; `output:0` the logits). */
function build(seed: number) {
  const graph = new Graph();
  return ops.asDefault(graph, () => {
    ops.setRandomSeed(seed);
    const images = ops.placeholder('uint8', { shape: [null, 8, 8], name: 'images' });
    const labels = ops.placeholder('int32', { shape: [null], name: 'labels' });
    const logits = ops.identity(model(images), { name: 'output' });
    // Under 'metrics/': the summaries below can then have the tags 'loss' and 'accuracy' (a summary's
    // tag is its op's name, made unique as Python's is: 'loss_1' if an op 'loss' existed).
    const [loss, accuracy] = ops.nameScope('metrics', () => {
      const correct = ops.equal(ops.argmax(logits, 1, { outputType: 'int32' }), labels);
      return [
        ops.reduceMean(ops.sparseSoftmaxCrossEntropyWithLogits({ labels, logits }), undefined, { name: 'loss' }),
        ops.reduceMean(ops.cast(correct, 'float32'), undefined, { name: 'accuracy' }),
      ];
    });
    return { graph, logits, loss, accuracy };
  });
}

export async function main(opts: DigitsOptions = {}): Promise<DigitsResult> {
  const { epochs = 10, out = 'runs/digits', batchSize = 32, seed = 0, learningRate = 0.01 } = opts;
  const log = opts.log ?? console.log;
  const started = Date.now();
  const data = await readNpz(opts.data ?? path.join(__dirname, 'digits.npz'));

  // Training graph: the model, Adam with a global step, and the summaries the MTS writes.
  const { graph, logits, loss, accuracy } = build(seed);
  const train = ops.asDefault(graph, () => {
    summary.scalar('loss', loss);
    summary.scalar('accuracy', accuracy);
    summary.histogram('logits', logits);
    const globalStep = ops.getOrCreateGlobalStep(graph);
    return new AdamOptimizer(learningRate).minimize(loss, { globalStep });
  });

  // One batch per step, reshuffled each epoch (seeded); the data running out ends training.
  const feeder = feedFromBatches(batches({ images: data.train_images, labels: data.train_labels }, { batchSize, epochs, seed }), {
    'images:0': 'images',
    'labels:0': 'labels',
  });
  const perEpoch = Math.ceil(data.train_labels.shape[0] / batchSize);
  const sess = await MonitoredTrainingSession({
    graph,
    checkpointDir: out,
    hooks: [feeder],
    saveSummariesSteps: 10,
    saveCheckpointSteps: perEpoch,
    logStepCountSteps: null,
  });
  let steps = 0;
  try {
    while (!sess.shouldStop()) {
      const [l, a] = (await sess.run([loss, accuracy, train])) as [Tensor, Tensor, unknown];
      if (++steps % perEpoch === 0)
        log(`epoch ${steps / perEpoch}/${epochs}  loss ${num(l).toFixed(4)}  batch accuracy ${num(a).toFixed(3)}`);
    }
  } finally {
    await sess.close(); // saves the final checkpoint
  }

  // Evaluation as a separate job would do it: a fresh graph without the optimizer, the last checkpoint.
  const checkpoint = await latestCheckpoint(out);
  if (!checkpoint) throw new Error(`no checkpoint in ${out}`);
  const evalModel = build(seed);
  const saver = new Saver({ graph: evalModel.graph });
  const evalSess = new Session(evalModel.graph);
  try {
    await saver.restore(evalSess, checkpoint);
    const [acc, testLogits] = (await evalSess.run([evalModel.accuracy, evalModel.logits], {
      'images:0': data.test_images,
      'labels:0': data.test_labels,
    })) as [Tensor, Tensor];
    const testAccuracy = num(acc);
    const seconds = (Date.now() - started) / 1000;
    log(`test accuracy ${testAccuracy.toFixed(4)} (${data.test_labels.shape[0]} images) from ${checkpoint}, ${seconds.toFixed(1)} s`);
    return { testAccuracy, testLogits, steps, checkpoint, seconds };
  } finally {
    await evalSess.close();
  }
}

const num = (t: Tensor): number => t.scalar() as number;

if (typeof require !== 'undefined' && require.main === module) {
  const { values } = parseArgs({
    options: { epochs: { type: 'string' }, out: { type: 'string' }, 'batch-size': { type: 'string' }, seed: { type: 'string' } },
  });
  const int = (v: string | undefined) => (v === undefined ? undefined : Number.parseInt(v, 10));
  main({ epochs: int(values.epochs), out: values.out, batchSize: int(values['batch-size']), seed: int(values.seed) }).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
