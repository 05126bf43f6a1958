import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURES_DIR,
  FIXTURE_NAMES,
  type EncodedTensor,
  type FixtureName,
  decodeTensor,
  expectTensor,
  isReference,
  loadExpected,
  loadManifest,
  resolveFeed,
  tensorMismatches,
} from '../fixtures/fixtures';
import { PY_PREAMBLE, type RawTensor, decodeRaw, requirePythonTF, runPythonJSON } from '../support/python';
import { PY_REPLAY_DEFS, type FixtureReplay } from '../support/fixture-replay';

const manifest = loadManifest();

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function namesOf(tree: unknown): string[] {
  if (typeof tree === 'string') return [tree];
  if (tree && typeof tree === 'object') return Object.values(tree).flatMap(namesOf);
  return [];
}

describe('test/fixtures manifest', () => {
  it('covers every fixture, and nothing else', () => {
    expect(manifest.fixtures.map((f) => f.name)).toEqual([...FIXTURE_NAMES]);
    const dirs = readdirSync(FIXTURES_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(dirs.sort()).toEqual([...FIXTURE_NAMES].sort());
  });

  it.each(manifest.fixtures.map((f) => [f.name, f] as const))(
    '%s: lists exactly the files on disk, with their sizes and hashes',
    (name, fx) => {
      const onDisk = walk(join(FIXTURES_DIR, name)).map((p) => relative(FIXTURES_DIR, p).split(sep).join('/'));
      expect(onDisk.sort()).toEqual(fx.files.map((f) => f.path).sort());
      for (const f of fx.files) {
        const p = join(FIXTURES_DIR, f.path);
        expect(statSync(p).size, f.path).toBe(f.bytes);
        expect(createHash('sha256').update(readFileSync(p)).digest('hex'), f.path).toBe(f.sha256);
      }
      expect(fx.bytes).toBe(fx.files.reduce((a, f) => a + f.bytes, 0));
    },
  );

  it('stays under the size limits (1 MB per fixture, 5 MB in all)', () => {
    expect(manifest.limits).toEqual({ total_bytes: 5 * 1024 * 1024, fixture_bytes: 1024 * 1024 });
    for (const fx of manifest.fixtures) expect(fx.bytes, fx.name).toBeLessThan(manifest.limits.fixture_bytes);
    const all = walk(FIXTURES_DIR).reduce((a, p) => a + statSync(p).size, 0);
    expect(all).toBeLessThan(manifest.limits.total_bytes);
  });

  it('records the TF version the project pins', () => {
    const pinned = JSON.parse(readFileSync(join(FIXTURES_DIR, '..', '..', 'scripts', 'libtensorflow.json'), 'utf8')).version;
    expect(manifest.tensorflow_version).toBe(pinned);
  });
});

describe.each(FIXTURE_NAMES.map((n) => [n] as const))('test/fixtures/%s/expected.json', (name) => {
  const ex = loadExpected(name);

  it('has the standard files and the checkpoint it describes', () => {
    for (const f of ['model.meta', 'graph.pbtxt', 'graph.pb', 'expected.json', ...ex.checkpoint.files]) {
      expect(existsSync(join(FIXTURES_DIR, name, f)), f).toBe(true);
    }
    expect(ex.fixture).toBe(name);
    expect(ex.checkpoint.prefix).toBe(`ckpt/model.ckpt-${ex.checkpoint.step}`);
    expect(readFileSync(join(FIXTURES_DIR, name, 'ckpt', 'checkpoint'), 'utf8')).toBe(ex.checkpoint.state_file);
    // Relative paths only: the fixture works wherever the repository is.
    expect(ex.checkpoint.state_file).toBe(
      `model_checkpoint_path: "model.ckpt-${ex.checkpoint.step}"\nall_model_checkpoint_paths: "model.ckpt-${ex.checkpoint.step}"\n`,
    );
  });

  it('writes float32 values that are exact and agree with their bit patterns', () => {
    const visit = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const t = node as EncodedTensor;
      if (t.dtype === 'float32' && t.values && t.bits) {
        expect(t.values.length).toBe(t.bits.length);
        const f = Float32Array.from(t.values as number[]);
        expect(Array.from(f)).toEqual(t.values);
        expect(Array.from(new Uint32Array(f.buffer))).toEqual(t.bits);
        expect(tensorMismatches(decodeTensor(t), t)).toEqual([]);
      }
      Object.values(node).forEach(visit);
    };
    visit(ex);
  });

  it('has steps whose global step counts up, and feeds that resolve', () => {
    expect(ex.steps.map((s) => s.step)).toEqual(ex.steps.map((_, i) => i + 1));
    for (const s of ex.steps) for (const f of Object.values(s.feeds)) resolveFeed(name, f);
    const last = ex.steps.find((s) => s.step === ex.checkpoint.step);
    if (last?.after) {
      for (const [k, v] of Object.entries(last.after)) {
        expect(tensorMismatches(decodeTensor(v), ex.checkpoint.tensors[k]), k).toEqual([]);
      }
    }
    expect(ex.checkpoint.tensors.global_step.values).toEqual([String(ex.checkpoint.step)]);
  });

  it('makes expectTensor refuse its recorded trained floats and accept what is CPU-independent', () => {
    const loss = ex.steps[0].fetches['loss:0'];
    expect(() => expectTensor(decodeTensor(loss), loss)).toThrow(/computed on the CPU that made the fixtures/);
    for (const o of ex.outputs) for (const enc of Object.values(o.fetches)) expect(isReference(enc)).toBe(enc.dtype === 'float32');
    for (const enc of Object.values(ex.steps[0].after ?? {})) expect(isReference(enc)).toBe(enc.dtype === 'float32');
    for (const enc of [...Object.values(ex.checkpoint.tensors), ...Object.values(ex.initial ?? {})]) expect(isReference(enc)).toBe(false);
    const stored = ex.checkpoint.tensors.global_step;
    expectTensor(decodeTensor(stored), stored);
  });

  it('names tensors as "op:index" and everything in the variables list', () => {
    for (const n of namesOf(ex.names)) expect(n).toMatch(/^[A-Za-z0-9_.][A-Za-z0-9_.\-/]*(:\d+)?$/);
    for (const v of ex.variables) expect(Object.keys(ex.checkpoint.tensors)).toContain(v.name);
  });
});

// Everything Python-side runs in ONE process (TF import costs seconds), from a temporary cwd.
const PY_CHECK = `
from google.protobuf import text_format
root = sys.argv[1]
manifest = json.load(open(os.path.join(root, 'manifest.json')))
config = tf1.ConfigProto(**manifest['session_config'])
out = {'cwd': os.getcwd(), 'fixtures': {}}

def names_of(tree):
    if isinstance(tree, str):
        return [tree]
    if isinstance(tree, dict):
        return [n for v in tree.values() for n in names_of(v)]
    return []

def missing_in(graph, names):
    miss = []
    for n in names:
        try:
            graph.get_tensor_by_name(n) if ':' in n else graph.get_operation_by_name(n)
        except (KeyError, ValueError):
            miss.append(n)
    return miss

def feed_value(v, data):
    if 'source' in v:
        arr = data[v['key']]
        full = np.array(arr['values'], dtype=arr['dtype']).reshape(arr['shape'])
        return full[v['rows'][0]:v['rows'][1]]
    return np.array(v['values'], dtype=v['dtype']).reshape(v['shape'])

def summary_values(b64):
    return [{'tag': v.tag, 'simple_value': raw(np.float32(v.simple_value))}
            for v in tf1.Summary.FromString(base64.b64decode(b64)).value]

for fx in manifest['fixtures']:
    name = fx['name']
    d = os.path.join(root, name)
    ex = json.load(open(os.path.join(d, 'expected.json')))
    data = json.load(open(os.path.join(d, 'data.json'))) if os.path.exists(os.path.join(d, 'data.json')) else {}
    r = {}
    ckdir = os.path.join(d, 'ckpt')
    latest = tf.train.latest_checkpoint(ckdir)
    r['latest'] = os.path.relpath(latest, d).replace(os.sep, '/') if latest else None
    st = tf.train.get_checkpoint_state(ckdir)
    r['state_paths'] = [os.path.relpath(p, d).replace(os.sep, '/') for p in st.all_model_checkpoint_paths]
    reader = tf.train.load_checkpoint(latest)
    r['reader'] = {k: raw(reader.get_tensor(k)) for k in sorted(reader.get_variable_to_shape_map())}

    names = names_of(ex['names'])
    with open(os.path.join(d, 'graph.pb'), 'rb') as f:
        pb = tf1.GraphDef.FromString(f.read())
    with open(os.path.join(d, 'graph.pbtxt')) as f:
        txt = text_format.Parse(f.read(), tf1.GraphDef())
    meta = tf1.MetaGraphDef()
    with open(os.path.join(d, 'model.meta'), 'rb') as f:
        meta.ParseFromString(f.read())
    r['pbtxt_equals_pb'] = txt == pb
    r['pb_equals_meta'] = pb == meta.graph_def
    gpb = tf.Graph()
    with gpb.as_default():
        tf.graph_util.import_graph_def(pb, name='')
    r['missing_in_pb'] = missing_in(gpb, names)

    g = tf.Graph()
    with g.as_default():
        # distributed: its devices name a cluster that does not exist here
        saver = tf1.train.import_meta_graph(os.path.join(d, 'model.meta'), clear_devices=True)
        r['missing_in_meta'] = missing_in(g, names)
        with tf1.Session(graph=g, config=config) as sess:
            saver.restore(sess, latest)
            r['restored'] = {v.op.name: raw(sess.run(v)) for v in tf1.global_variables()}
            outs = []
            for o in ex['outputs']:
                feed = {}
                for k, v in o['feeds'].items():
                    feed[k] = feed_value(v, data)
                fetches = list(o['fetches'])
                vals = sess.run(fetches, feed_dict=feed)
                outs.append({n: raw(v) for n, v in zip(fetches, vals)})
            r['outputs'] = outs
    # steps[] again, on model.meta imported into a fresh graph, from init: what a TS port replays.
    r['replay'] = replay(root, name)
    for st in r['replay']['steps']:
        st['summary_values'] = {n: summary_values(b) for n, b in st['summaries'].items()}
    out['fixtures'][name] = r
emit(out)
`;

interface PyFixtureResult {
  latest: string | null;
  state_paths: string[];
  reader: Record<string, RawTensor>;
  pbtxt_equals_pb: boolean;
  pb_equals_meta: boolean;
  missing_in_pb: string[];
  missing_in_meta: string[];
  restored: Record<string, RawTensor>;
  outputs: Array<Record<string, RawTensor>>;
  replay: FixtureReplay & {
    steps: Array<{ summary_values: Record<string, Array<{ tag: string; simple_value: RawTensor }>> }>;
  };
}

/**
 * How far a float32 computed by training (or through MatMul) on this machine may be from the value
 * recorded on the machine that made the fixtures, as a fraction of the tensor's largest magnitude.
 * Another CPU sums MatMul products in another order; measured on an AMD EPYC, mlp_digits' 8 Adam
 * steps end ≤ 8e-7 away from the recorded values, and moving every initial weight by 1 ULP moves
 * them ≤ 6e-6; a different graph, feed or optimizer moves them by orders of magnitude more.
 */
const TRAINED_FLOAT_TOLERANCE = 1e-4;

/** tensorMismatches, but float32 elements (and the float64 sum of large tensors) within the tolerance. */
function referenceMismatches(raw: RawTensor, enc: EncodedTensor): string[] {
  const got = decodeRaw(raw);
  if (enc.dtype !== 'float32' || got.dtype !== 'float32') return tensorMismatches(got as never, enc);
  if (JSON.stringify(got.shape) !== JSON.stringify(enc.shape))
    return [`shape ${JSON.stringify(got.shape)} != ${JSON.stringify(enc.shape)}`];
  const data = got.data as Float32Array;
  const tol = TRAINED_FLOAT_TOLERANCE * data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const out: string[] = [];
  for (const [label, recorded] of [
    ['values', enc.values],
    ['head_values', enc.head_values],
  ] as const) {
    (recorded as number[] | undefined)?.forEach((want, i) => {
      if (!(Math.abs(data[i] - want) <= tol)) out.push(`${label}[${i}] ${data[i]} not within ${tol} of ${want}`);
    });
  }
  if (enc.sum_f64 !== undefined) {
    const sum = data.reduce((a, v) => a + v, 0);
    if (!(Math.abs(sum - enc.sum_f64) <= data.length * tol)) out.push(`sum_f64 ${sum} not within ${data.length * tol} of ${enc.sum_f64}`);
  }
  return out;
}

describe('Python TF restores every fixture from another working directory', () => {
  let cwd: string;
  let py: { cwd: string; fixtures: Record<FixtureName, PyFixtureResult> };

  beforeAll(() => {
    requirePythonTF();
    cwd = mkdtempSync(join(tmpdir(), 'tfm-fixtures-cwd-'));
    py = runPythonJSON(PY_CHECK, { cwd, args: [FIXTURES_DIR], timeoutMs: 300_000, preamble: PY_PREAMBLE + PY_REPLAY_DEFS });
  });
  afterAll(() => {
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('ran outside the repository', () => {
    expect(py.cwd).not.toContain(FIXTURES_DIR);
    expect(Object.keys(py.fixtures).sort()).toEqual([...FIXTURE_NAMES].sort());
  });

  describe.each(FIXTURE_NAMES.map((n) => [n] as const))('%s', (name) => {
    const ex = loadExpected(name);
    const r = () => py.fixtures[name];
    const mismatches = (raw: RawTensor, enc: EncodedTensor) => tensorMismatches(decodeRaw(raw), enc);

    it('latest_checkpoint resolves the relative state file', () => {
      expect(r().latest).toBe(ex.checkpoint.prefix);
      expect(r().state_paths).toEqual([ex.checkpoint.prefix]);
    });

    it('has the same GraphDef in graph.pbtxt, graph.pb and model.meta, holding every recorded name', () => {
      expect(r().pbtxt_equals_pb).toBe(true);
      expect(r().pb_equals_meta).toBe(true);
      expect(r().missing_in_pb).toEqual([]);
      expect(r().missing_in_meta).toEqual([]);
    });

    it('reads the checkpoint tensors bit for bit as expected.json records them', () => {
      expect(Object.keys(r().reader).sort()).toEqual(Object.keys(ex.checkpoint.tensors).sort());
      for (const [k, enc] of Object.entries(ex.checkpoint.tensors)) expect(mismatches(r().reader[k], enc), k).toEqual([]);
    });

    it('restores model.meta + checkpoint into variables equal to expected.json', () => {
      expect(Object.keys(r().restored).sort()).toEqual(ex.variables.map((v) => v.name).sort());
      for (const [k, raw] of Object.entries(r().restored)) expect(mismatches(raw, ex.checkpoint.tensors[k]), k).toEqual([]);
    });

    // Trained and computed floats depend on the CPU (test/support/fixture-replay.ts): here they
    // are references, checked within TRAINED_FLOAT_TOLERANCE; integers must still be exact.
    it('replays steps[] on model.meta from init with the recorded fetches, summaries and variable values', () => {
      const rep = r().replay;
      expect(rep.steps.length).toBe(ex.steps.length);
      ex.steps.forEach((s, i) => {
        const got = rep.steps[i];
        for (const [n, enc] of Object.entries(s.fetches))
          expect(referenceMismatches(got.fetches[n], enc), `step ${s.step} ${n}`).toEqual([]);
        for (const [n, summ] of Object.entries(s.summaries ?? {})) {
          expect(
            got.summary_values[n].map((v) => v.tag),
            `step ${s.step} ${n} tags`,
          ).toEqual(summ.values.map((v) => v.tag));
          summ.values.forEach((v, j) =>
            expect(referenceMismatches(got.summary_values[n][j].simple_value, v.simple_value!), `step ${s.step} ${v.tag}`).toEqual([]),
          );
        }
        for (const [k, enc] of Object.entries(s.after ?? {}))
          expect(referenceMismatches(got.after[k], enc), `step ${s.step} after ${k}`).toEqual([]);
      });
      expect(rep.end_error).toBe(ex.end_error ?? null);
    });

    it('recomputes the recorded outputs', () => {
      expect(r().outputs.length).toBe(ex.outputs.length);
      ex.outputs.forEach((o, i) => {
        for (const [n, enc] of Object.entries(o.fetches))
          expect(referenceMismatches(r().outputs[i][n], enc), `${o.description}: ${n}`).toEqual([]);
      });
    });
  });
});
