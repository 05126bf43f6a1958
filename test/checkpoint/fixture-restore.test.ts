/**
 * Issue 4, point 1: Python writes a checkpoint (the committed fixtures) → we restore it into the same
 * graph and read every variable bit-exactly, through the graph's own SaverDef and through a Saver we
 * build; CheckpointReader / listVariables / loadVariable read the same values. Restored values are
 * stored bytes, compared with expected.json; the outputs computed from them go through MatMul (whose
 * last bits depend on the CPU), so they are compared with Python TF computing them on this machine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError } from '../../lib/core/errors';
import { Saver } from '../../lib/checkpoint/saver';
import { CheckpointReader, listVariables, loadVariable } from '../../lib/checkpoint/checkpoint-reader';
import { getCheckpointState, latestCheckpoint } from '../../lib/checkpoint/checkpoint-state';
import { findVariables } from '../../lib/core/variables';
import { FIXTURE_NAMES, expectTensor, fixturePath, loadExpected, resolveFeed, type FixtureName } from '../fixtures/fixtures';
import { requirePythonTF } from '../support/python';
import { type FixtureReplay, expectSameAsPython, replayFixtures } from '../support/fixture-replay';
import { cleanupTmp, fixtureGraph, fixtureSaverDef, newSession, readTensorOf } from './support';

afterAll(cleanupTmp);

function prefixOf(name: FixtureName): string {
  return fixturePath(name, loadExpected(name).checkpoint.prefix);
}

describe('Saver#restore() of the Python fixtures', () => {
  let py: Record<FixtureName, FixtureReplay>;
  beforeAll(() => {
    requirePythonTF();
    py = replayFixtures(FIXTURE_NAMES);
  });

  for (const name of FIXTURE_NAMES) {
    const clearDevices = name === 'distributed';

    it(`${name}: restores through the graph's SaverDef and reads every variable bit-exactly`, async () => {
      const ex = loadExpected(name);
      const graph = fixtureGraph(name, { clearDevices });
      const saver = new Saver({ graph, saverDef: fixtureSaverDef(ex) });
      const sess = newSession(graph);
      try {
        await saver.restore(sess, prefixOf(name));
        for (const v of ex.variables) {
          const t = (await sess.run(readTensorOf(v)))!;
          expectTensor(t as never, ex.checkpoint.tensors[v.name], `${name}:${v.name}`);
        }
        // What Python computes with the checkpoint restored (forward pass only).
        for (const [i, out] of ex.outputs.entries()) {
          const feeds = Object.fromEntries(Object.entries(out.feeds).map(([k, f]) => [k, resolveFeed(name, f) as never]));
          for (const tensor of Object.keys(out.fetches)) {
            expectSameAsPython((await sess.run(tensor, feeds)) as never, py[name].outputs[i][tensor], `${name} output ${tensor}`);
          }
        }
      } finally {
        await sess.close();
      }
    });

    it(`${name}: restores through a Saver built for the graph's variables`, async () => {
      const ex = loadExpected(name);
      const graph = fixtureGraph(name, { clearDevices });
      const found = findVariables(graph)
        .map((v) => v.name)
        .sort();
      expect(found).toEqual(ex.variables.map((v) => v.name).sort());
      const saver = new Saver({ graph, sharded: true });
      const sess = newSession(graph);
      try {
        await saver.restore(sess, prefixOf(name));
        for (const v of ex.variables) {
          expectTensor((await sess.run(readTensorOf(v))) as never, ex.checkpoint.tensors[v.name], `${name}:${v.name}`);
        }
      } finally {
        await sess.close();
      }
    });

    it(`${name}: CheckpointReader, listVariables and loadVariable read the checkpoint`, async () => {
      const ex = loadExpected(name);
      const dir = fixturePath(name, ex.checkpoint.dir);
      // The fixture's state file holds relative paths: they resolve against the directory.
      expect((await getCheckpointState(dir))!.modelCheckpointPath).toBe(prefixOf(name));
      expect(await latestCheckpoint(dir)).toBe(prefixOf(name));
      const listed = listVariables(dir);
      expect(listed.map((v) => v.name)).toEqual(Object.keys(ex.checkpoint.tensors).sort());
      const reader = new CheckpointReader(prefixOf(name));
      try {
        for (const [key, enc] of Object.entries(ex.checkpoint.tensors)) {
          expect(reader.getVariableToShapeMap()[key]).toEqual(enc.shape);
          expect(reader.getVariableToDtypeMap()[key]).toBe(enc.dtype);
          expectTensor(reader.getTensor(key) as never, enc, `${name} reader ${key}`);
          expectTensor(loadVariable(dir, `${key}:0`) as never, enc, `${name} loadVariable ${key}`);
        }
      } finally {
        reader.close();
      }
      reader.close(); // idempotent
      expect(() => reader.getTensor(Object.keys(ex.checkpoint.tensors)[0])).toThrow(ClosedError);
    });
  }
});
