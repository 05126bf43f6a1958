/**
 * Learning-rate schedules against live Python: exponentialDecay (staircase or not, integer or
 * float decay steps) and piecewiseConstant (integer and float boundaries) give Python's float32
 * values bit for bit at several global steps; exponentialDecay's ops are the ones Python builds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../../lib/core/errors';
import { Graph } from '../../lib/core/graph';
import { getOrCreateGlobalStep } from '../../lib/core/global-step';
import { Session } from '../../lib/core/session';
import { Tensor } from '../../lib/core/tensor';
import { asDefault } from '../../lib/ops/scope';
import { exponentialDecay, piecewiseConstant } from '../../lib/optimizers/learning-rate';
import { requirePythonTF, runPythonJSON } from '../support/python';
import { PY_COMPARE_GRAPHS, writeGraphDef } from '../ops/graph-compare';

const STEPS = [0, 1, 2, 3, 4, 5, 6, 7, 10, 99, 100, 1000];

let dir: string;
beforeAll(() => {
  requirePythonTF();
  dir = mkdtempSync(join(tmpdir(), 'tfm-lr-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('learning-rate schedules', () => {
  it("give Python's values bit for bit at several steps, exponentialDecay with Python's ops (live Python)", async () => {
    const g = new Graph();
    const gs = getOrCreateGlobalStep(g);
    const decays = asDefault(g, () => [
      exponentialDecay(0.1, gs, 3, 0.96, { staircase: true }),
      exponentialDecay(0.1, gs, 3, 0.96),
      exponentialDecay(0.5, gs, 2.5, 0.3),
    ]);
    const graphFile = writeGraphDef(g, dir);
    const pieces = asDefault(g, () => [
      piecewiseConstant(gs, [2, 5], [1.0, 0.5, 0.1]),
      piecewiseConstant(gs, [3, 4, 9], [0.3, 0.2, 0.1, 0.05]),
    ]);
    const fetches = [...decays, ...pieces];
    const sess = new Session(g);
    const ours: string[][] = [];
    try {
      for (const s of STEPS) {
        const vals = (await sess.run(fetches, { 'global_step/read:0': Tensor.from(BigInt(s), 'int64') })) as Tensor[];
        ours.push(vals.map((t) => Buffer.from((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, 4).toString('hex')));
      }
    } finally {
      await sess.close();
    }
    const py = runPythonJSON<{ diffs: string[]; names: string[]; values: string[][] }>(
      `${PY_COMPARE_GRAPHS}
g = tf.Graph()
with g.as_default():
    gs = tf1.train.get_or_create_global_step()
    decays = [tf1.train.exponential_decay(0.1, gs, 3, 0.96, staircase=True), tf1.train.exponential_decay(0.1, gs, 3, 0.96),
              tf1.train.exponential_decay(0.5, gs, 2.5, 0.3)]
    diffs = compare_graphs(sys.argv[1], g)
    pieces = [tf1.train.piecewise_constant(gs, [2, 5], [1.0, 0.5, 0.1]), tf1.train.piecewise_constant(gs, [3, 4, 9], [0.3, 0.2, 0.1, 0.05])]
    read = g.get_tensor_by_name('global_step/read:0')
    with tf1.Session() as sess:
        values = [[np.float32(v).tobytes().hex() for v in sess.run(decays + pieces, {read: s})] for s in json.loads(sys.argv[2])]
emit({'diffs': diffs, 'names': [t.name for t in decays], 'values': values})
`,
      { args: [graphFile, JSON.stringify(STEPS)] },
    );
    expect(py.diffs).toEqual([]);
    expect(decays.map((t) => t.name)).toEqual(py.names);
    expect(ours).toEqual(py.values);
    // The schedules do change over these steps (the comparison is not between constants).
    expect(new Set(ours.map((r) => r[0])).size).toBeGreaterThan(3);
    expect(new Set(ours.map((r) => r[3])).size).toBe(3);
  });

  it('bad input: typed errors naming the parameter', () => {
    const g = new Graph();
    const gs = getOrCreateGlobalStep(g);
    asDefault(g, () => {
      expect(() => exponentialDecay(0.1, null as never, 3, 0.9)).toThrow(ValueError);
      expect(() => exponentialDecay(0.1, gs, 0, 0.9)).toThrow(/decaySteps/);
      expect(() => exponentialDecay('a' as never, gs, 3, 0.9)).toThrow(/learningRate/);
      expect(() => exponentialDecay(0.1, gs, 3, 0.9, { stair: true } as never)).toThrow(/stair/);
      expect(() => piecewiseConstant(gs, [1, 2], [1, 2])).toThrow(/length of boundaries/);
      expect(() => piecewiseConstant(gs, [], [1])).toThrow(/boundaries/);
      expect(() => piecewiseConstant(gs, [2.5], [1, 2])).toThrow(ValueError);
      expect(() => piecewiseConstant(gs, [1], [1, 'x' as never])).toThrow(/values/);
    });
  });
});
