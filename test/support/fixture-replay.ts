/**
 * Python TF replaying the committed fixtures on THIS machine, for bit-for-bit comparisons of float
 * results we compute by training (or by a forward pass through MatMul & co).
 *
 * Why not compare with expected.json: those floats were computed on the CPU that made the fixtures.
 * Eigen picks its MatMul blocking from the CPU's cache sizes, so another CPU sums the products in
 * another order and gets other last bits (mlp_digits' step-7 loss is 2 ULP off on an AMD EPYC, in
 * Python as in TS). The same kernels on the same CPU agree bit for bit, so tests compare with Python
 * run here and now. What stays CPU-independent (graphs, names, integers, tensors read from the
 * committed checkpoints, initial values) may still be compared with expected.json.
 *
 * Python imports TF once per call: call {@link replayFixtures} once per test file, in `beforeAll`.
 *
 * @example
 *   let py: Record<string, FixtureReplay>;
 *   beforeAll(() => { requirePythonTF(); py = replayFixtures(['linear']); });
 *   expectSameAsPython(ourLoss, py.linear.steps[0].fetches['loss:0'], 'loss of step 1');
 */
import { FIXTURES_DIR, type FixtureName, type PlainTensor, rawBytes } from '../fixtures/fixtures';
import { type RawTensor, decodeRaw, runPythonJSON, runPythonJSONAsync } from './python';

/** What Python computed for one fixture, with its `session_config`, from `model.meta` (devices cleared). */
export interface FixtureReplay {
  /** Every run of `steps[]` from init, in order. */
  steps: Array<{
    /** The run's fetches, by the names expected.json lists for it. */
    fetches: Record<string, RawTensor>;
    /** Every variable after the run, by variable name (resource variables: their read). */
    after: Record<string, RawTensor>;
    /** The serialized summaries the run fetched (linear), base64. */
    summaries: Record<string, string>;
  }>;
  /** Every global variable after the last step, by op name: the keys of a checkpoint saved then. */
  final: Record<string, RawTensor>;
  /** Name of the error one more train run raised, for fixtures that record `end_error` (dataset). */
  end_error: string | null;
  /** `outputs[]` of expected.json, computed with the committed checkpoint restored. */
  outputs: Array<Record<string, RawTensor>>;
}

/**
 * `replay(fixtures_dir, name)`: Python definitions that other scripts may embed (after the
 * preamble) when they already run Python for something else.
 */
export const PY_REPLAY_DEFS = `
def _replay_feed(v, data):
    if 'source' in v:  # rows of data.json (mlp_digits)
        arr = data[v['key']]
        return np.array(arr['values'], dtype=arr['dtype']).reshape(arr['shape'])[v['rows'][0]:v['rows'][1]]
    return np.array(v['values'], dtype=v['dtype']).reshape(v['shape'])

def replay(fixtures_dir, name):
    d = os.path.join(fixtures_dir, name)
    ex = json.load(open(os.path.join(d, 'expected.json')))
    data = json.load(open(os.path.join(d, 'data.json'))) if os.path.exists(os.path.join(d, 'data.json')) else {}
    config = tf1.ConfigProto(**ex['session_config'])
    snap = {v['name']: v['snapshot_name'] for v in ex['variables']}
    out = {'steps': [], 'end_error': None, 'outputs': []}
    g = tf.Graph()
    with g.as_default():
        saver = tf1.train.import_meta_graph(os.path.join(d, 'model.meta'), clear_devices=True)
        with tf1.Session(graph=g, config=config) as sess:
            sess.run(ex['names']['init_op'])
            coord = tf1.train.Coordinator()
            threads = tf1.train.start_queue_runners(sess, coord)  # queue: from the collection
            try:
                for s in ex['steps']:
                    names, summ = list(s['fetches']), list(s.get('summaries', {}))
                    feed = {k: _replay_feed(v, data) for k, v in s['feeds'].items()}
                    vals = sess.run([ex['names']['train_op']] + names + summ, feed_dict=feed)[1:]
                    out['steps'].append({
                        'fetches': {n: raw(v) for n, v in zip(names, vals)},
                        'summaries': {n: base64.b64encode(v).decode('ascii') for n, v in zip(summ, vals[len(names):])},
                        'after': {k: raw(sess.run(t)) for k, t in snap.items()},
                    })
                out['final'] = {v.op.name: raw(sess.run(v)) for v in tf1.global_variables()}
                if 'end_error' in ex:
                    try:
                        sess.run(ex['names']['train_op'])
                        out['end_error'] = 'none'
                    except tf.errors.OpError as e:
                        out['end_error'] = type(e).__name__
            finally:
                coord.request_stop()
                coord.join(threads, stop_grace_period_secs=10)
        with tf1.Session(graph=g, config=config) as sess:
            saver.restore(sess, os.path.join(d, ex['checkpoint']['prefix']))
            for o in ex['outputs']:
                fetches = list(o['fetches'])
                vals = sess.run(fetches, feed_dict={k: _replay_feed(v, data) for k, v in o['feeds'].items()})
                out['outputs'].append({n: raw(v) for n, v in zip(fetches, vals)})
    return out
`;

const script = (names: readonly FixtureName[]) => `${PY_REPLAY_DEFS}
emit({n: replay(sys.argv[1], n) for n in ${JSON.stringify(names)}})
`;

/** Replays the fixtures in one Python process (seconds: TF's import dominates). */
export function replayFixtures(names: readonly FixtureName[]): Record<FixtureName, FixtureReplay> {
  return runPythonJSON(script(names), { args: [FIXTURES_DIR], timeoutMs: 300_000 });
}

/** {@link replayFixtures} without blocking the event loop. */
export function replayFixturesAsync(names: readonly FixtureName[]): Promise<Record<FixtureName, FixtureReplay>> {
  return runPythonJSONAsync(script(names), { args: [FIXTURES_DIR], timeoutMs: 300_000 });
}

/** Throws unless `actual` has Python's dtype, shape and bytes (every bit of every element). */
export function expectSameAsPython(actual: PlainTensor, python: RawTensor | undefined, label = 'tensor'): void {
  if (!python) throw new Error(`${label}: Python computed no such value`);
  const want = decodeRaw(python);
  const problems: string[] = [];
  if (actual.dtype !== want.dtype) problems.push(`dtype ${actual.dtype} != ${want.dtype}`);
  if (JSON.stringify(actual.shape) !== JSON.stringify(want.shape))
    problems.push(`shape ${JSON.stringify(actual.shape)} != ${JSON.stringify(want.shape)}`);
  if (!problems.length) {
    const a = actual.data as PlainTensor['data'] & ArrayLike<number | bigint>;
    const w = want.data as ArrayLike<number | bigint>;
    if (!rawBytes(a as never).equals(rawBytes(w as never))) {
      for (let i = 0; i < w.length && problems.length < 8; i++) {
        if (!Object.is(a[i], w[i])) problems.push(`[${i}] ${String(a[i])} != Python's ${String(w[i])}`);
      }
      if (!problems.length) problems.push('bytes differ'); // e.g. NaN payloads
    }
  }
  if (problems.length) throw new Error(`${label} differs from Python's, computed on this machine:\n  ${problems.join('\n  ')}`);
}
