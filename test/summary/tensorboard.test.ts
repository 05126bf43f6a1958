// A real TensorBoard (the pinned 2.21, from pip) reads our event files: the test writes two runs
// with our FileWriter, starts `python3 -m tensorboard.main` on 127.0.0.1 with a free port, asks its
// HTTP API for our scalars (steps and values) and our graph, and stops it.
//
// `--load_fast=false` makes TensorBoard read the files in its own Python process: the default
// ("auto") starts the Rust data server, another listener, and this test keeps to one listener on
// 127.0.0.1. TensorBoard is not skipped when missing: CI installs it, so that is a failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { FileWriter, readEvents, scalarSummary, sessionLog } from '../../lib/summary';
import { type TensorBoard, startTensorBoard } from '../support/tensorboard';

let root: string;
let tb: TensorBoard | null = null;
const wallTimes = new Map<string, number>(); // `${run}/${tag}/${step}` -> our wall_time

function buildGraph(): Graph {
  const g = new Graph();
  const x = g.addOp({ type: 'Placeholder', name: 'input_x', attrs: { dtype: 'float32', shape: [-1] } });
  const c = g.addOp({ type: 'Const', name: 'scale', attrs: { dtype: 'float32', value: [2, 2, 2] } });
  g.addOp({ type: 'Mul', name: 'scaled', inputs: [x, c] });
  return g;
}

async function waitForNextSecond(): Promise<void> {
  const s = Math.floor(Date.now() / 1000);
  while (Math.floor(Date.now() / 1000) === s) await new Promise((r) => setTimeout(r, 20));
}

async function remember(run: string, file: string): Promise<void> {
  for (const e of await readEvents(file)) {
    if (e.what.case === 'summary') wallTimes.set(`${run}/${e.what.value.value[0].tag}/${e.step}`, e.wallTime);
  }
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-tb-'));

  // Run "train": a first process writes steps 1..5; a restart (a later file) writes a START at
  // step 4 and steps 4..6 with new values. TensorBoard drops the first file's orphaned steps ≥ 4.
  const first = new FileWriter(path.join(root, 'train'), { graph: buildGraph() });
  first.addSessionLog(sessionLog('START'), 1);
  for (let s = 1; s <= 5; s++) first.addSummary(scalarSummary('loss', 1 / s), s);
  const firstFile = first.fileName!;
  await first.close();
  await remember('train', firstFile);
  await waitForNextSecond(); // the restart's file sorts after the first one
  const restart = new FileWriter(path.join(root, 'train'), { graph: buildGraph() });
  restart.addSessionLog(sessionLog('START'), 4);
  for (let s = 4; s <= 6; s++) restart.addSummary(scalarSummary('loss', 10 * s), s);
  const restartFile = restart.fileName!;
  await restart.close();
  await remember('train', restartFile);

  // Run "eval": two tags, steps far apart.
  const ev = new FileWriter(path.join(root, 'eval'));
  ev.addSummary(scalarSummary('accuracy', 0.5), 100);
  ev.addSummary(scalarSummary('accuracy', 0.75), 200);
  ev.addSummary(scalarSummary('global_step/sec', 51.843), 200);
  const evalFile = ev.fileName!;
  await ev.close();
  await remember('eval', evalFile);

  // Ready when the scalars of both runs and the graph are loaded.
  tb = await startTensorBoard(root, async (t) => {
    const tags = await t.getJSON<Record<string, Record<string, unknown>>>('/data/plugin/scalars/tags');
    const info = await t.getJSON<Record<string, { run_graph?: boolean }>>('/data/plugin/graphs/info');
    return Boolean(tags.train?.loss && tags.eval?.accuracy && tags.eval['global_step/sec'] && info.train?.run_graph);
  });
}, 180_000);

afterAll(async () => {
  await tb?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

type Scalars = Array<[number, number, number]>;

describe('TensorBoard 2.21 reads our event files', () => {
  it('lists our runs and tags', async () => {
    const runs = await tb!.getJSON<string[]>('/data/runs');
    expect([...runs].sort()).toEqual(['eval', 'train']);
    const tags = await tb!.getJSON<Record<string, Record<string, unknown>>>('/data/plugin/scalars/tags');
    expect(Object.keys(tags.train)).toEqual(['loss']);
    expect(Object.keys(tags.eval).sort()).toEqual(['accuracy', 'global_step/sec']);
  });

  it('returns our scalars with the right steps, values and wall times from /data/plugin/scalars/scalars', async () => {
    const evalAcc = await tb!.getJSON<Scalars>('/data/plugin/scalars/scalars?tag=accuracy&run=eval');
    expect(evalAcc.map(([, step, v]) => [step, v])).toEqual([
      [100, 0.5],
      [200, 0.75],
    ]);
    expect(evalAcc.map(([w, step]) => w - wallTimes.get(`eval/accuracy/${step}`)!).every((d) => Math.abs(d) < 1e-6)).toBe(true);

    const rate = await tb!.getJSON<Scalars>(`/data/plugin/scalars/scalars?tag=${encodeURIComponent('global_step/sec')}&run=eval`);
    expect(rate.map(([, step, v]) => [step, v])).toEqual([[200, Math.fround(51.843)]]);

    // The restart's START at step 4 made TensorBoard drop the first file's steps 4 and 5.
    const loss = await tb!.getJSON<Scalars>('/data/plugin/scalars/scalars?tag=loss&run=train');
    expect(loss.map(([, step, v]) => [step, v])).toEqual([
      [1, 1],
      [2, 0.5],
      [3, Math.fround(1 / 3)],
      [4, 40],
      [5, 50],
      [6, 60],
    ]);
  });

  it('returns our graph from /data/plugin/graphs/graph', async () => {
    const r = await tb!.get('/data/plugin/graphs/graph?run=train&conceptual=false');
    expect(r.status).toBe(200);
    for (const [name, op] of [
      ['input_x', 'Placeholder'],
      ['scale', 'Const'],
      ['scaled', 'Mul'],
    ]) {
      expect(r.body).toMatch(new RegExp(`node \\{\\s*name: "${name}"\\s*op: "${op}"`));
    }
    expect(r.body).toMatch(/input: "input_x"\s*input: "scale"/);
  });
});
