/**
 * batches(): first-axis batching, the per-epoch seeded shuffle (numpy's RandomState permutation,
 * checked live against numpy), epochs, dropRemainder, records; feedFromBatches in a real
 * MonitoredTrainingSession: one batch per run, and the stop after the last one.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPythonJSON } from '../support/python';
import { ArgumentError, OutOfRangeError } from '../../lib/core/errors';
import { Tensor } from '../../lib/core/tensor';
import { loadGraph } from '../../lib/graph-io/load';
import { MonitoredTrainingSession } from '../../lib/train/monitored-training-session';
import { batches, feedFromBatches, type Batch } from '../../lib/data';
import { ROOT } from '../support/child';

const NUMPY_PREAMBLE = `import sys, json
import numpy as np
def emit(obj):
    sys.stdout.write('\\n' + json.dumps(obj) + '\\n')
`;

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}
const values = (t: Tensor) => Array.from(t.data as ArrayLike<number>);

describe('batches over named arrays', () => {
  const n = 10;
  const ids = Tensor.from(
    Array.from({ length: n }, (_, i) => i),
    'int32',
  );
  // Row i of `rows` is [2i, 2i+1]: batches must keep rows whole and aligned with ids.
  const rows = Tensor.from(
    Array.from({ length: n }, (_, i) => [2 * i, 2 * i + 1]),
    'float32',
  );

  it('in order without a seed: batches of batchSize along the first axis, the remainder last, per epoch', async () => {
    const bs = await collect(batches({ ids, rows }, { batchSize: 4, epochs: 2 }));
    expect(bs.map((b) => b.ids.shape)).toEqual([[4], [4], [2], [4], [4], [2]]);
    expect(bs[1].rows.shape).toEqual([4, 2]);
    expect(values(bs[1].rows)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(values(bs[2].ids)).toEqual([8, 9]);
    const dropped = await collect(batches({ ids }, { batchSize: 4, epochs: 2, dropRemainder: true }));
    expect(dropped.map((b) => values(b.ids))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it('shuffles each epoch as np.random.RandomState(seed).permutation(n) does, call after call', async () => {
    const seed = 1234;
    const numpy = runPythonJSON<number[][]>(
      `
      rs = np.random.RandomState(int(sys.argv[1]))
      emit([rs.permutation(int(sys.argv[2])).tolist() for _ in range(3)])
    `,
      { args: [String(seed), String(n)], preamble: NUMPY_PREAMBLE },
    );
    const bs = await collect(batches({ ids, rows }, { batchSize: 4, epochs: 3, seed }));
    const epochs = [0, 1, 2].map((e) => bs.slice(3 * e, 3 * e + 3).flatMap((b) => values(b.ids)));
    expect(epochs).toEqual(numpy);
    expect(epochs[0]).not.toEqual(epochs[1]); // a new order each epoch
    // The rows moved with their ids.
    for (const b of bs) expect(values(b.rows)).toEqual(values(b.ids).flatMap((i) => [2 * i, 2 * i + 1]));
    // Deterministic for a seed, different for another.
    const again = await collect(batches({ ids, rows }, { batchSize: 4, epochs: 3, seed }));
    expect(again.map((b) => values(b.ids))).toEqual(bs.map((b) => values(b.ids)));
    const other = await collect(batches({ ids }, { batchSize: 10, seed: seed + 1 }));
    expect(values(other[0].ids)).not.toEqual(epochs[0]);
  });

  it('batches string arrays, and an .npz path with keys', async () => {
    const names = Tensor.from(['a', 'b', 'c']);
    const bs = await collect(batches({ names }, { batchSize: 2 }));
    expect(bs.map((b) => b.names.data)).toEqual([['a', 'b'], ['c']]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-batches-'));
    const file = path.join(dir, 'd.npz');
    runPythonJSON(
      `
      np.savez_compressed(sys.argv[1], x=np.arange(5, dtype=np.float32), y=np.arange(5, dtype=np.int32) * 10, z=np.zeros(3))
      emit(None)
    `,
      { args: [file], preamble: NUMPY_PREAMBLE },
    );
    const fromFile = await collect(batches(file, { batchSize: 3, keys: ['x', 'y'] }));
    expect(fromFile.map((b) => [values(b.x), values(b.y)])).toEqual([
      [
        [0, 1, 2],
        [0, 10, 20],
      ],
      [
        [3, 4],
        [30, 40],
      ],
    ]);
    // Without keys, z's length (3) differs from x's (5): the error names every array.
    await expect(collect(batches(file, { batchSize: 3 }))).rejects.toThrow(/differ in first-axis length: x has 5, y has 5, z has 3/);
    await expect(collect(batches(file, { batchSize: 3, keys: ['w'] }))).rejects.toThrow(/has no array 'w'/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad options and mismatched arrays by name', async () => {
    expect(() => batches({ ids }, { batchSize: 0 })).toThrow(ArgumentError);
    expect(() => batches({ ids }, { batchSize: 2, epochs: -1 })).toThrow(/epochs/);
    expect(() => batches({ ids }, { batchSize: 2, seed: 2 ** 32 })).toThrow(/seed/);
    expect(() => batches({ ids }, { batchSize: 2, bogus: 1 } as never)).toThrow(/options\.bogus/);
    const short = Tensor.from([1, 2, 3]);
    const e = await collect(batches({ ids, short }, { batchSize: 2 })).catch((x) => x);
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toContain('ids has 10, short has 3');
    await expect(collect(batches({ s: Tensor.from(1) }, { batchSize: 2 }))).rejects.toThrow(/arrays\.s is a scalar/);
  });
});

describe('batches over records', () => {
  const examples = (k: number) => Array.from({ length: k }, (_, i) => ({ x: Tensor.from([i, -i], 'float32'), y: i }));

  it('stacks examples from an array, an async generator, and a fresh source per epoch', async () => {
    const fromArray = await collect(batches(examples(5), { batchSize: 2, epochs: 2 }));
    expect(fromArray.map((b) => b.x.shape)).toEqual([
      [2, 2],
      [2, 2],
      [1, 2],
      [2, 2],
      [2, 2],
      [1, 2],
    ]);
    expect(values(fromArray[1].x)).toEqual([2, -2, 3, -3]);
    expect(fromArray[0].y.dtype).toBe('float32');
    async function* gen() {
      for (const e of examples(5)) yield e;
    }
    const fromGen = await collect(batches(gen(), { batchSize: 2, dropRemainder: true }));
    expect(fromGen.map((b) => values(b.y))).toEqual([
      [0, 1],
      [2, 3],
    ]);
    const perEpoch = await collect(batches(() => gen(), { batchSize: 5, epochs: 3 }));
    expect(perEpoch).toHaveLength(3);
    // A generator can be read once: asking for two epochs of it is an error at once.
    expect(() => batches(gen(), { batchSize: 2, epochs: 2 })).toThrow(/one-pass iterator/);
    expect(() => batches(gen(), { batchSize: 2, seed: 1 })).toThrow(/Shuffling .* is for named arrays/);
  });

  it('names the record that does not fit', async () => {
    const bad = [{ x: [1, 2] }, { x: [1, 2, 3] }];
    await expect(collect(batches(bad, { batchSize: 2 }))).rejects.toThrow(
      /records\[1\]\.x is float32 \[3\] but records\[0\]\.x is float32 \[2\]/,
    );
    await expect(collect(batches([{ x: 1 }, { y: 1 }], { batchSize: 2 }))).rejects.toThrow(/records\[1\] has no 'x'/);
  });
});

describe('feedFromBatches in a MonitoredTrainingSession', () => {
  const graphFile = path.join(ROOT, 'test', 'fixtures', 'linear', 'model.meta');
  const x = Tensor.from([0, 1, 2, 3, 4, 5, 6], 'float32');
  const y = Tensor.from([1, 3, 5, 7, 9, 11, 13], 'float32');

  it('feeds one batch per run and stops after the run that used the last batch', async () => {
    const graph = await loadGraph(graphFile);
    const hook = feedFromBatches(batches({ xs: x, ys: y }, { batchSize: 3, epochs: 2, seed: 5 }), { 'x:0': 'xs', 'y:0': 'ys' });
    const sess = await MonitoredTrainingSession({ graph, hooks: [hook], saveSummariesSteps: null, logStepCountSteps: null });
    const fed: number[][] = [];
    while (!sess.shouldStop()) {
      const r = await sess.run({ train: 'train', x: 'x:0', y: 'y:0' });
      fed.push(values(r.x!));
      expect(values(r.y!)).toEqual(values(r.x!).map((v) => 2 * v + 1)); // x and y of the same rows
    }
    await sess.close();
    const expected = (await collect(batches({ xs: x }, { batchSize: 3, epochs: 2, seed: 5 }))).map((b) => values(b.xs));
    expect(fed).toEqual(expected);
    expect(fed).toHaveLength(6);
    expect(hook.batchesFed).toBe(6);
    expect(hook.exhausted).toBe(true);
    expect(sess.stopReason).toBe('hook-request');
  });

  it('with no batch at all, the first run is an OutOfRangeError, which using() ends cleanly', async () => {
    const graph = await loadGraph(graphFile);
    const hook = feedFromBatches([] as Batch[]);
    const sess = await MonitoredTrainingSession({ graph, hooks: [hook], saveSummariesSteps: null, logStepCountSteps: null });
    let thrown: unknown = null;
    await sess.using(async (s) => {
      try {
        await s.run('train');
      } catch (e) {
        thrown = e;
        throw e;
      }
    });
    expect(thrown).toBeInstanceOf(OutOfRangeError);
    expect(sess.stopReason).toBe('out-of-range');
  });

  it('names a feed whose batch name is missing, and refuses what is not batches', () => {
    expect(() => feedFromBatches(42 as never)).toThrow(/batches/);
    expect(() => feedFromBatches([], {})).toThrow(/feedMap/);
    const hook = feedFromBatches([{ a: 1 }], { 'x:0': 'images' });
    expect(() => hook.feedFn()).toThrow(/feeds x:0 from 'images', but the batch has 'a'/);
  });
});
