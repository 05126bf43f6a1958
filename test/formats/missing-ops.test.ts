// Issue 3, "It must show" 5: a graph that needs ops the loaded libtensorflow does not have fails
// with an error naming the ops and the versions (the GraphDef's producer, the library's), raised by
// Graph.load / fromGraphDef / fromMetaGraph before TF's importer runs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { create, toBinary } from '@bufbuild/protobuf';
import { GraphDefSchema, MetaGraphDefSchema, printText, type GraphDef } from '../../lib/proto';
import { Graph } from '../../lib/graph-io/graph';
import { InvalidArgumentError, NotFoundError } from '../../lib/core/errors';
import { tfVersion } from '../../lib/native';
import { GraphVersionError, MissingOpsError, libraryGraphDefVersion, opsUsedByGraphDef } from '../../lib/graph-io';

const tmp = mkdtempSync(join(tmpdir(), 'tfm-formats-ops-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const float = { value: { case: 'type', value: 1 } } as const;

/** A small valid graph plus hand-made NodeDefs of ops no TensorFlow has. */
function graphWithUnknownOps(producer: number): GraphDef {
  return create(GraphDefSchema, {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: float } },
      { name: 'warp', op: 'FancyWarpDrive', input: ['x'], attr: { T: float } },
      { name: 'y', op: 'Identity', input: ['warp'], attr: { T: float } },
      { name: 'flux/a', op: 'FluxCapacitor', input: ['y'] },
      { name: 'flux/b', op: 'FluxCapacitor', input: ['y'] },
    ],
    versions: { producer },
  });
}

function expectMissing(err: unknown, producer: number, file?: string): MissingOpsError {
  expect(err).toBeInstanceOf(MissingOpsError);
  const e = err as MissingOpsError;
  expect(e).toBeInstanceOf(NotFoundError);
  expect(e.ops).toEqual(['FancyWarpDrive', 'FluxCapacitor']);
  expect(e.nodes).toEqual({ FancyWarpDrive: ['warp'], FluxCapacitor: ['flux/a', 'flux/b'] });
  expect(e.producer).toBe(producer);
  expect(e.libraryProducer).toBe(libraryGraphDefVersion());
  expect(e.tfVersion).toBe(tfVersion());
  expect(e.file).toBe(file);
  // Ours, not TF's "Op type not registered ... in binary running on": TF's importer never ran.
  expect(e.message).not.toMatch(/Op type not registered/);
  expect(e.message).toContain(`FancyWarpDrive (node 'warp'), FluxCapacitor (nodes 'flux/a', 'flux/b')`);
  expect(e.message).toContain(`libtensorflow ${tfVersion()} (GraphDef version ${libraryGraphDefVersion()})`);
  return e;
}

describe('a graph with ops the loaded libtensorflow does not register', () => {
  it('the library reports its GraphDef version', () => {
    expect(libraryGraphDefVersion()).toBeGreaterThan(1000);
  });

  it('Graph.fromGraphDef names every missing op, its nodes, and both versions (newer producer)', () => {
    const producer = libraryGraphDefVersion() + 100;
    const e = expectMissing(
      (() => {
        try {
          Graph.fromGraphDef(graphWithUnknownOps(producer));
        } catch (x) {
          return x;
        }
      })(),
      producer,
    );
    expect(e.message).toBe(
      `the graph uses 2 ops that the loaded libtensorflow ${tfVersion()} (GraphDef version ${libraryGraphDefVersion()}) does not register: ` +
        `FancyWarpDrive (node 'warp'), FluxCapacitor (nodes 'flux/a', 'flux/b'). The graph was written by a newer TensorFlow ` +
        `(GraphDef version ${producer}): load a libtensorflow at least that new, or the library of custom ops that defines them.`,
    );
  });

  it('Graph.load of a .pb and of a .pbtxt file names the file (older producer)', async () => {
    const gd = graphWithUnknownOps(27);
    const pb = join(tmp, 'custom.pb');
    const pbtxt = join(tmp, 'custom.pbtxt');
    writeFileSync(pb, toBinary(GraphDefSchema, gd));
    writeFileSync(pbtxt, printText(GraphDefSchema, gd));
    for (const file of [pb, pbtxt]) {
      const e = expectMissing(await Graph.load(file).catch((x: unknown) => x), 27, file);
      expect(e.message.startsWith(`${file}: the graph uses 2 ops`)).toBe(true);
      expect(e.message).toContain('The graph was written by an older TensorFlow (GraphDef version 27)');
    }
  });

  it('Graph.fromMetaGraph and Graph#importGraphDef check before importing', () => {
    const producer = libraryGraphDefVersion();
    const meta = create(MetaGraphDefSchema, { graphDef: graphWithUnknownOps(producer) });
    expectMissing(
      (() => {
        try {
          Graph.fromMetaGraph(meta, { source: 'custom.meta' });
        } catch (x) {
          return x;
        }
      })(),
      producer,
      'custom.meta',
    );
    const g = new Graph();
    expectMissing(
      (() => {
        try {
          g.importGraphDef(toBinary(GraphDefSchema, graphWithUnknownOps(producer)));
        } catch (x) {
          return x;
        }
      })(),
      producer,
    );
    expect(g.operations()).toEqual([]);
  });

  it('follows function bodies, and does not count library functions as ops', () => {
    const gd = create(GraphDefSchema, {
      node: [{ name: 'call', op: 'my_fn' }],
      library: {
        function: [
          {
            signature: { name: 'my_fn' },
            nodeDef: [
              { name: 'inner', op: 'Teleport' },
              { name: 'nested', op: 'other_fn' },
            ],
          },
          { signature: { name: 'other_fn' }, nodeDef: [{ name: 'deep', op: 'NoOp' }] },
        ],
      },
      versions: { producer: libraryGraphDefVersion() },
    });
    expect(opsUsedByGraphDef(gd)).toEqual(['NoOp', 'Teleport']);
    const e = (() => {
      try {
        Graph.fromGraphDef(gd);
      } catch (x) {
        return x;
      }
    })() as MissingOpsError;
    expect(e).toBeInstanceOf(MissingOpsError);
    expect(e.ops).toEqual(['Teleport']);
    expect(e.nodes).toEqual({ Teleport: ['my_fn/inner'] });
  });
});

describe('a graph whose versions exclude the loaded libtensorflow', () => {
  it('min_consumer above the library version', () => {
    const lib = libraryGraphDefVersion();
    const gd = create(GraphDefSchema, { node: [{ name: 'n', op: 'NoOp' }], versions: { producer: lib + 50, minConsumer: lib + 10 } });
    const e = (() => {
      try {
        Graph.fromGraphDef(gd, { source: 'future.pb' });
      } catch (x) {
        return x;
      }
    })() as GraphVersionError;
    expect(e).toBeInstanceOf(GraphVersionError);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect([e.producer, e.minConsumer, e.libraryProducer]).toEqual([lib + 50, lib + 10, lib]);
    expect(e.message).toBe(
      `future.pb: the GraphDef needs a consumer of GraphDef version ${lib + 10} or later (its min_consumer; it was produced at ` +
        `version ${lib + 50}), but the loaded libtensorflow ${tfVersion()} is GraphDef version ${lib}: load a newer libtensorflow.`,
    );
  });

  it('the library listed as a bad consumer', () => {
    const lib = libraryGraphDefVersion();
    const gd = create(GraphDefSchema, { node: [{ name: 'n', op: 'NoOp' }], versions: { producer: lib, badConsumers: [lib] } });
    expect(() => Graph.fromGraphDef(gd)).toThrow(GraphVersionError);
    expect(() => Graph.fromGraphDef(gd)).toThrow(`disallows consumer GraphDef version ${lib}`);
  });

  it('a newer producer with only known ops loads', () => {
    const gd = create(GraphDefSchema, { node: [{ name: 'n', op: 'NoOp' }], versions: { producer: libraryGraphDefVersion() + 7 } });
    expect(Graph.fromGraphDef(gd).operation('n').type).toBe('NoOp');
  });
});
