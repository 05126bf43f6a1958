/**
 * `tf-monitored train`: the README's main job. Loads an exported graph, opens a
 * MonitoredTrainingSession (chief or worker, in-process or on a grpc:// master), runs the train op
 * with the given feeds until a StopAtStepHook (or the data) ends training, then closes — which
 * writes the final checkpoint. SIGINT/SIGTERM stop after the current step, cleanly.
 */
import fs from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { Graph } from '../core/graph';
import type { Tensor } from '../core/tensor';
import { MonitoredTrainingSession } from '../train/monitored-training-session';
import { getGlobalStep } from '../train/global-step';
import { StopAtStepHook } from '../hooks/basic/stop-at-step-hook';
import { ArgumentError } from '../core/errors';

export interface TrainArgs {
  graph: string;
  checkpointDir?: string;
  master: string;
  worker?: boolean;
  trainOp?: string;
  fetch?: string[];
  feeds?: string;
  lastStep?: number;
  numSteps?: number;
  saveCheckpointSteps?: number | null;
  saveCheckpointSecs?: number | null;
  saveSummariesSteps?: number | null;
  logStepCountSteps?: number | null;
  quiet?: boolean;
}

function readFeeds(file: string | undefined): Array<Record<string, unknown>> {
  if (!file) return [{}];
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ArgumentError('--feeds', `--feeds ${file}: ${(e as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length === 0 || !list.every((f) => f && typeof f === 'object' && !Array.isArray(f))) {
    throw new ArgumentError('--feeds', `--feeds ${file}: expected an object of tensor name → values, or a non-empty array of them`);
  }
  return list as Array<Record<string, unknown>>;
}

function trainOpName(graph: Graph, given: string | undefined): string {
  if (given) return given;
  const fromCollection = graph.getCollection<{ name?: string } | string>('train_op')[0];
  if (typeof fromCollection === 'string') return fromCollection;
  if (fromCollection && typeof fromCollection.name === 'string') return fromCollection.name;
  return 'train';
}

export async function runTrain(args: TrainArgs): Promise<number> {
  const feeds = readFeeds(args.feeds);
  const graph = await Graph.load(args.graph);
  const trainOp = trainOpName(graph, args.trainOp);
  const hooks = [];
  if (args.lastStep !== undefined || args.numSteps !== undefined) {
    hooks.push(new StopAtStepHook({ lastStep: args.lastStep, numSteps: args.numSteps }));
  }
  const globalStep = getGlobalStep(graph);
  const sess = await MonitoredTrainingSession({
    graph,
    master: args.master,
    isChief: !args.worker,
    checkpointDir: args.checkpointDir,
    hooks,
    saveCheckpointSteps: args.saveCheckpointSteps,
    saveCheckpointSecs: args.saveCheckpointSecs,
    saveSummariesSteps: args.saveSummariesSteps,
    logStepCountSteps: args.logStepCountSteps,
    handleSignals: true,
  });
  const bar = args.quiet || !process.stderr.isTTY ? null : new SingleBar({
    format: args.lastStep !== undefined ? 'step {value}/{total} [{bar}] {fetched}' : 'step {value} {fetched}',
    hideCursor: true,
  }, Presets.shades_classic);
  const fetches: Record<string, unknown> = { train: trainOp };
  if (globalStep) fetches.step = globalStep.name;
  (args.fetch ?? []).forEach((name, i) => (fetches[`f${i}`] = name));
  let i = 0;
  let last: Record<string, unknown> = {};
  bar?.start(args.lastStep ?? 0, 0, { fetched: '' });
  try {
    while (!sess.shouldStop()) {
      last = (await sess.run(fetches as never, feeds[i++ % feeds.length] as never)) as Record<string, unknown>;
      const step = last.step ? Number((last.step as Tensor).scalar()) : i;
      const shown = (args.fetch ?? []).map((n, k) => `${n}=${String((last[`f${k}`] as Tensor).toArray())}`).join(' ');
      if (bar) bar.update(step, { fetched: shown });
      else if (!args.quiet && (i % 100 === 0)) console.log(`step ${step} ${shown}`);
    }
  } finally {
    bar?.stop();
    await sess.close();
  }
  const finalStep = last.step ? String((last.step as Tensor).scalar()) : String(i);
  console.log(`stopped after ${i} runs at global step ${finalStep} (${sess.stopReason ?? 'done'})` +
    (args.checkpointDir ? `; checkpoints in ${args.checkpointDir}` : ''));
  return 0;
}
