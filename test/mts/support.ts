/**
 * Helpers for the MonitoredTrainingSession tests: fixture graphs loaded from their model.meta,
 * event-file summaries, and log capture.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Graph } from '../../lib/graph-io/graph';
import { readEvents } from '../../lib/summary/summary-iterator';
import { fixturePath, type FixtureName } from '../fixtures/fixtures';

/** The fixture's model.meta as a Graph with its collections and SaverDef (`Graph.loadSync`). */
export function loadFixtureGraph(name: FixtureName): Graph {
  return Graph.loadSync(fixturePath(name, 'model.meta'));
}

export function tmpDir(prefix = 'tfm-mts-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** One line per event: kind and step, as docs/python-parity.md §8.6 lists them (timing values left out). */
export async function eventKinds(file: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readEvents(file)) {
    const step = e.step;
    const what = e.what;
    switch (what.case) {
      case 'fileVersion':
        out.push('file_version');
        break;
      case 'graphDef':
        out.push('graph_def');
        break;
      case 'metaGraphDef':
        out.push('meta_graph_def');
        break;
      case 'sessionLog':
        out.push(`session_log ${['STATUS_UNSPECIFIED', 'START', 'STOP', 'CHECKPOINT'][what.value.status]} ${step}`);
        break;
      case 'summary':
        out.push(`summary ${what.value.value.map((v) => v.tag).join(',')} ${step}`);
        break;
      case 'taggedRunMetadata':
        out.push(`tagged_run_metadata ${what.value.tag} ${step}`);
        break;
      default:
        out.push(`${what.case} ${step}`);
    }
  }
  return out;
}

export function eventFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * A tiny TS-built training graph: the global step, a float variable `w` (0.5) in the `variables`
 * collection, `train` (w -= 0.25 * w and global_step += 1), and a scalar summary `w_summary` in the
 * `summaries` collection.
 */
export async function counterGraph(): Promise<Graph> {
  const { getOrCreateGlobalStep } = await import('../../lib/core/global-step');
  const g = new Graph();
  const gs = getOrCreateGlobalStep(g);
  const w = g.addOp({ type: 'VariableV2', name: 'w', attrs: { dtype: 'float32', shape: [] } });
  g.addOp({
    type: 'Assign',
    name: 'w/Assign',
    inputs: [w, g.addOp({ type: 'Const', name: 'w/Initializer/Const', attrs: { dtype: 'float32', value: 0.5 } })],
  });
  g.addOp({ type: 'Identity', name: 'w/read', inputs: [w] });
  g.addToCollection('variables', w);
  const quarter = g.addOp({ type: 'Const', name: 'quarter', attrs: { dtype: 'float32', value: 0.25 } });
  const delta = g.addOp({ type: 'Mul', name: 'delta', inputs: [w, quarter] });
  const update = g.addOp({ type: 'AssignSub', name: 'update', inputs: [w, delta] });
  const one = g.addOp({ type: 'Const', name: 'one', attrs: { dtype: 'int64', value: 1n } });
  const inc = g.addOp({ type: 'AssignAdd', name: 'inc', inputs: [gs, one], controlInputs: [update] });
  g.addOp({ type: 'NoOp', name: 'train', controlInputs: [inc] });
  const tag = g.addOp({ type: 'Const', name: 'w_summary/tags', attrs: { dtype: 'string', value: 'w' } });
  const summary = g.addOp({ type: 'ScalarSummary', name: 'w_summary', inputs: [tag, 'w/read:0'] });
  g.addToCollection('summaries', summary.output(0));
  return g;
}
