/**
 * MonitoredTrainingSession against Python's, on the linear fixture (issue 6, "It must show" 2 and 3):
 * the same options (`saveCheckpointSteps: 2, saveSummariesSteps: 2, logStepCountSteps: 2`,
 * StopAtStepHook lastStep 6), the same feeds, then a restart on the same directory with
 * StopAtStepHook numSteps 4. Python runs in one process while our sessions run here; then the file
 * names, the state file, the checkpoints kept, the variable values (bit for bit), the sequence of
 * event records (docs/python-parity.md §8.6) and the INFO log lines are compared.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MonitoredTrainingSession } from '../../lib/train/monitored-training-session';
import { StopAtStepHook } from '../../lib/hooks/basic/stop-at-step-hook';
import * as logging from '../../lib/core/logging';
import { latestCheckpoint } from '../../lib/checkpoint/checkpoint-state';
import { loadCheckpoint } from '../../lib/checkpoint/checkpoint-reader';
import { fixtureDir, loadExpected, resolveFeed } from '../fixtures/fixtures';
import { requirePythonTF, runPythonJSONAsync } from '../support/python';
import type { Feeds } from '../../lib/core/session';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Session } from '../../lib/core/session';
import { chromeTraceFromStepStats } from '../../lib/hooks/basic/profiler-hook';
import { RunMetadataSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/config_pb';
import { StepStatsSchema, type StepStats } from '../../lib/proto/gen/tensorflow/core/framework/step_stats_pb';
import { eventFiles, eventKinds, loadFixtureGraph, tmpDir } from './support';

interface RunReport {
  logs: Array<[string, string]>;
  files: string[];
  state: string;
  runs: number;
  values: Record<string, { dtype: string; hex: string }>;
  events: string[][];
}

const PY_SCRIPT = `
import glob, time, logging as pylogging
fixture_dir, work = sys.argv[1], sys.argv[2]
exp = json.load(open(os.path.join(fixture_dir, 'expected.json')))

def feeds_for(step):
    s = exp['steps'][(step - 1) % len(exp['steps'])]
    return {n: np.array(f['values'], dtype=f['dtype']) for n, f in s['feeds'].items()}

records = []
class Capture(pylogging.Handler):
    def emit(self, r):
        records.append([r.levelname, r.getMessage()])
logger = tf.get_logger()
for h in list(logger.handlers):
    logger.removeHandler(h)
logger.addHandler(Capture())
logger.setLevel(pylogging.INFO)
logger.propagate = False

def kinds(path):
    out = []
    for e in tf1.train.summary_iterator(path):
        w = e.WhichOneof('what')
        if w == 'session_log':
            out.append('session_log %s %d' % (tf1.SessionLog.SessionStatus.Name(e.session_log.status), e.step))
        elif w == 'summary':
            out.append('summary %s %d' % (','.join(v.tag for v in e.summary.value), e.step))
        elif w in ('file_version', 'graph_def', 'meta_graph_def'):
            out.append(w)
        else:
            out.append('%s %d' % (w, e.step))
    return out

def session(d, hook, first_step):
    start = len(records)
    with tf1.Graph().as_default():
        tf1.train.import_meta_graph(os.path.join(fixture_dir, 'model.meta'))
        step = first_step
        with tf1.train.MonitoredTrainingSession(checkpoint_dir=d, hooks=[hook], save_checkpoint_steps=2,
                                               save_summaries_steps=2, log_step_count_steps=2) as sess:
            while not sess.should_stop():
                sess.run('train', feed_dict=feeds_for(step))
                step += 1
    tf1.summary.FileWriterCache.clear()  # flush and close, as a new process would start afresh
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(d))
    values = {k: reader.get_tensor(k) for k in ('w', 'b', 'global_step')}
    return {'logs': records[start:], 'files': sorted(os.listdir(d)), 'state': open(os.path.join(d, 'checkpoint')).read(),
            'runs': step - first_step,
            'values': {k: {'dtype': str(v.dtype), 'hex': np.asarray(v).tobytes().hex()} for k, v in values.items()},
            'events': [kinds(f) for f in sorted(glob.glob(os.path.join(d, 'events.out.tfevents.*')))]}

from tensorflow.core.framework import step_stats_pb2
from tensorflow.python.client import timeline
stats = step_stats_pb2.StepStats.FromString(open(sys.argv[3], 'rb').read())
traces = [timeline.Timeline(stats).generate_chrome_trace_format(show_dataflow=flow, show_memory=mem)
          for flow, mem in ((True, False), (False, False), (True, True))]

d = os.path.join(work, 'run')
first = session(d, tf1.train.StopAtStepHook(last_step=6), 1)
time.sleep(1.1)  # an events file opened in the same second would truncate the first one (docs/python-parity.md §8.2)
restart = session(d, tf1.train.StopAtStepHook(num_steps=4), 1 + first['runs'])
emit({'dir': d, 'first': first, 'restart': restart, 'traces': traces})
`;

const expected = loadExpected('linear');

function feedsFor(step: number): Record<string, unknown> {
  const s = expected.steps[(step - 1) % expected.steps.length];
  return Object.fromEntries(Object.entries(s.feeds).map(([k, f]) => [k, resolveFeed('linear', f)]));
}

async function ourSession(dir: string, hook: StopAtStepHook, firstStep: number): Promise<RunReport> {
  const capture = logging.captureLogs();
  let step = firstStep;
  try {
    const sess = await MonitoredTrainingSession({
      graph: loadFixtureGraph('linear'),
      checkpointDir: dir,
      hooks: [hook],
      saveCheckpointSteps: 2,
      saveSummariesSteps: 2,
      logStepCountSteps: 2,
    });
    await sess.using(async (s) => {
      while (!s.shouldStop()) {
        await s.run('train', feedsFor(step));
        step++;
      }
    });
  } finally {
    capture.restore();
  }
  const reader = loadCheckpoint((await latestCheckpoint(dir))!);
  const values: RunReport['values'] = {};
  for (const k of ['w', 'b', 'global_step']) {
    const t = reader.getTensor(k);
    const data = t.data as Float32Array | BigInt64Array;
    values[k] = { dtype: t.dtype, hex: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex') };
  }
  reader.close();
  return {
    logs: capture.records.map((r) => [r.levelName, r.message]),
    files: fs.readdirSync(dir).sort(),
    state: fs.readFileSync(path.join(dir, 'checkpoint'), 'utf8'),
    runs: step - firstStep,
    values,
    events: await Promise.all(eventFiles(dir).map(eventKinds)),
  };
}

async function tracedStepStats(): Promise<StepStats> {
  const graph = loadFixtureGraph('linear');
  const session = new Session(graph, { config: { interOpParallelismThreads: 1, intraOpParallelismThreads: 1 } });
  try {
    await session.run('init');
    const sink: { bytes?: Uint8Array } = {};
    await session.run(['train', 'loss:0'], feedsFor(1) as Feeds, { options: { traceLevel: 3 }, runMetadata: sink });
    return fromBinary(RunMetadataSchema, sink.bytes!).stepStats!;
  } finally {
    await session.close();
  }
}

/** File names with the events file's name (which differs by design, see lib/summary) replaced. */
const withoutEventNames = (files: string[]) => files.map((f) => (f.startsWith('events.out.tfevents.') ? 'events.out.tfevents.*' : f));
/** INFO lines, with the directory and the measured rates replaced. */
const infoLines = (logs: Array<[string, string]>, dir: string) =>
  logs
    .filter(([level]) => level === 'INFO')
    .map(([, m]) =>
      m
        .split(dir)
        .join('<dir>')
        .replace(/^global_step\/sec: .*$/, 'global_step/sec: <rate>'),
    );

describe('MonitoredTrainingSession parity with Python (linear fixture)', () => {
  let py: { dir: string; first: RunReport; restart: RunReport; traces: string[] };
  let ours: { dir: string; first: RunReport; restart: RunReport };

  let stepStats: StepStats;

  beforeAll(async () => {
    requirePythonTF();
    const pyWork = tmpDir('tfm-mts-py-');
    // The step stats of one traced train run, for the Chrome trace comparison.
    stepStats = await tracedStepStats();
    const statsFile = path.join(pyWork, 'step_stats.pb');
    fs.writeFileSync(statsFile, toBinary(StepStatsSchema, stepStats));
    const python = runPythonJSONAsync<typeof py>(PY_SCRIPT, { args: [fixtureDir('linear'), pyWork, statsFile] });
    const dir = path.join(tmpDir(), 'run');
    const first = await ourSession(dir, new StopAtStepHook({ lastStep: 6 }), 1);
    const restart = await ourSession(dir, new StopAtStepHook({ numSteps: 4 }), 1 + first.runs);
    ours = { dir, first, restart };
    py = await python;
  });

  it("writes the same Chrome trace as Python's client/timeline.py for the same step stats", () => {
    expect(stepStats.devStats.length).toBeGreaterThan(0);
    const ours = [
      chromeTraceFromStepStats(stepStats, { showDataflow: true, showMemory: false }),
      chromeTraceFromStepStats(stepStats, { showDataflow: false, showMemory: false }),
      chromeTraceFromStepStats(stepStats, { showDataflow: true, showMemory: true }),
    ];
    expect(ours[0]).toBe(py.traces[0]);
    expect(ours[1]).toBe(py.traces[1]);
    expect(ours[2]).toBe(py.traces[2]);
  });

  describe('a fresh chief run', () => {
    it('runs the same number of steps', () => {
      expect(ours.first.runs).toBe(6);
      expect(ours.first.runs).toBe(py.first.runs);
    });

    it('writes the same files in checkpointDir (the events file name aside)', () => {
      expect(withoutEventNames(ours.first.files)).toEqual(withoutEventNames(py.first.files));
      expect(ours.first.files.filter((f) => f.startsWith('model.ckpt-6.'))).toEqual([
        'model.ckpt-6.data-00000-of-00001',
        'model.ckpt-6.index',
        'model.ckpt-6.meta',
      ]);
    });

    it('keeps the same checkpoints, listed in the same state file', () => {
      expect(ours.first.state.split(ours.dir).join('<dir>')).toBe(py.first.state.split(py.dir).join('<dir>'));
    });

    it('ends with the same variable values, bit for bit', () => {
      // Python trained on this machine: expected.json's trained values come from the CPU that made
      // the fixtures, whose last bits may differ (test/support/fixture-replay.ts).
      expect(ours.first.values).toEqual(py.first.values);
      expect(ours.first.values.global_step.hex).toBe(Buffer.from(BigInt64Array.of(6n).buffer).toString('hex'));
    });

    it('writes the same sequence of event records as docs/python-parity.md §8.6', () => {
      expect(ours.first.events).toEqual(py.first.events);
      expect(ours.first.events[0]).toEqual([
        'file_version',
        'graph_def',
        'meta_graph_def',
        'graph_def',
        'meta_graph_def',
        'session_log CHECKPOINT 0',
        'session_log START 1',
        'summary loss_1 1',
        'session_log CHECKPOINT 2',
        'summary global_step/sec 3',
        'summary loss_1 3',
        'session_log CHECKPOINT 4',
        'summary global_step/sec 5',
        'summary loss_1 5',
        'session_log CHECKPOINT 6',
      ]);
    });

    it('logs the same INFO lines', () => {
      expect(infoLines(ours.first.logs, ours.dir)).toEqual(infoLines(py.first.logs, py.dir));
    });
  });

  describe('a restart on the same checkpointDir', () => {
    it('restores from the latest checkpoint and says from where', () => {
      const lines = infoLines(ours.restart.logs, ours.dir);
      expect(lines).toContain('Restoring parameters from <dir>/model.ckpt-6');
      expect(lines.indexOf('Restoring parameters from <dir>/model.ckpt-6')).toBeLessThan(lines.indexOf('Running local_init_op.'));
    });

    it('continues from the restored step: numSteps 4 runs 4 steps, to step 10', () => {
      expect(ours.restart.runs).toBe(4);
      expect(ours.restart.runs).toBe(py.restart.runs);
      expect(ours.restart.values.global_step.hex).toBe('0a00000000000000');
    });

    it('re-saves as Python does: at creation (6), at 8 and 10, dropping model.ckpt-0', () => {
      expect(withoutEventNames(ours.restart.files)).toEqual(withoutEventNames(py.restart.files));
      expect(ours.restart.state.split(ours.dir).join('<dir>')).toBe(py.restart.state.split(py.dir).join('<dir>'));
      expect(ours.restart.files.some((f) => f.startsWith('model.ckpt-0.'))).toBe(false);
    });

    it('ends with the same variable values, bit for bit', () => {
      expect(ours.restart.values).toEqual(py.restart.values);
    });

    it("writes a second events file with the same records as Python's", () => {
      expect(ours.restart.events).toHaveLength(2);
      expect(ours.restart.events).toEqual(py.restart.events);
    });

    it('logs the same INFO lines', () => {
      expect(infoLines(ours.restart.logs, ours.dir)).toEqual(infoLines(py.restart.logs, py.dir));
    });
  });
});
