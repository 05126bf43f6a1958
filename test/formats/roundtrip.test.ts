// Issue 3, "It must show" 1: every fixture's graph.pbtxt, parsed by us and re-encoded, is
// byte-identical to Python's graph.pb; every model.meta round-trips byte for byte. Beyond the
// message level, the same holds through a Graph: loading a file and writing it back (writeGraph,
// exportMetaGraph) gives Python's bytes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphDefSchema, MetaGraphDefSchema, decodeBinary, parseText, printText, toBinary, toBinaryDeterministic } from '../../lib/proto';
import { Graph } from '../../lib/graph-io/graph';
import { exportMetaGraph, writeGraph, writeGraphSync, detectGraphFormat } from '../../lib/graph-io';
import { FIXTURE_NAMES, fixturePath, loadManifest } from '../fixtures/fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'tfm-formats-rt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const read = (name: string, file: string) => new Uint8Array(readFileSync(fixturePath(name as never, file)));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('fixture files, message level', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: graph.pbtxt parsed and re-encoded is byte-identical to graph.pb`, () => {
      const gd = parseText(GraphDefSchema, readFileSync(fixturePath(name, 'graph.pbtxt'), 'utf8'), { file: 'graph.pbtxt' });
      expect(same(toBinaryDeterministic(GraphDefSchema, gd), read(name, 'graph.pb'))).toBe(true);
    });

    it(`${name}: model.meta (and the checkpoint's .meta) decode and re-encode byte for byte`, () => {
      const ckptMeta = loadManifest()
        .fixtures.find((f) => f.name === name)!
        .files.find((f) => f.path.endsWith('.meta') && f.path.includes('/ckpt/'))!;
      for (const file of ['model.meta', ckptMeta.path.slice(name.length + 1)]) {
        const bytes = read(name, file);
        const meta = decodeBinary(MetaGraphDefSchema, bytes);
        expect(same(toBinary(MetaGraphDefSchema, meta), bytes), file).toBe(true);
        expect(same(toBinaryDeterministic(MetaGraphDefSchema, meta), bytes), file).toBe(true);
      }
    });
  }
});

describe('fixture files through a Graph', () => {
  for (const name of FIXTURE_NAMES) {
    it(`${name}: formats are recognised by content, whatever the file is called`, () => {
      expect(detectGraphFormat(read(name, 'model.meta'))).toBe('meta_graph');
      expect(detectGraphFormat(read(name, 'graph.pb'))).toBe('graph_def');
      expect(detectGraphFormat(read(name, 'graph.pbtxt'))).toBe('graph_def_text');
      expect(
        detectGraphFormat(
          new TextEncoder().encode(printText(MetaGraphDefSchema, decodeBinary(MetaGraphDefSchema, read(name, 'model.meta')))),
        ),
      ).toBe('meta_graph_text');
    });

    it(`${name}: Graph.load(model.meta) then exportMetaGraph writes Python's model.meta byte for byte`, async () => {
      const graph = await Graph.load(fixturePath(name, 'model.meta'));
      const file = join(tmp, name, 'model.meta');
      await exportMetaGraph(graph, { filename: file });
      expect(same(readFileSync(file), read(name, 'model.meta'))).toBe(true);
      // Text form: what Python's export_meta_graph(as_text=True) writes, and it parses back to the same bytes.
      const text = join(tmp, name, 'model.meta.pbtxt');
      await exportMetaGraph(graph, { filename: text, asText: true });
      const parsed = parseText(MetaGraphDefSchema, readFileSync(text, 'utf8'));
      expect(same(toBinaryDeterministic(MetaGraphDefSchema, parsed), read(name, 'model.meta'))).toBe(true);
      // And a text .meta loads like the binary one.
      const again = await Graph.load(text);
      expect(again.operations().map((o) => o.name)).toEqual(graph.operations().map((o) => o.name));
      expect([...again.collections.keys()].sort()).toEqual([...graph.collections.keys()].sort());
    });

    it(`${name}: Graph.load(graph.pb / graph.pbtxt) then writeGraph writes Python's graph.pb and graph.pbtxt byte for byte`, async () => {
      for (const src of ['graph.pb', 'graph.pbtxt']) {
        const graph = await Graph.load(fixturePath(name, src));
        const withShapes = graph.asGraphDef({ addShapes: true });
        const pbtxt = await writeGraph(withShapes, join(tmp, name, src), 'graph.pbtxt');
        expect(pbtxt).toBe(join(tmp, name, src, 'graph.pbtxt'));
        expect(readFileSync(pbtxt, 'utf8')).toBe(readFileSync(fixturePath(name, 'graph.pbtxt'), 'utf8'));
        const pb = writeGraphSync(withShapes, join(tmp, name, src), 'graph.pb', false);
        expect(same(readFileSync(pb), read(name, 'graph.pb'))).toBe(true);
      }
    });
  }
});
