// lib/proto against Python TF of the pinned version: binary and text format byte for byte, errors,
// and the generated schema against the descriptors Python TF itself loads. One Python process
// writes every artefact (importing TF costs seconds).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { equals, type DescMessage } from '@bufbuild/protobuf';
import { fromText } from '@bufbuild/protobuf/txtpb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointStateSchema,
  GraphDefSchema,
  MetaGraphDefSchema,
  NodeDefSchema,
  ProtoDecodeError,
  SCHEMA_FILES,
  SCHEMA_TF_VERSION,
  SummarySchema,
  TensorProtoSchema,
  TextFormatError,
  create,
  decodeBinary,
  findMessageSchema,
  parseText,
  printText,
  registry,
  toBinary,
  toBinaryDeterministic,
} from '../../lib/proto';
import { requirePythonTF, runPythonJSON } from '../support/python';

interface PyOut {
  version: string;
  /** Crafted messages: Python's deterministic binary and MessageToString text of each. */
  samples: { name: string; type: string; pb: string; txt: string }[];
  /** Python's text_format.Parse errors for the same bad inputs we parse. */
  errors: { text: string; line: number; column: number; message: string }[];
  /** message full name -> [[field name, number, type, repeated, type name]] sorted by number */
  schema: Record<string, [string, number, number, boolean, string][]>;
  enums: Record<string, [string, number][]>;
}

const BAD_TEXTS = [
  'node {\n  name: "x"\n  nmae: "y"\n}\n', // unknown field
  'node {\n  name: "x"\n  op: \n}\n', // value missing
  'node { name: "x\n" }\n', // newline inside a string
  'node { name: "x" } }\n', // stray brace
  'versions { producer: 1.5 }\n', // float for an int field
  'node { attr { key: "a" value { i: 99999999999999999999 } } }\n', // out of range
  '\n\n  node { op: "\u00e9" nmae: 1 }\n', // column counts characters
  'node { name: "x" } # comment\nnode { name @ }\n', // bad character after a comment
];

const PYTHON = String.raw`
from google.protobuf import text_format, descriptor_pool
from tensorflow.core.framework import graph_pb2, node_def_pb2, attr_value_pb2, tensor_pb2, function_pb2, summary_pb2
from tensorflow.core.protobuf import config_pb2, meta_graph_pb2, saver_pb2, tensorflow_server_pb2
from tensorflow.core.util import event_pb2
import importlib, struct, random

out = sys.argv[1]
req = json.loads(sys.stdin.read())

# --- real artefacts, written by TF's own functions ---
g = tf.Graph()
with g.as_default():
    x = tf1.placeholder(tf.float32, [None, 3], name='x')
    w = tf1.get_variable('w', [3, 1], initializer=tf1.constant_initializer(0.1))
    tf.constant([1.5, 1e-5, 3.4028235e38, float('inf'), -0.0, 16777216.0, 0.1], name='c')
    tf.constant(['a"b\'c\\\n\t\x01\u00e9\u20ac', ''], name='s')
    tf.constant(0.3, name='scalar_f')
    tf.constant(2.5e-7, dtype=tf.float64, name='scalar_d')
    gs = tf1.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)), name='loss')
    tf1.summary.scalar('loss', loss)
    tf1.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=gs, name='train')
    saver = tf1.train.Saver()
    tf.io.write_graph(g, out, 'graph.pbtxt', as_text=True)
    tf.io.write_graph(g, out, 'graph.pb', as_text=False)
    mg = tf1.train.export_meta_graph(os.path.join(out, 'model.meta'), graph=g, saver_def=saver.as_saver_def())
    with open(os.path.join(out, 'model.meta.pbtxt'), 'w') as f:
        f.write(text_format.MessageToString(mg))
tf1.train.update_checkpoint_state(out, 'model.ckpt-6', ['model.ckpt-4', 'model.ckpt-5', 'model.ckpt-6'])

# --- crafted messages for the corners of the text format ---
samples = []
def sample(name, m):
    pb = os.path.join(out, name + '.pb'); txt = os.path.join(out, name + '.pbtxt')
    with open(pb, 'wb') as f: f.write(m.SerializeToString(deterministic=True))
    with open(txt, 'w') as f: f.write(text_format.MessageToString(m))
    samples.append({'name': name, 'type': m.DESCRIPTOR.full_name, 'pb': pb, 'txt': txt})

rnd = random.Random(7)
def f32(bits): return struct.unpack('<f', struct.pack('<I', bits))[0]
def f64(bits): return struct.unpack('<d', struct.pack('<Q', bits))[0]
t = tensor_pb2.TensorProto(dtype=1)
t.float_val.extend([0.1, 1/3, 1e-5, 1e-45, 1.17549435e-38, 3.4028235e38, 16777216, 16777217, 123456.7, 1e16, 1e15,
                    0.0001, 0.00001, -2.5, 1e-7, 100, 1234567.5, 9.999999e-5, float('inf'), float('-inf'), float('nan'), -0.0, 0.0])
t.float_val.extend(f32(rnd.getrandbits(32) & 0x7f7fffff | (rnd.getrandbits(1) << 31)) for _ in range(300))
t.double_val.extend([0.1, 1/3, 1e-5, 5e-324, 1e16, 1e15, 123456789012345678, 1.5e300, -0.0, float('nan'), float('inf'), 2**53 + 1.0])
t.double_val.extend(f64(rnd.getrandbits(64) & 0x7fefffffffffffff) for _ in range(300))
t.int64_val.extend([-2**63, 2**63 - 1, 0, -1])
t.uint64_val.extend([0, 2**64 - 1])
t.string_val.extend([bytes(range(256)), b'', 'caf\u00e9 \U0001F600'.encode('utf-8')])
t.bool_val.extend([True, False])
sample('tensor', t)

n = node_def_pb2.NodeDef(name='n\u00e9"\\', op='Op', device='/job:w/task:0')
for k in ['T', 'Tidx', 'Ta', 'a', 'ab', '', 'B', '\u00e9', '\u4e2d', '\U0001F600', 'z']:
    n.attr[k].CopyFrom(attr_value_pb2.AttrValue(i=len(k)))
n.attr['empty'].CopyFrom(attr_value_pb2.AttrValue())
n.attr['empty_list'].list.SetInParent()
n.attr['f'].f = 0.1
n.attr['neg'].i = -5
n.attr['fn'].func.name = 'f'
n.attr['fn'].func.attr['x'].b = True
n.input.extend(['a', '^b'])
sample('node', n)

cfg = config_pb2.ConfigProto(allow_soft_placement=True, log_device_placement=False, operation_timeout_in_ms=-1,
                             inter_op_parallelism_threads=2)
cfg.device_count['CPU'] = 1
cfg.device_count['GPU'] = 0
cfg.device_count[''] = 3
cfg.gpu_options.per_process_gpu_memory_fraction = 0.4
cfg.gpu_options.allow_growth = True
cfg.graph_options.optimizer_options.opt_level = -1
sample('config', cfg)
sample('run_options', config_pb2.RunOptions(trace_level=config_pb2.RunOptions.FULL_TRACE, timeout_in_ms=1000))

ev = event_pb2.Event(wall_time=1700000000.123456, step=42)
ev.summary.value.add(tag='loss', simple_value=0.25)
h = ev.summary.value.add(tag='h').histo
h.min = -1.5; h.max = 2.0; h.num = 3; h.sum = 0.5; h.sum_squares = 6.5
h.bucket_limit.extend([-1.0, 0.0, 1e300]); h.bucket.extend([1.0, 0.0, 2.0])
sample('event', ev)
sample('session_log', event_pb2.Event(wall_time=1.0, step=0, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START, checkpoint_path='/tmp/x')))

sd = tensorflow_server_pb2.ServerDef(job_name='worker', task_index=1, protocol='grpc')
job = sd.cluster.job.add(name='worker')
for i in [0, 1, 10, 2, 300]:
    job.tasks[i] = 'localhost:%d' % (2222 + i)
sample('server', sd)

fd = function_pb2.FunctionDef()
fd.signature.name = 'fn'
for i in [3, 0, 4294967295, 7]:
    fd.resource_arg_unique_id[i] = (i + 1) % 2**32
    fd.arg_attr[i].attr['x'].s = b'y'
sample('function', fd)

m = meta_graph_pb2.MetaGraphDef()
m.meta_info_def.any_info.Pack(saver_pb2.SaverDef(filename_tensor_name='save/Const:0', max_to_keep=5, version=2))
m.meta_info_def.tags.append('serve')
m.collection_def['anys'].any_list.value.add().Pack(tensor_pb2.TensorProto(dtype=3, int_val=[1]))
m.collection_def['floats'].float_list.value.extend([0.5, 0.1])
m.collection_def['ints'].int64_list.value.extend([1, -1])
sample('meta_any', m)

# --- Python's own parse errors ---
errors = []
for text in req['bad']:
    try:
        text_format.Parse(text, graph_pb2.GraphDef())
        errors.append({'text': text, 'line': 0, 'column': 0, 'message': 'no error'})
    except text_format.ParseError as e:
        errors.append({'text': text, 'line': e.GetLine(), 'column': e.GetColumn(), 'message': str(e)})

# --- the schema Python TF itself loads, for every file we generated ---
pool = descriptor_pool.Default()
def find_file(name):
    try:
        return pool.FindFileByName(name)
    except KeyError:
        mod = name[:-len('.proto')].replace('/', '.') + '_pb2'
        for prefix in ('', 'tensorflow.', 'tensorflow.compiler.'):
            try:
                importlib.import_module(prefix + mod)
                break
            except ImportError:
                pass
        return pool.FindFileByName(name)
schema, enums = {}, {}
def add_message(d):
    if d.GetOptions().map_entry: return  # map<K, V>: no message type of its own in TS
    schema[d.full_name] = [[f.name, f.number, f.type, f.is_repeated,
                            (f.message_type or f.enum_type).full_name if (f.message_type or f.enum_type) else '']
                           for f in sorted(d.fields, key=lambda f: f.number)]
    for n in d.nested_types: add_message(n)
    for e in d.enum_types: add_enum(e)
def add_enum(e):
    enums[e.full_name] = [[v.name, v.number] for v in e.values]
for name in req['files']:
    f = find_file(name)
    for d in f.message_types_by_name.values(): add_message(d)
    for e in f.enum_types_by_name.values(): add_enum(e)

emit({'version': tf.__version__, 'samples': samples, 'errors': errors, 'schema': schema, 'enums': enums})
`;

let dir: string;
let py: PyOut;
const read = (name: string) => readFileSync(join(dir, name));
const readText = (name: string) => readFileSync(join(dir, name), 'utf8');
const schemaOf = (typeName: string): DescMessage => {
  const s = findMessageSchema(typeName);
  if (!s) throw new Error(`no schema for ${typeName}`);
  return s;
};
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

beforeAll(() => {
  requirePythonTF();
  dir = mkdtempSync(join(tmpdir(), 'tfm-proto-'));
  py = runPythonJSON<PyOut>(PYTHON, { args: [dir], input: JSON.stringify({ bad: BAD_TEXTS, files: SCHEMA_FILES }) });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('generated schema', () => {
  it('comes from the pinned TF version', () => {
    const pin = JSON.parse(readFileSync(join(__dirname, '..', '..', 'scripts', 'libtensorflow.json'), 'utf8')) as { version: string };
    expect(SCHEMA_TF_VERSION).toBe(pin.version);
    expect(py.version).toBe(pin.version);
  });

  it('has every message, field and enum value Python TF has, with the same numbers and types', () => {
    expect(Object.keys(py.schema).length).toBeGreaterThan(100);
    for (const [typeName, fields] of Object.entries(py.schema)) {
      const desc = schemaOf(typeName);
      const ours = desc.fields
        .slice()
        .sort((a, b) => a.number - b.number)
        .map((f) => [f.name, f.number, f.proto.type, f.fieldKind === 'list' || f.fieldKind === 'map', f.proto.typeName.replace(/^\./, '')]);
      expect(ours, typeName).toEqual(fields);
    }
    for (const [typeName, values] of Object.entries(py.enums)) {
      const e = registry.getEnum(typeName);
      expect(e, typeName).toBeDefined();
      expect(
        e!.values.map((v) => [v.name, v.number]),
        typeName,
      ).toEqual(values);
    }
  });

  it('fills json names (toJson has camelCase keys)', () => {
    const g = create(GraphDefSchema, { versions: { producer: 1, minConsumer: 0 }, node: [{ name: 'a', op: 'NoOp' }] });
    const meta = create(MetaGraphDefSchema, { saverDef: { filenameTensorName: 'save/Const:0' } });
    expect(registry.getMessage('tensorflow.SaverDef')!.fields.every((f) => f.jsonName.length > 0)).toBe(true);
    expect(JSON.stringify(printText(GraphDefSchema, g))).toContain('producer: 1');
    expect(Object.keys(JSON.parse(JSON.stringify(meta.saverDef)))).toContain('filenameTensorName');
  });
});

describe('binary format', () => {
  it('graph.pb: decode and encode round-trip byte for byte', () => {
    const pb = read('graph.pb');
    const g = decodeBinary(GraphDefSchema, pb, { file: 'graph.pb' });
    expect(g.node.map((n) => n.name)).toContain('train');
    expect(same(toBinary(GraphDefSchema, g), pb)).toBe(true);
    expect(same(toBinaryDeterministic(GraphDefSchema, g), pb)).toBe(true);
  });

  it('model.meta: decode and encode round-trip byte for byte', () => {
    const meta = read('model.meta');
    const m = decodeBinary(MetaGraphDefSchema, meta);
    expect(m.saverDef?.filenameTensorName).toMatch(/^save\/Const(_\d+)?:0$/);
    expect(m.graphDef?.node.length).toBeGreaterThan(10);
    expect(same(toBinary(MetaGraphDefSchema, m), meta)).toBe(true);
    expect(same(toBinaryDeterministic(MetaGraphDefSchema, m), meta)).toBe(true);
  });

  it('crafted messages: deterministic encoding equals Python SerializeToString(deterministic=True)', () => {
    for (const s of py.samples) {
      const pb = readFileSync(s.pb);
      const schema = schemaOf(s.type);
      const msg = decodeBinary(schema, pb);
      expect(same(toBinaryDeterministic(schema, msg), pb), s.name).toBe(true);
    }
  });

  it('truncated bytes are a ProtoDecodeError naming the file, the type and the problem', () => {
    const pb = read('graph.pb');
    for (const n of [1, 7, 101, pb.length - 1]) {
      let err: unknown;
      try {
        decodeBinary(GraphDefSchema, pb.subarray(0, n), { file: '/x/graph.pb' });
      } catch (e) {
        err = e;
      }
      expect(err, `truncated to ${n}`).toBeInstanceOf(ProtoDecodeError);
      const e = err as ProtoDecodeError;
      expect(e.file).toBe('/x/graph.pb');
      expect(e.typeName).toBe('tensorflow.GraphDef');
      expect(e.message).toMatch(/^\/x\/graph\.pb: cannot decode tensorflow\.GraphDef: .*(EOF|premature|invalid)/i);
    }
  });

  it('garbage is a ProtoDecodeError too', () => {
    expect(() => decodeBinary(GraphDefSchema, Uint8Array.from([0x0f, 0xff, 0xff]))).toThrow(ProtoDecodeError);
  });
});

describe('text format', () => {
  it('graph.pbtxt: parseText then deterministic encoding equals Python graph.pb byte for byte', () => {
    const g = parseText(GraphDefSchema, readText('graph.pbtxt'), { file: 'graph.pbtxt' });
    expect(same(toBinaryDeterministic(GraphDefSchema, g), read('graph.pb'))).toBe(true);
  });

  it('graph.pbtxt: agrees with @bufbuild/protobuf txtpb', () => {
    const text = readText('graph.pbtxt');
    expect(equals(GraphDefSchema, parseText(GraphDefSchema, text), fromText(GraphDefSchema, text))).toBe(true);
  });

  it('printText of graph.pb is byte-identical to tf.io.write_graph(as_text=True)', () => {
    const g = decodeBinary(GraphDefSchema, read('graph.pb'));
    expect(printText(GraphDefSchema, g)).toBe(readText('graph.pbtxt'));
  });

  it('printText of model.meta equals Python MessageToString; its parse encodes back to model.meta', () => {
    const m = decodeBinary(MetaGraphDefSchema, read('model.meta'));
    const text = printText(MetaGraphDefSchema, m);
    expect(text).toBe(readText('model.meta.pbtxt'));
    expect(same(toBinaryDeterministic(MetaGraphDefSchema, parseText(MetaGraphDefSchema, text)), read('model.meta'))).toBe(true);
  });

  it('checkpoint state file: parse and print equal update_checkpoint_state output', () => {
    const text = readText('checkpoint');
    expect(text).toBe(
      'model_checkpoint_path: "model.ckpt-6"\n' +
        'all_model_checkpoint_paths: "model.ckpt-4"\nall_model_checkpoint_paths: "model.ckpt-5"\nall_model_checkpoint_paths: "model.ckpt-6"\n',
    );
    const st = parseText(CheckpointStateSchema, text, { file: 'checkpoint' });
    expect(st.modelCheckpointPath).toBe('model.ckpt-6');
    expect(st.allModelCheckpointPaths).toEqual(['model.ckpt-4', 'model.ckpt-5', 'model.ckpt-6']);
    expect(printText(CheckpointStateSchema, st)).toBe(text);
    const built = create(CheckpointStateSchema, {
      modelCheckpointPath: 'model.ckpt-6',
      allModelCheckpointPaths: ['model.ckpt-4', 'model.ckpt-5', 'model.ckpt-6'],
    });
    expect(printText(CheckpointStateSchema, built)).toBe(text);
  });

  it('crafted messages (floats, escapes, maps, Any, int keys): printText equals MessageToString and parses back', () => {
    for (const s of py.samples) {
      const schema = schemaOf(s.type);
      const pb = readFileSync(s.pb);
      const text = readFileSync(s.txt, 'utf8');
      expect(printText(schema, decodeBinary(schema, pb)), s.name).toBe(text);
      const parsed = parseText(schema, text, { file: s.txt });
      expect(same(toBinaryDeterministic(schema, parsed), pb), s.name).toBe(true);
    }
  });

  it('Any is printed expanded, as Python does', () => {
    const s = py.samples.find((x) => x.name === 'meta_any')!;
    expect(readFileSync(s.txt, 'utf8')).toContain('[type.googleapis.com/tensorflow.SaverDef] {');
  });

  it("syntax errors are TextFormatErrors with Python's line and column", () => {
    for (const [i, text] of BAD_TEXTS.entries()) {
      let err: unknown;
      try {
        parseText(GraphDefSchema, text, { file: 'bad.pbtxt' });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(text)).toBeInstanceOf(TextFormatError);
      const e = err as TextFormatError;
      const p = py.errors[i];
      expect(p.line, p.message).toBeGreaterThan(0);
      expect([e.line, e.column], `${JSON.stringify(text)}: ours "${e.message}", Python "${p.message}"`).toEqual([p.line, p.column]);
      expect(e.file).toBe('bad.pbtxt');
      expect(e.message.startsWith(`bad.pbtxt:${e.line}:${e.column}: `)).toBe(true);
    }
  });

  it('an unknown field is an error naming the field and the message type', () => {
    const text = 'node {\n  name: "a"\n  op: "NoOp"\n  colour: "red"\n}\n';
    expect(() => parseText(GraphDefSchema, text, { file: 'g.pbtxt' })).toThrow(
      'g.pbtxt:4:3: Message type "tensorflow.NodeDef" has no field named "colour".',
    );
    try {
      parseText(GraphDefSchema, text);
    } catch (e) {
      expect(e).toBeInstanceOf(TextFormatError);
      expect((e as TextFormatError).field).toBe('colour');
      expect((e as TextFormatError).file).toBeUndefined();
      expect((e as TextFormatError).message.startsWith('<text>:4:3:')).toBe(true);
    }
  });

  it('more errors: duplicate singular field, unterminated message, unknown enum, bad Any type', () => {
    const err = (text: string) => {
      try {
        parseText(GraphDefSchema, text);
      } catch (e) {
        expect(e).toBeInstanceOf(TextFormatError);
        return e as TextFormatError;
      }
      throw new Error(`no error for ${text}`);
    };
    expect(err('node { name: "a" name: "b" }').reason).toMatch(/should not have multiple "name" fields/);
    expect(err('node {\n  name: "a"\n').reason).toBe('Expected "}".');
    expect(err('node { attr { key: "T" value { type: DT_FLOOT } } }').reason).toMatch(/has no value named DT_FLOOT/);
    expect(err('node { attr { key: "T" value { i: 1 s: "x" } } }').reason).toMatch(/oneof/);
    expect(err('versions { producer: -1 bad_consumers: [1, 2,] }').column).toBeGreaterThan(0);
    const m = () => parseText(MetaGraphDefSchema, 'meta_info_def { any_info { [type.googleapis.com/tensorflow.Nope] {} } }');
    expect(m).toThrow(/tensorflow\.Nope/);
  });

  it('prints non-ASCII strings as UTF-8 by default, as octal escapes with asUtf8: false; bytes always escaped', () => {
    const n = create(NodeDefSchema, {
      name: 'caf\u00e9\n',
      attr: { s: { value: { case: 's', value: Uint8Array.from([0xc3, 0xa9, 0x27]) } } },
    });
    const utf8 = 'name: "caf\u00e9\\n"\nattr {\n  key: "s"\n  value {\n    s: "\\303\\251\\\'"\n  }\n}\n';
    expect(printText(NodeDefSchema, n)).toBe(utf8);
    expect(printText(NodeDefSchema, n, { asUtf8: false })).toBe(utf8.replace('caf\u00e9', 'caf\\303\\251'));
    for (const text of [utf8, printText(NodeDefSchema, n, { asUtf8: false })]) {
      expect(equals(NodeDefSchema, parseText(NodeDefSchema, text), n)).toBe(true);
    }
  });

  it('prints -0.0 in a float field without presence, as Python does', () => {
    const s = create(SummarySchema, { value: [{ tag: 'z', value: { case: 'simpleValue', value: -0 } }] });
    expect(printText(SummarySchema, s)).toBe('value {\n  tag: "z"\n  simple_value: -0.0\n}\n');
    const t = create(TensorProtoSchema, { versionNumber: 0, floatVal: [-0, 1e-45, 0.3] });
    expect(printText(TensorProtoSchema, t)).toBe('float_val: -0.0\nfloat_val: 1.4013e-45\nfloat_val: 0.3\n');
  });

  it('accepts the syntax Python accepts', () => {
    const text = `# comment
      node < name: 'a' op: "No" "Op" ; device: "" >
      node { name: "b" input: ["a", "^a"] attr [ { key: "f" value { f: 1.5f } }, { key: "g", value: { list { f: [inf, -inf, nan, 1e3, .5] i: [0x10, 010, -3] b: [true, f, 1] type: [DT_FLOAT, 3] } } } ] }
      versions { producer: 27 }`;
    const g = parseText(GraphDefSchema, text);
    expect(g.node[0]).toMatchObject({ name: 'a', op: 'NoOp', device: '' });
    expect(g.node[1].input).toEqual(['a', '^a']);
    expect(g.node[1].attr.f.value).toEqual({ case: 'f', value: 1.5 });
    const list = g.node[1].attr.g.value;
    expect(list.case).toBe('list');
    if (list.case === 'list') {
      expect(list.value.f.slice(0, 2)).toEqual([Infinity, -Infinity]);
      expect(Number.isNaN(list.value.f[2])).toBe(true);
      expect(list.value.i).toEqual([16n, 8n, -3n]);
      expect(list.value.b).toEqual([true, false, true]);
      expect(list.value.type).toEqual([1, 3]);
    }
    expect(g.versions?.producer).toBe(27);
  });
});
