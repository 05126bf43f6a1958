// Graph.load of every fixture in each of its formats (.meta, binary .pb, text .pbtxt), then running
// it: init, Python's training steps from init bit for bit, and the checkpoint outputs through the
// graph's SaverDef (the MetaGraphDef's, or the one recognised from the GraphDef's nodes).
// Trained and computed floats are compared with Python TF run on this machine (test/support/
// fixture-replay.ts says why); the initial values are CPU-independent and come from expected.json.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../lib/graph-io/graph';
import { Session } from '../../lib/core/session';
import type { Tensor } from '../../lib/core/tensor';
import { OutOfRangeError } from '../../lib/core/errors';
import {
  FIXTURE_NAMES,
  expectTensor,
  fixturePath,
  loadExpected,
  resolveFeed,
  stepFeeds,
  type FixtureName,
  type PlainTensor,
} from '../fixtures/fixtures';
import { requirePythonTF } from '../support/python';
import { type FixtureReplay, expectSameAsPython, replayFixtures } from '../support/fixture-replay';

const FORMATS = ['model.meta', 'graph.pb', 'graph.pbtxt'] as const;
const open: Session[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function session(graph: Graph): Session {
  const s = new Session(graph, { config: { intraOpParallelismThreads: 1, interOpParallelismThreads: 1 } });
  open.push(s);
  return s;
}

const plain = (t: Tensor | null): PlainTensor => {
  if (!t) throw new Error('expected a tensor');
  return { dtype: t.dtype, shape: t.shape, data: t.data as PlainTensor['data'] };
};

async function load(name: FixtureName, file: string): Promise<Graph> {
  return Graph.load(fixturePath(name, file), { clearDevices: name === 'distributed' });
}

// Snapshot tensor of each variable, by variable name, from the graph's variables collection.
function snapshots(graph: Graph): Record<string, string> {
  return Object.fromEntries(graph.collections.variables().map((v) => [v.variableName.replace(/:0$/, ''), v.snapshotName]));
}

describe('Graph.load() runs every fixture as Python did', () => {
  let py: Record<FixtureName, FixtureReplay>;
  beforeAll(() => {
    requirePythonTF();
    py = replayFixtures(FIXTURE_NAMES);
  });

  for (const name of FIXTURE_NAMES) {
    for (const file of FORMATS) {
      it(`${name}/${file}: init, then the training steps from init`, async () => {
        const ex = loadExpected(name);
        const graph = await load(name, file);
        const s = session(graph);
        const init = graph.collections.initOp()?.name ?? (ex.names.init_op as string);
        expect(init).toBe(ex.names.init_op);
        await s.run(init);
        const reads = snapshots(graph);
        for (const [v, enc] of Object.entries(ex.initial ?? {})) {
          expectTensor(plain(await s.run(reads[v])), enc, `${name} initial ${v}`);
        }
        expect(py[name].steps).toHaveLength(ex.steps.length);
        for (const [i, step] of ex.steps.entries()) {
          const theirs = py[name].steps[i];
          if (name === 'queue') await s.run(ex.names.enqueue_op as string);
          const fetched = await s.run(
            { train: ex.names.train_op as string, out: Object.keys(step.fetches) },
            stepFeeds(name, step.step) as never,
          );
          Object.keys(step.fetches).forEach((t, j) =>
            expectSameAsPython(plain(fetched.out[j]), theirs.fetches[t], `${name} step ${step.step} ${t}`),
          );
          expect(Object.keys(theirs.after).sort()).toEqual(Object.keys(reads).sort());
          for (const v of Object.keys(reads)) {
            expectSameAsPython(plain(await s.run(reads[v])), theirs.after[v], `${name} after step ${step.step}: ${v}`);
          }
        }
        if (name === 'dataset') {
          await expect(s.run(ex.names.train_op as string)).rejects.toBeInstanceOf(OutOfRangeError);
        }
      });
    }

    const ex = loadExpected(name);
    if (!ex.outputs?.length) continue;
    for (const file of FORMATS) {
      it(`${name}/${file}: restores the checkpoint through graph.saverDef and computes Python's outputs`, async () => {
        const graph = await load(name, file);
        const saver = graph.saverDef!;
        expect(saver.restoreOpName).toBe(ex.saver_def.restore_op_name);
        const s = session(graph);
        await s.run(saver.restoreOpName, { [saver.filenameTensorName]: fixturePath(name, ex.checkpoint.prefix) });
        for (const [i, out] of ex.outputs.entries()) {
          const feeds = Object.fromEntries(Object.entries(out.feeds).map(([k, f]) => [k, resolveFeed(name, f)]));
          const names = Object.keys(out.fetches);
          const got = await s.run(names, feeds as never);
          names.forEach((t, j) => expectSameAsPython(plain(got[j]), py[name].outputs[i][t], `${name} ${out.description}: ${t}`));
        }
      });
    }
  }
});

describe('Graph.load() into an existing graph', () => {
  it('maps inputs onto its tensors and re-scopes names, as import_meta_graph(input_map=...) does', async () => {
    const g = new Graph();
    g.addOp({ type: 'Const', name: 'batch', attrs: { dtype: 'float32', value: [1, 2, 3] } });
    const same = await Graph.load(fixturePath('linear', 'model.meta'), { graph: g, importScope: 'm', inputMap: { 'x:0': 'batch:0' } });
    expect(same).toBe(g);
    expect(g.collections.initOp()?.name).toBe('m/init');
    expect(g.saverDef?.filenameTensorName).toBe('m/save/Const:0');
    const s = session(g);
    await s.run('m/init');
    expect(Array.from((await s.run('m/pred:0'))!.data as Float32Array)).toEqual([-0.25, 0, 0.25]);
    // A second import of the same file under the same scope gets a fresh one, as in Python.
    Graph.loadSync(fixturePath('linear', 'graph.pb'), { graph: g, importScope: 'm' });
    expect(g.hasOperation('m_1/pred')).toBe(true);
    expect(g.getCollection('variables', 'm_1/').map((v) => (v as { variableName: string }).variableName)).toEqual([
      'm_1/global_step:0',
      'm_1/w:0',
      'm_1/b:0',
    ]);
  });
});
