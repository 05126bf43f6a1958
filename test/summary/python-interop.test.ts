// Interop with Python TF of the pinned version, in one Python process:
// - Python's tf.compat.v1.train.summary_iterator reads our events file and sees the same records;
// - our summary builders produce what Python's summary ops produce for the same data (histogram
//   buckets and statistics, text, scalar), and Python decodes our PNG images to our pixels;
// - we read an events file Python's FileWriter wrote and see what Python's summary_iterator sees.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../lib/core/graph';
import { EventSchema, type Event } from '../../lib/proto/gen/tensorflow/core/util/event_pb';
import { SummarySchema, type Summary } from '../../lib/proto/gen/tensorflow/core/framework/summary_pb';
import { RunMetadataSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/config_pb';
import {
  FileWriter,
  histogramSummary,
  imageSummary,
  mergeSummaries,
  readEvents,
  scalarSummary,
  sessionLog,
  stepsPerSecSummary,
  textSummary,
  type RawImage,
} from '../../lib/summary';
import { requirePythonTF, runPythonJSONAsync } from '../support/python';

const HIST_VALUES = [0, 1e-13, -1e-13, 1.5, -2.25, 3e10, -7e-5, 1e-12, 1.1e-12, 5, 5, 5, -1e25, 0.001, 12345.678];

function image(height: number, width: number, channels: 1 | 2 | 3 | 4): RawImage {
  const data = new Uint8Array(height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) % 256;
  return { height, width, channels, data };
}
const IMAGES: RawImage[] = [image(4, 5, 1), image(3, 2, 3), image(2, 3, 4)];

interface PyRecord {
  wall_time: number;
  step: number;
  what: string;
  pb: string;
}
interface PyOut {
  ours: PyRecord[];
  theirs: PyRecord[];
  theirsFile: string;
  hist: string;
  text: string;
  textVec: string;
  scalar: string;
  pixels: number[][];
}

let root: string;
let ourFile: string;
let written: Event[];
let py: PyOut;

beforeAll(async () => {
  requirePythonTF();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-pyinterop-'));
  const g = new Graph();
  const x = g.addOp({ type: 'Placeholder', name: 'x', attrs: { dtype: 'float32', shape: [-1] } });
  const c = g.addOp({ type: 'Const', name: 'c', attrs: { dtype: 'float32', value: [2, 2, 2] } });
  g.addOp({ type: 'Mul', name: 'y', inputs: [x, c] });

  const w = new FileWriter(path.join(root, 'ours'), { graph: g });
  w.addSessionLog(sessionLog('CHECKPOINT', { checkpointPath: path.join(root, 'model.ckpt') }));
  w.addSessionLog(sessionLog('START'), 1);
  w.addSummary(scalarSummary('loss', 4), 1);
  w.addSummary(stepsPerSecSummary(51.843), 3);
  w.addSummary(mergeSummaries(histogramSummary('weights', HIST_VALUES), textSummary('note', 'héllo **world**')), 3);
  w.addSummary(imageSummary('img', IMAGES), 4);
  w.addRunMetadata(create(RunMetadataSchema, { functionGraphs: [] }), 'step_5', 5);
  w.addSummary(scalarSummary('big_step', -1.5), 2n ** 40n);
  w.addSummary(scalarSummary('negative_step', 1), -3);
  await w.close();
  ourFile = fs.readdirSync(path.join(root, 'ours')).map((f) => path.join(root, 'ours', f))[0];
  written = await readEvents(ourFile);

  py = await runPythonJSONAsync<PyOut>(
    `
    import glob
    from tensorflow.core.framework import summary_pb2
    from tensorflow.core.util import event_pb2
    ours_path, theirs_dir, hist_values = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

    def records(path):
        out = []
        for e in tf1.train.summary_iterator(path):
            out.append({'wall_time': e.wall_time, 'step': e.step, 'what': e.WhichOneof('what'),
                        'pb': base64.b64encode(e.SerializeToString()).decode('ascii')})
        return out

    ours = records(ours_path)

    g = tf.Graph()
    with g.as_default():
        h = tf1.summary.histogram('weights', tf.constant(hist_values, dtype=tf.float64))
        t = tf1.summary.text('note', tf.constant('héllo **world**'))
        tv = tf1.summary.text('rows', tf.constant(['a', 'b', 'c']))
        s = tf1.summary.scalar('loss', tf.constant(4.0))
        # Decode the PNGs of our image summary.
        png_in = tf1.placeholder(tf.string, [])
        decoded = tf.io.decode_png(png_in)
        with tf1.Session() as sess:
            hist, text, text_vec, scalar = sess.run([h, t, tv, s])
            pixels = []
            for e in tf1.train.summary_iterator(ours_path):
                if e.WhichOneof('what') == 'summary':
                    for v in e.summary.value:
                        if v.WhichOneof('value') == 'image':
                            pixels.append(sess.run(decoded, {png_in: v.image.encoded_image_string}).reshape(-1).tolist())

    # An events file written by Python's own FileWriter, for us to read.
    with g.as_default():
        w = tf1.summary.FileWriter(theirs_dir, graph=g)
        w.add_summary(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag='py_loss', simple_value=0.75)]), 7)
        w.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.START), 7)
        w.add_summary(hist, 8)
        w.close()
    theirs_file = glob.glob(os.path.join(theirs_dir, 'events.out.tfevents.*'))[0]

    b64 = lambda b: base64.b64encode(b).decode('ascii')
    emit({'ours': ours, 'theirs': records(theirs_file), 'theirsFile': theirs_file,
          'hist': b64(hist), 'text': b64(text), 'textVec': b64(text_vec), 'scalar': b64(scalar),
          'pixels': pixels})
  `,
    { args: [ourFile, path.join(root, 'theirs'), JSON.stringify(HIST_VALUES)] },
  );
});
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const summaryOf = (b64: string): Summary => fromBinary(SummarySchema, Buffer.from(b64, 'base64'));

describe('Python reads our events file', () => {
  it('tf.compat.v1.train.summary_iterator sees the same records, in order', () => {
    expect(py.ours).toHaveLength(written.length);
    expect(py.ours.map((r) => r.what)).toEqual([
      'file_version',
      'graph_def',
      'meta_graph_def',
      'session_log',
      'session_log',
      'summary',
      'summary',
      'summary',
      'summary',
      'tagged_run_metadata',
      'summary',
      'summary',
    ]);
    py.ours.forEach((r, i) => {
      const theirs = fromBinary(EventSchema, Buffer.from(r.pb, 'base64'));
      expect(equals(EventSchema, theirs, written[i]), `record ${i} (${r.what})`).toBe(true);
      expect(r.wall_time).toBe(written[i].wallTime);
      expect(r.step).toBe(Number(written[i].step));
    });
    expect(py.ours.map((r) => r.step)).toEqual([0, 0, 0, 0, 1, 1, 3, 3, 4, 5, 2 ** 40, -3]);
  });
});

describe("our summary builders match Python's summary ops", () => {
  const ourValue = (tag: string) => {
    for (const e of written) {
      if (e.what.case !== 'summary') continue;
      const v = e.what.value.value.find((x) => x.tag === tag);
      if (v) return v;
    }
    throw new Error(`no value ${tag}`);
  };

  it("histogram: TF's bucket layout, collapsed empty runs, min/max/num/sum/sum_squares", () => {
    const theirs = summaryOf(py.hist);
    expect(equals(SummarySchema, theirs, histogramSummary('weights', HIST_VALUES))).toBe(true);
    const ours = ourValue('weights');
    expect(ours.value.case).toBe('histo');
    expect(ours.value.value).toEqual(theirs.value[0].value.value);
  });

  it("text: a DT_STRING tensor with the text plugin's metadata", () => {
    expect(equals(SummarySchema, summaryOf(py.text), textSummary('note', 'héllo **world**'))).toBe(true);
    expect(equals(SummarySchema, summaryOf(py.textVec), textSummary('rows', ['a', 'b', 'c']))).toBe(true);
  });

  it('scalar: a simple_value', () => {
    expect(equals(SummarySchema, summaryOf(py.scalar), scalarSummary('loss', 4))).toBe(true);
  });

  it('images: Python decodes our PNGs to our pixels (gray, RGB, RGBA)', () => {
    expect(py.pixels).toHaveLength(IMAGES.length);
    py.pixels.forEach((p, i) => expect(p).toEqual(Array.from(IMAGES[i].data)));
    const ours = written.find((e) => e.what.case === 'summary' && e.what.value.value[0].tag === 'img/image/0')!;
    const values = (ours.what.value as Summary).value;
    expect(values.map((v) => v.tag)).toEqual(['img/image/0', 'img/image/1', 'img/image/2']);
    expect(values.map((v) => (v.value.value as { colorspace: number }).colorspace)).toEqual([1, 3, 4]);
  });
});

describe("we read Python's events file", () => {
  it("summaryIterator sees what Python's summary_iterator sees", async () => {
    expect(path.basename(py.theirsFile)).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${os.hostname()}$`));
    const ours = await readEvents(py.theirsFile);
    expect(ours).toHaveLength(py.theirs.length);
    ours.forEach((e, i) => {
      expect(equals(EventSchema, e, fromBinary(EventSchema, Buffer.from(py.theirs[i].pb, 'base64')))).toBe(true);
    });
    expect(py.theirs.map((r) => r.what)).toEqual(['file_version', 'graph_def', 'meta_graph_def', 'summary', 'session_log', 'summary']);
    // Byte-identical serialization of a Python-written event after our decode/encode round trip.
    expect(Buffer.from(toBinary(EventSchema, ours[0])).toString('base64')).toBe(py.theirs[0].pb);
  });
});
