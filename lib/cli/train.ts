/**
 * `tf-monitored train`: the README's main job. Loads an exported graph, opens a
 * MonitoredTrainingSession (chief or worker, in-process or on a grpc:// master), runs the train op
 * with the given feeds until a StopAtStepHook (or the data) ends training, then closes — which
 * writes the final checkpoint. SIGINT/SIGTERM stop after the current step, cleanly. With --data,
 * batches of a numpy .npz feed the runs (lib/data) and training ends after the last epoch.
 *
 * With TF_CONFIG set and no --master, this process is the task TF_CONFIG names: it starts that
 * task's gRPC server and trains on it, as chief or worker by the chief rule (tf-config.ts).
 */
import { readTextSync } from '../core/file-io';
import { SingleBar, Presets } from 'cli-progress';
import { StepRate, formatEta, formatRate } from './progress';
import { Graph } from '../graph-io/graph';
import type { Tensor } from '../core/tensor';
import { MonitoredTrainingSession } from '../train/monitored-training-session';
import { getGlobalStep } from '../core/global-step';
import { StopAtStepHook } from '../hooks/basic/stop-at-step-hook';
import { ArgumentError, OutOfRangeError } from '../core/errors';
import { readNpz } from '../data/npz';
import { batches } from '../data/batches';
import { feedFromBatches, type BatchFeedHook } from '../data/feed-hook';
import { tfConfig } from '../distribute/tf-config';
import { Level, setVerbosity } from '../core/logging';
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
  /** A numpy .npz whose arrays feed the runs, batched over their first axis. */
  data?: string;
  /** With `data`: `tensor=array` pairs (`x:0=images`). */
  feed?: string[];
  batchSize?: number;
  /** With `data`: passes over the data (default 1); training stops after the last. */
  epochs?: number;
  /** With `data`: shuffle each epoch with this seed (default: in order). */
  shuffleSeed?: number;
  dropRemainder?: boolean;
}

interface DataPlan {
  file: string;
  feedMap: Record<string, string>;
  batchSize: number;
  epochs: number;
  seed?: number;
  dropRemainder: boolean;
}

/** The --data flags checked together: each needs the others it works with. */
function dataPlan(args: TrainArgs): DataPlan | null {
  const withData = (['feed', 'batchSize', 'epochs', 'shuffleSeed', 'dropRemainder'] as const).filter((k) =>
    k === 'feed' ? (args.feed ?? []).length > 0 : args[k] !== undefined,
  );
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (!args.data) {
    if (withData.length > 0) throw new ArgumentError(flag(withData[0]), `${flag(withData[0])} is for --data: give the .npz with --data`);
    return null;
  }
  const feedMap: Record<string, string> = {};
  for (const spec of args.feed ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1)
      throw new ArgumentError('--feed', `--feed expects tensor=array (e.g. x:0=images), got '${spec}'`);
    const tensor = spec.slice(0, eq);
    if (tensor in feedMap) throw new ArgumentError('--feed', `--feed gives ${tensor} twice`);
    feedMap[tensor] = spec.slice(eq + 1);
  }
  if (Object.keys(feedMap).length === 0)
    throw new ArgumentError('--feed', '--data needs at least one --feed tensor=array (e.g. --feed x:0=images)');
  if (args.batchSize === undefined) throw new ArgumentError('--batch-size', '--data needs --batch-size');
  return {
    file: args.data,
    feedMap,
    batchSize: args.batchSize,
    epochs: args.epochs ?? 1,
    ...(args.shuffleSeed !== undefined ? { seed: args.shuffleSeed } : {}),
    dropRemainder: args.dropRemainder ?? false,
  };
}

/** The hook feeding the .npz's batches; the arrays are read (and checked) before any session exists. */
async function dataHook(plan: DataPlan): Promise<BatchFeedHook> {
  const arrays = await readNpz(plan.file);
  for (const [tensor, name] of Object.entries(plan.feedMap)) {
    if (!(name in arrays)) {
      throw new ArgumentError(
        '--feed',
        `--feed ${tensor}=${name}: ${plan.file} has no array '${name}' (it has ${
          Object.keys(arrays)
            .map((k) => `'${k}'`)
            .join(', ') || 'none'
        })`,
      );
    }
  }
  const keys = [...new Set(Object.values(plan.feedMap))];
  const source = batches(arrays, {
    batchSize: plan.batchSize,
    epochs: plan.epochs,
    dropRemainder: plan.dropRemainder,
    keys,
    ...(plan.seed !== undefined ? { seed: plan.seed } : {}),
  });
  // The first batch now: arrays of different lengths are an error before training starts.
  const first = await source.next();
  async function* all() {
    if (first.done) return;
    yield first.value;
    yield* source;
  }
  return feedFromBatches(all(), plan.feedMap);
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
  if (!cfg.task)
    throw new ArgumentError(
      'TF_CONFIG.task',
      'TF_CONFIG has no task: `tf-monitored train` needs { "task": { "type": ..., "index": ... } } to know its role',
    );
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
  const plan = dataPlan(args);
  if (args.verbose) setVerbosity(Level.INFO);
  const { master, isChief, deviceFilters } = placement(args, env);
  const config = {
    ...(deviceFilters ? { deviceFilters } : {}),
    ...(args.operationTimeoutMs !== undefined ? { operationTimeoutInMs: args.operationTimeoutMs } : {}),
  };
  const graph = await Graph.load(args.graph);
  const trainOp = trainOpName(graph, args.trainOp);
  const hooks = [];
  const data = plan ? await dataHook(plan) : null;
  if (data) hooks.push(data);
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
  const bar =
    args.quiet || !process.stderr.isTTY
      ? null
      : new SingleBar(
          {
            format: args.lastStep !== undefined ? 'step {value}/{total} [{bar}] {rate} {eta} {fetched}' : 'step {value} {rate} {fetched}',
            hideCursor: true,
          },
          Presets.shades_classic,
        );
  const fetches: Record<string, unknown> = { train: trainOp };
  if (globalStep) fetches.step = globalStep.name;
  (args.fetch ?? []).forEach((name, i) => (fetches[`f${i}`] = name));
  let i = 0;
  let last: Record<string, unknown> = {};
  const rate = new StepRate(args.lastStep);
  bar?.start(args.lastStep ?? 0, 0, { fetched: '', rate: '', eta: '' });
  try {
    while (!sess.shouldStop()) {
      try {
        last = (await sess.run(fetches as never, feeds[i++ % feeds.length] as never)) as Record<string, unknown>;
      } catch (e) {
        // The data ended before a run (an empty .npz, or fewer examples than a batch with dropRemainder).
        if (data && e instanceof OutOfRangeError) {
          i--;
          break;
        }
        throw e;
      }
      const step = last.step ? Number((last.step as Tensor).scalar()) : i;
      const shown = (args.fetch ?? []).map((n, k) => `${n}=${String((last[`f${k}`] as Tensor).toArray())}`).join(' ');
      const progress = rate.update(step);
      if (bar) bar.update(step, { fetched: shown, rate: formatRate(progress), eta: formatEta(progress) });
      else if (!args.quiet && i % (args.logEvery ?? 100) === 0)
        console.log(['step', step, formatRate(progress), formatEta(progress), shown].filter((x) => x !== '').join(' '));
    }
  } finally {
    bar?.stop();
    await sess.close();
  }
  if (data && plan) {
    console.log(
      `data: ${data.batchesFed} batches (batch size ${plan.batchSize}) from ${plan.file}` +
        (data.exhausted ? ` (all ${plan.epochs} epoch${plan.epochs === 1 ? '' : 's'})` : ' (stopped before the end of the data)'),
    );
  }
  const finalStep = last.step ? String((last.step as Tensor).scalar()) : String(i);
  console.log(
    `stopped after ${i} runs at global step ${finalStep} (${sess.stopReason ?? 'done'})` +
      (args.checkpointDir ? `; checkpoints in ${args.checkpointDir}` : ''),
  );
  return 0;
}
