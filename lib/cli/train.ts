/**
 * `tf-monitored train`: the README's main job. Loads an exported graph, opens a
 * MonitoredTrainingSession (chief or worker, in-process or on a grpc:// master), runs the train op
 * with the given feeds until a StopAtStepHook (or the data) ends training, then closes — which
 * writes the final checkpoint. SIGINT/SIGTERM stop after the current step, cleanly.
 *
 * With TF_CONFIG set and no --master, this process is the task TF_CONFIG names: it starts that
 * task's gRPC server and trains on it, as chief or worker by the chief rule (tf-config.ts).
 */
import { readTextSync } from '../core/file-io';
import { SingleBar, Presets } from 'cli-progress';
import { Graph } from '../core/graph';
import type { Tensor } from '../core/tensor';
import { MonitoredTrainingSession } from '../train/monitored-training-session';
import { getGlobalStep } from '../train/global-step';
import { StopAtStepHook } from '../hooks/basic/stop-at-step-hook';
import { ArgumentError } from '../core/errors';
import { tfConfig } from '../distribute/tf-config';
import { Level, setVerbosity } from '../train/logging';
import { checkTrainingTask, deviceFiltersFor, startTaskServer } from '../distribute/from-env';

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
  /** Without a progress bar, print a step line every this many runs (default 100). */
  logEvery?: number;
  /** Seconds between a worker's checks that the chief has initialized (Python: 30). */
  workerPollSecs?: number;
  /** Bounds every run (ConfigProto.operation_timeout_in_ms): a run that waits on a dead task fails instead. */
  operationTimeoutMs?: number;
  /** INFO logs too (restores, saves), as Python's set_verbosity(INFO). */
  verbose?: boolean;
}

function readFeeds(file: string | undefined): Array<Record<string, unknown>> {
  if (!file) return [{}];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readTextSync(file)); // gs://... through TF's filesystem
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

/** The master and chiefness: from the flags, or from TF_CONFIG when it is set and --master is not. */
function placement(args: TrainArgs, env: NodeJS.ProcessEnv): { master: string; isChief: boolean; deviceFilters?: string[] } {
  const cfg = args.master ? null : tfConfig(env);
  if (!cfg) return { master: args.master, isChief: !args.worker };
  if (!cfg.task) throw new ArgumentError('TF_CONFIG.task', 'TF_CONFIG has no task: `tf-monitored train` needs { "task": { "type": ..., "index": ... } } to know its role');
  checkTrainingTask(cfg.task);
  const { server, task, isChief } = startTaskServer(cfg, '`tf-monitored train`');
  if (args.worker && isChief) {
    throw new ArgumentError('--worker', `--worker contradicts TF_CONFIG: /job:${task.type}/task:${task.index} is the chief`);
  }
  console.log(`task /job:${task.type}/task:${task.index} (${isChief ? 'chief' : 'worker'}) serving at ${server.target}`);
  return { master: server.target, isChief, deviceFilters: deviceFiltersFor(task) };
}

export async function runTrain(args: TrainArgs, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const feeds = readFeeds(args.feeds);
  if (args.verbose) setVerbosity(Level.INFO);
  const { master, isChief, deviceFilters } = placement(args, env);
  const config = {
    ...(deviceFilters ? { deviceFilters } : {}),
    ...(args.operationTimeoutMs !== undefined ? { operationTimeoutInMs: args.operationTimeoutMs } : {}),
  };
  const graph = await Graph.load(args.graph);
  const trainOp = trainOpName(graph, args.trainOp);
  const hooks = [];
  if (args.lastStep !== undefined || args.numSteps !== undefined) {
    hooks.push(new StopAtStepHook({ lastStep: args.lastStep, numSteps: args.numSteps }));
  }
  const globalStep = getGlobalStep(graph);
  const sess = await MonitoredTrainingSession({
    graph,
    master,
    isChief,
    checkpointDir: args.checkpointDir,
    hooks,
    saveCheckpointSteps: args.saveCheckpointSteps,
    saveCheckpointSecs: args.saveCheckpointSecs,
    saveSummariesSteps: args.saveSummariesSteps,
    logStepCountSteps: args.logStepCountSteps,
    handleSignals: true,
    ...(args.workerPollSecs !== undefined ? { workerPollIntervalSecs: args.workerPollSecs } : {}),
    ...(Object.keys(config).length ? { config } : {}),
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
      else if (!args.quiet && (i % (args.logEvery ?? 100) === 0)) console.log(`step ${step} ${shown}`);
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
