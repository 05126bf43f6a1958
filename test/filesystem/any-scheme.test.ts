/**
 * Paths with a scheme go through TF's filesystem (issue 16): a monitored session on `ram://`
 * (TF's built-in in-memory filesystem) trains, saves, resumes and leaves the files Python's does;
 * summaries and graphs written there are read back; an unknown scheme is a typed error before
 * anything is created locally.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../lib/native';
import { Graph } from '../../lib/graph-io/graph';
import { MonitoredTrainingSession } from '../../lib/train/monitored-training-session';
import { StopAtStepHook } from '../../lib/hooks/basic/stop-at-step-hook';
import { latestCheckpoint, getCheckpointState } from '../../lib/checkpoint/checkpoint-state';
import { CheckpointReader } from '../../lib/checkpoint/checkpoint-reader';
import { exportMetaGraph } from '../../lib/graph-io/export';
import { writeGraph } from '../../lib/graph-io/write-graph';
import { FileWriter } from '../../lib/summary/file-writer';
import { readEvents } from '../../lib/summary/summary-iterator';
import { UnsupportedFileSystemError } from '../../lib/core/tf-filesystem';
import { UnimplementedError } from '../../lib/core/errors';
import { counterGraph } from '../mts/support';
import { requirePythonTF, runPythonJSONAsync } from '../support/python';

const local = fs.mkdtempSync(path.join(os.tmpdir(), 'any-scheme-'));
afterAll(() => fs.rmSync(local, { recursive: true, force: true }));

/** The directory's names through TF's filesystem, events files' varying names made one. */
function listing(dir: string): string[] {
  return native()
    .getChildren(dir)
    .map((n) => (n.startsWith('events.out.tfevents.') ? 'events.out.tfevents.*' : n))
    .sort();
}

/** Trains until the global step is `lastStep`; resolves to the number of steps run. */
async function train(graph: Graph, dir: string, lastStep: number): Promise<number> {
  const sess = await MonitoredTrainingSession({
    graph,
    checkpointDir: dir,
    saveCheckpointSteps: 4,
    saveSummariesSteps: 4,
    logStepCountSteps: null,
    hooks: [new StopAtStepHook({ lastStep })],
  });
  let n = 0;
  await sess.using(async (s) => {
    while (!s.shouldStop()) {
      await s.run('train');
      n++;
    }
  });
  return n;
}

describe('a monitored session on ram://', () => {
  it('trains, saves, resumes from the same directory and leaves the files Python leaves', async () => {
    requirePythonTF();
    const dir = 'ram://run1';
    const graph = await counterGraph();
    const a = await train(graph, dir, 12);
    expect(a).toBe(12);
    expect(await latestCheckpoint(dir)).toBe('ram://run1/model.ckpt-12');
    // Relative entries, as Python stores them for a directory os.path.isabs calls relative.
    const stateText = native().readFile(`${dir}/checkpoint`).toString();
    expect(stateText).toContain('model_checkpoint_path: "model.ckpt-12"');
    const afterFirst = listing(dir);
    expect(fs.existsSync('ram:')).toBe(false); // nothing went to a local 'ram:/run1'

    const b = await train(await counterGraph(), dir, 16);
    expect(b).toBe(4); // resumed from model.ckpt-12
    expect(await latestCheckpoint(dir)).toBe('ram://run1/model.ckpt-16');
    const reader = new CheckpointReader('ram://run1/model.ckpt-16');
    expect(reader.getTensor('global_step').scalar()).toBe(16n);
    reader.close();
    const afterSecond = listing(dir);

    const meta = path.join(local, 'counter.meta');
    await exportMetaGraph(await counterGraph(), { filename: meta });
    const py = await runPythonJSONAsync<{ first: string[]; second: string[]; latest: string; steps: number[] }>(
      `
      def run(last):
          g = tf1.Graph()
          with g.as_default():
              tf1.train.import_meta_graph(${JSON.stringify(meta)})
              n = 0
              with tf1.train.MonitoredTrainingSession(checkpoint_dir='ram://run1', save_checkpoint_steps=4,
                      save_summaries_steps=4, log_step_count_steps=None,
                      hooks=[tf1.train.StopAtStepHook(last_step=last)]) as s:
                  while not s.should_stop():
                      s.run('train')
                      n += 1
              return n
      def names():
          return sorted('events.out.tfevents.*' if n.startswith('events.out.tfevents.') else n
                        for n in tf.io.gfile.listdir('ram://run1'))
      s1 = run(12); first = names(); s2 = run(16)
      emit({'first': first, 'second': names(), 'latest': tf1.train.latest_checkpoint('ram://run1'), 'steps': [s1, s2]})
    `,
      { timeoutMs: 120_000 },
    );
    expect(py.steps).toEqual([12, 4]);
    expect(py.latest).toBe('ram://run1/model.ckpt-16');
    expect(afterFirst).toEqual(py.first);
    // Python's second session in the process appends to the first one's cached events file; ours
    // closed it with the first session and opens a new one (monitored-training-session.ts).
    expect(afterSecond).toEqual([...py.second, 'events.out.tfevents.*'].sort());
    expect(afterFirst).toHaveLength(15);
  }, 180_000);
});

describe('summaries and graphs on ram://', () => {
  it('reads back events written to ram:// with summaryIterator, and loads a graph.pbtxt from there', async () => {
    const w = new FileWriter('ram://logs/a');
    w.addSessionLog({ status: 'START' }, 0);
    await w.close();
    const files = native().getChildren('ram://logs/a');
    expect(files).toHaveLength(1);
    const events = await readEvents(`ram://logs/a/${files[0]}`);
    expect(events.map((e) => e.what.case)).toEqual(['fileVersion', 'sessionLog']);

    const file = await writeGraph(await counterGraph(), 'ram://graphs', 'graph.pbtxt');
    expect(file).toBe('ram://graphs/graph.pbtxt');
    const g = await Graph.load('ram://graphs/graph.pbtxt');
    expect(g.operation('train')?.type).toBe('NoOp');
    expect(Graph.loadSync('ram://graphs/graph.pbtxt').operation('w')?.type).toBe('VariableV2');
  });
});

describe('a scheme TF has no filesystem for', () => {
  it('is an UnsupportedFileSystemError naming the scheme, and nothing is created locally', async () => {
    const cwd = process.cwd();
    const scratch = fs.mkdtempSync(path.join(local, 'cwd-'));
    process.chdir(scratch);
    try {
      const err = await MonitoredTrainingSession({ graph: await counterGraph(), checkpointDir: 'nosuch://x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedFileSystemError);
      expect(err).toBeInstanceOf(UnimplementedError);
      expect((err as UnsupportedFileSystemError).scheme).toBe('nosuch');
      expect((err as Error).message).toMatch(/^checkpointDir: 'nosuch:\/\/x' has the scheme 'nosuch'.*ram:\/\//);
      await expect(latestCheckpoint('nosuch://x')).rejects.toThrow(/checkpointDir: 'nosuch:\/\/x' has the scheme 'nosuch'/);
      await expect(getCheckpointState('nosuch://x')).rejects.toBeInstanceOf(UnsupportedFileSystemError);
      await expect(writeGraph(new Graph(), 'nosuch://x', 'graph.pbtxt')).rejects.toThrow(/logdir: .*'nosuch'/);
      await expect(Graph.load('nosuch://x/graph.pbtxt')).rejects.toThrow(/source: .*'nosuch'/);
      expect(() => new FileWriter('nosuch://x')).toThrow(/logdir: .*'nosuch'/);
      expect(fs.readdirSync(scratch)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });
});
