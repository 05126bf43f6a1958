// Issue 3, "It must show" 4: malformed input (truncated bytes, a pbtxt with a syntax error reported
// with line and column, an unknown field, a file that is not a graph) gives a typed error that
// names the file and the problem.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { create, toBinary } from '@bufbuild/protobuf';
import { CollectionDefSchema, MetaGraphDefSchema, decodeBinary } from '../../lib/proto';
import { Graph } from '../../lib/graph-io/graph';
import { ArgumentError, InvalidArgumentError, NotFoundError } from '../../lib/core/errors';
import { GraphFormatError } from '../../lib/graph-io';
import { FileWriter } from '../../lib/summary/file-writer';
import { fixturePath } from '../fixtures/fixtures';
import { thrownParam as param } from '../support/errors';

const tmp = mkdtempSync(join(tmpdir(), 'tfm-formats-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const META = readFileSync(fixturePath('linear', 'model.meta'));
const PB = readFileSync(fixturePath('linear', 'graph.pb'));
const PBTXT = readFileSync(fixturePath('linear', 'graph.pbtxt'), 'utf8');

function write(name: string, data: Uint8Array | string): string {
  const file = join(tmp, name);
  writeFileSync(file, data);
  return file;
}

/** Loads the file both ways (async path, sync bytes with a source name) and returns the error. */
async function loadError(file: string): Promise<GraphFormatError> {
  const err = await Graph.load(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, file).toBeInstanceOf(GraphFormatError);
  const e = err as GraphFormatError;
  expect(e).toBeInstanceOf(InvalidArgumentError);
  expect(e.file).toBe(file);
  expect(e.message.startsWith(file)).toBe(true);
  let sync: unknown;
  try {
    Graph.loadSync(readFileSync(file), { source: file });
  } catch (x) {
    sync = x;
  }
  expect((sync as Error).message).toBe(e.message);
  return e;
}

describe('truncated bytes', () => {
  for (const [label, bytes] of [
    ['model.meta', META],
    ['graph.pb', PB],
  ] as const) {
    for (const n of [7, 101, bytes.length >> 1, bytes.length - 1]) {
      it(`${label} cut to ${n} bytes is a GraphFormatError saying it is truncated`, async () => {
        const file = write(`${label}.cut${n}`, bytes.subarray(0, n));
        const e = await loadError(file);
        expect(e.reason).toMatch(/^truncated or corrupted: cannot decode it as a tensorflow\.(MetaGraphDef|GraphDef) \(premature EOF\)/);
        expect(e.reason).toContain(
          label === 'graph.pb' ? 'as a tensorflow.GraphDef (premature EOF)' : 'as a tensorflow.MetaGraphDef (premature EOF)',
        );
      });
    }
  }

  it('Graph.fromGraphDef and importGraphDef report truncated bytes too', () => {
    const cut = PB.subarray(0, PB.length - 1);
    expect(() => Graph.fromGraphDef(cut, { source: 'cut.pb' })).toThrow(GraphFormatError);
    expect(() => Graph.fromGraphDef(cut, { source: 'cut.pb' })).toThrow(/^cut\.pb: truncated or corrupted/);
    const g = new Graph();
    expect(() => g.importGraphDef(cut, { source: 'cut.pb' })).toThrow(/^cut\.pb: not a serialized tensorflow\.GraphDef: premature EOF/);
  });
});

describe('text format errors', () => {
  it('a syntax error names the file, line and column', async () => {
    const e = await loadError(write('syntax.pbtxt', PBTXT.replace('  op: "Const"', '  op "Const"')));
    expect([e.line, e.column]).toEqual([3, 6]);
    expect(e.message).toBe(
      `${join(tmp, 'syntax.pbtxt')}:3:6: invalid text tensorflow.GraphDef: Expected ":" after field "op", found ""Const"".`,
    );
  });

  it('an unterminated string deep in the file', async () => {
    const lines = PBTXT.split('\n');
    const at = lines.findIndex((l, i) => i > 1000 && l.includes('s: "'));
    lines[at] = lines[at].replace(/"$/, '');
    const e = await loadError(write('unterminated.pbtxt', lines.join('\n')));
    expect(e.line).toBe(at + 1);
    expect(e.reason).toBe('invalid text tensorflow.GraphDef: String missing ending quote.');
  });

  it('an unknown field names the field and the message type, with its position', async () => {
    const e = await loadError(write('unknown.pbtxt', PBTXT.replace('  op: "Const"', '  opp: "Const"')));
    expect([e.line, e.column]).toEqual([3, 3]);
    expect(e.reason).toBe('invalid text tensorflow.GraphDef: Message type "tensorflow.NodeDef" has no field named "opp".');
  });

  it('an unknown field in a text MetaGraphDef', async () => {
    const text = 'meta_info_def {\n  tensorflow_version: "2.21.0"\n}\ngraph_def {\n  nodes {\n  }\n}\n';
    const e = await loadError(write('unknown.meta', text));
    expect([e.line, e.column]).toEqual([5, 3]);
    expect(e.reason).toMatch(/Message type "tensorflow\.GraphDef" has no field named "nodes"/);
  });

  it('text that is not a graph names its first field', async () => {
    const e = await loadError(fixturePath('linear', 'ckpt', 'checkpoint'));
    expect([e.line, e.column]).toEqual([1, 1]);
    expect(e.reason).toMatch(/^not a graph: text whose first field is 'model_checkpoint_path'/);
    const j = await loadError(fixturePath('linear', 'expected.json'));
    expect(j.reason).toMatch(/^not a graph: text whose first field is '\{'/);
  });
});

describe('files that are not graphs', () => {
  it('a JPEG image', async () => {
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01]);
    const e = await loadError(write('photo.pb', jpeg));
    expect(e.reason).toMatch(/^not a graph: this is a JPEG image/);
  });

  it('an event file written by TF (holding a graph event)', async () => {
    const logdir = join(tmp, 'events');
    mkdirSync(logdir);
    const w = new FileWriter(logdir, { graph: Graph.fromGraphDef(PB) });
    await w.flush();
    const file = w.fileName!;
    await w.close();
    const e = await loadError(file);
    expect(e.reason).toMatch(/^not a graph: this is an event file \(TFRecord of tensorflow\.Event records/);
  });

  it('a checkpoint index and a checkpoint data file', async () => {
    const index = await loadError(fixturePath('linear', 'ckpt', 'model.ckpt-3.index'));
    expect(index.reason).toMatch(/^not a graph: this is a checkpoint index/);
    const data = await loadError(fixturePath('mlp_digits', 'ckpt', 'model.ckpt-8.data-00000-of-00001'));
    expect(data.reason).toMatch(/^(truncated or corrupted|corrupted, or not a graph): cannot decode it/);
  });

  it('an empty file, random bytes, a directory, a missing file', async () => {
    expect((await loadError(write('empty.pb', new Uint8Array()))).reason).toMatch(/^the file is empty/);
    expect(await loadError(write('random.pb', Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])))).toBeInstanceOf(
      GraphFormatError,
    );
    const dir = await Graph.load(tmp).catch((e: unknown) => e);
    expect(dir).toBeInstanceOf(GraphFormatError);
    expect((dir as Error).message).toBe(`${tmp}: is a directory; expected a graph file (.meta, .pb or .pbtxt)`);
    const missing = await Graph.load(join(tmp, 'nope.meta')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toContain(join(tmp, 'nope.meta'));
  });

  it('a GraphDef where a MetaGraphDef is required, and the other way round', () => {
    expect(() => Graph.fromMetaGraph(fixturePath('linear', 'graph.pb'))).toThrow(GraphFormatError);
    expect(() => Graph.fromMetaGraph(fixturePath('linear', 'graph.pb'))).toThrow(/graph\.pb: is a GraphDef, not a MetaGraphDef/);
    expect(() => Graph.fromGraphDef(META, { source: 'model.meta' })).toThrow(/^model\.meta: is a MetaGraphDef, not a GraphDef/);
  });
});

describe('inconsistent MetaGraphDefs and bad arguments', () => {
  it('a collection naming a node the graph does not have', () => {
    const bad = decodeBinary(MetaGraphDefSchema, META);
    bad.collectionDef.train_op = create(CollectionDefSchema, { kind: { case: 'nodeList', value: { value: ['train', 'no_such_op'] } } });
    const file = write('badcoll.meta', toBinary(MetaGraphDefSchema, bad));
    expect(() => Graph.fromMetaGraph(file)).toThrow(GraphFormatError);
    expect(() => Graph.fromMetaGraph(file)).toThrow(`${file}: collection 'train_op' names 'no_such_op', which is not in the graph`);
  });

  it('a variables collection holding bytes that are not a VariableDef', () => {
    const bad = decodeBinary(MetaGraphDefSchema, META);
    const kind = bad.collectionDef.variables.kind;
    if (kind.case !== 'bytesList') throw new Error('fixture changed');
    kind.value.value[1] = Uint8Array.from([0x0a, 0x05, 0x77]);
    expect(() => Graph.fromMetaGraph(bad, { source: 'x.meta' })).toThrow(
      /^x\.meta: collection 'variables' holds bytes that are not a tensorflow\.VariableDef: premature EOF/,
    );
  });

  it('unbound inputs must come through inputMap, as in Python', () => {
    const meta = decodeBinary(MetaGraphDefSchema, META);
    meta.collectionDef.unbound_inputs = create(CollectionDefSchema, {
      kind: { case: 'bytesList', value: { value: [new TextEncoder().encode('$unbound_inputs_x:0')] } },
    });
    const e = (() => {
      try {
        Graph.fromMetaGraph(meta);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(ArgumentError);
    expect((e as ArgumentError).param).toBe('inputMap');
    expect((e as Error).message).toBe('Graph contains unbound inputs: $unbound_inputs_x:0. Must provide these inputs through inputMap.');
  });

  it('TF import errors name the file', () => {
    const meta = decodeBinary(MetaGraphDefSchema, META);
    const gd = meta.graphDef!;
    gd.node = gd.node.filter((n) => n.name !== 'w'); // w/read etc. now read a missing node
    const e = (() => {
      try {
        Graph.fromGraphDef(gd, { source: 'broken.pb' });
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/^broken\.pb: .*'w'/);
  });

  it('bad arguments are ArgumentErrors naming the parameter', async () => {
    expect(param(() => Graph.loadSync(42 as never))).toBe('source');
    expect(param(() => Graph.loadSync(PB, { importScope: 3 as never }))).toBe('importScope');
    expect(param(() => Graph.loadSync(PB, { clearDevices: 'yes' as never }))).toBe('clearDevices');
    expect(param(() => Graph.loadSync(PB, { inputMap: 5 as never }))).toBe('inputMap');
    expect(param(() => Graph.fromGraphDef({ node: [] } as never))).toBe('graphDef');
    expect(param(() => Graph.fromMetaGraph(12 as never))).toBe('metaGraphDef');
    expect(param(() => Graph.loadSync(PB, { inputMap: { 'x:0': 7 as never } }))).toBe("inputMap['x:0']");
  });
});

// TF's import runs shape inference through function calls: a recursive library overflowed the
// process's stack (SIGSEGV). Refused before TF sees it, naming the cycle.
describe('a recursive function library', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('is an InvalidArgumentError naming the cycle, directly or through a func attr; a plain library still loads', async () => {
    const direct = 'library { function { signature { name: "f" } node_def { name: "x" op: "f" } } } node { name: "call" op: "f" }';
    const e1 = await Graph.load(enc(direct)).then(
      () => null,
      (x) => x,
    );
    expect(e1).toBeInstanceOf(InvalidArgumentError);
    expect(e1.message).toContain("recursive ('f' → 'f')");
    const indirect =
      'library {' +
      ' function { signature { name: "f" } node_def { name: "c" op: "PartitionedCall" attr { key: "f" value { func { name: "g" } } } } }' +
      ' function { signature { name: "g" } node_def { name: "d" op: "f" } } }' +
      ' node { name: "call" op: "g" }';
    const e2 = await Graph.load(enc(indirect)).then(
      () => null,
      (x) => x,
    );
    expect(e2).toBeInstanceOf(InvalidArgumentError);
    expect(e2.message).toMatch(/recursive \('(f|g)' → '(g|f)' → '\1'\)/);
    // Not recursive: h calls k, twice.
    const plain =
      'library { function { signature { name: "k" } } function { signature { name: "h" } node_def { name: "a" op: "k" } node_def { name: "b" op: "k" } } }' +
      ' node { name: "call" op: "h" }';
    const g = await Graph.load(enc(plain));
    expect(g.hasOperation('call')).toBe(true);
  });
});

describe('Graph.load on what is not a graph file', () => {
  it('a FIFO, a device and a NUL in the path are typed errors, without reading (a FIFO blocked the process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfm-load-'));
    const fifo = join(dir, 'pipe.pb');
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, '/dev/zero']) {
      const e = await Graph.load(file).then(
        () => null,
        (x) => x,
      );
      expect(e, file).toBeInstanceOf(GraphFormatError);
      expect(e.message).toContain('is not a regular file');
    }
    await expect(Graph.load(`${dir}/a\u0000b`)).rejects.toMatchObject({ name: 'ArgumentError', param: 'source' });
    await expect(Graph.load(new Uint8Array(0), null as never)).rejects.toMatchObject({ name: 'ArgumentError', param: 'opts' });
    await expect(Graph.load(fifo, null as never)).rejects.toMatchObject({ name: 'ArgumentError', param: 'opts' });
    rmSync(dir, { recursive: true, force: true });
  });
});
