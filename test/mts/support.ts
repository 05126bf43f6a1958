/**
 * Helpers for the MonitoredTrainingSession tests: fixture graphs loaded from their model.meta,
 * event-file summaries, and log capture.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromBinary, isMessage, toBinary } from '@bufbuild/protobuf';
import { Graph } from '../../lib/core/graph';
import { GraphDefSchema } from '../../lib/proto/gen/tensorflow/core/framework/graph_pb';
import { VariableDefSchema } from '../../lib/proto/gen/tensorflow/core/framework/variable_pb';
import { MetaGraphDefSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { QueueRunnerDefSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/queue_runner_pb';
import { SaverDefSchema } from '../../lib/proto/gen/tensorflow/core/protobuf/saver_pb';
import { readEvents } from '../../lib/summary/summary-iterator';
import { fixturePath, type FixtureName } from '../fixtures/fixtures';

const VARIABLE_KEYS = new Set(['variables', 'trainable_variables', 'local_variables', 'global_step', 'model_variables', 'moving_average_variables', 'metric_variables']);

/**
 * The fixture's model.meta as a Graph with its collections (VariableDef / SaverDef / QueueRunnerDef
 * messages and Operations/Outputs), as `Graph.load` gives it.
 */
export function loadFixtureGraph(name: FixtureName): Graph {
  const load = (Graph as unknown as { load?: unknown }).load;
  void load; // Graph.load is async; the tests use this synchronous import of the same content.
  const meta = fromBinary(MetaGraphDefSchema, fs.readFileSync(fixturePath(name, 'model.meta')));
  const g = Graph.fromGraphDefBytes(toBinary(GraphDefSchema, meta.graphDef!));
  for (const [key, def] of Object.entries(meta.collectionDef)) {
    const kind = def.kind;
    if (kind.case === 'nodeList') {
      for (const n of kind.value.value) g.addToCollection(key, /:\d+$/.test(n) ? g.tensor(n) : g.operation(n));
    } else if (kind.case === 'bytesList') {
      for (const b of kind.value.value) {
        if (VARIABLE_KEYS.has(key)) g.addToCollection(key, fromBinary(VariableDefSchema, b));
        else if (key === 'savers') g.addToCollection(key, fromBinary(SaverDefSchema, b));
        else if (key === 'queue_runners') g.addToCollection(key, fromBinary(QueueRunnerDefSchema, b));
        else g.addToCollection(key, b);
      }
    }
  }
  return g;
}

export function tmpDir(prefix = 'tfm-mts-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** One line per event: kind and step, as SPEC-MTS §8.6 lists them (timing values left out). */
export async function eventKinds(file: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readEvents(file)) {
    const step = e.step;
    const what = e.what;
    switch (what.case) {
      case 'fileVersion': out.push('file_version'); break;
      case 'graphDef': out.push('graph_def'); break;
      case 'metaGraphDef': out.push('meta_graph_def'); break;
      case 'sessionLog': out.push(`session_log ${['STATUS_UNSPECIFIED', 'START', 'STOP', 'CHECKPOINT'][what.value.status]} ${step}`); break;
      case 'summary': out.push(`summary ${what.value.value.map((v) => v.tag).join(',')} ${step}`); break;
      case 'taggedRunMetadata': out.push(`tagged_run_metadata ${what.value.tag} ${step}`); break;
      default: out.push(`${what.case} ${step}`);
    }
  }
  return out;
}

export function eventFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.')).sort().map((f) => path.join(dir, f));
}

export { isMessage };

/**
 * A tiny TS-built training graph: the global step, a float variable `w` (0.5) in the `variables`
 * collection, `train` (w -= 0.25 * w and global_step += 1), and a scalar summary `w_summary` in the
 * `summaries` collection.
 */
export async function counterGraph(): Promise<Graph> {
  const { getOrCreateGlobalStep } = await import('../../lib/train/global-step');
  const g = new Graph();
  const gs = getOrCreateGlobalStep(g);
  const w = g.addOp({ type: 'VariableV2', name: 'w', attrs: { dtype: 'float32', shape: [] } });
  g.addOp({ type: 'Assign', name: 'w/Assign', inputs: [w, g.addOp({ type: 'Const', name: 'w/Initializer/Const', attrs: { dtype: 'float32', value: 0.5 } })] });
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
