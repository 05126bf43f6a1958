import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TFError } from '../../lib/core/errors';
import { exportMetaGraph, exportMetaGraphSync, writeGraph } from '../../lib/graph-io';
import { Graph } from '../../lib/graph-io/graph';

describe('writing graph files where a regular file is in the way', () => {
  const graph = new Graph();
  graph.addOp({ type: 'Const', name: 'c', attrs: { dtype: 'float32', value: 1 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfm-export-'));
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, 'x');
  const target = path.join(file, 'model.meta');

  it('exportMetaGraph and exportMetaGraphSync throw a typed error naming the file, as writeGraph does', async () => {
    const async = await exportMetaGraph(graph, { filename: target }).catch((e: unknown) => e);
    expect(async).toBeInstanceOf(TFError);
    expect((async as Error).message).toContain(target);
    let sync: unknown;
    try {
      exportMetaGraphSync(graph, { filename: target });
    } catch (e) {
      sync = e;
    }
    expect(sync).toBeInstanceOf(TFError);
    expect((sync as Error).message).toContain(target);
    const viaWriteGraph = await writeGraph(graph, file, 'graph.pbtxt').catch((e: unknown) => e);
    expect(viaWriteGraph).toBeInstanceOf(TFError);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });
});
