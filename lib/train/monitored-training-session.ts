/**
 * `MonitoredTrainingSession` (Python's `tf.compat.v1.train.MonitoredTrainingSession`, docs/python-parity.md §1):
 * a MonitoredSession set up for training, with the chief's default hooks (step counter, summaries,
 * checkpoints) in Python's order, restore from `checkpointDir`, and a worker path that waits for
 * the chief. Beyond Python: docs/differences-from-python.md#monitored-sessions.
 */
import { usesTfFilesystem } from '../core/tf-filesystem';
import { invalidArgument } from '../core/errors';
import { Graph } from '../core/graph';
import { checkNumber, checkOptionNames, checkPath } from '../core/options';
import { CheckpointSaverHook } from '../hooks/basic/checkpoint-saver-hook';
import { StepCounterHook } from '../hooks/basic/step-counter-hook';
import { SummarySaverHook } from '../hooks/basic/summary-saver-hook';
import { type SessionRunHookLike, checkHooks } from '../hooks/session-run-hook';
import { FileWriterCache } from '../summary/file-writer-cache';
import { type FileWriter, logdirKey, metaGraphDefFromGraphDef } from '../summary/file-writer';
import * as logging from '../core/logging';
import { MonitoredSession, schedulerFor } from './monitored-session';
import type { RunMode } from '../core/run-scheduler';
import type { RecoveryOptions } from './recoverable-session';
import { Scaffold } from '../checkpoint/scaffold';
import { ChiefSessionCreator, WorkerSessionCreator } from './session-creators';
import type { SessionConfig } from './session-manager';

export interface MonitoredTrainingSessionOptions {
  /** The graph to train (Python uses the default graph). */
  graph: Graph;
  /** `''` (in-process, default) or `'grpc://host:port'`. */
  master?: string;
  /** Default true. A non-chief waits for the chief, runs no default hooks, and neither restores nor saves. */
  isChief?: boolean;
  /** Restore from and save to this directory (chief only). Default null. */
  checkpointDir?: string | null;
  /** Default: a new Scaffold. Shared by the session creator and the default hooks. */
  scaffold?: Scaffold | null;
  /** Hooks for the chief and the workers, after the default hooks. */
  hooks?: readonly SessionRunHookLike[] | null;
  /** Hooks for the chief only, before the default hooks. */
  chiefOnlyHooks?: readonly SessionRunHookLike[] | null;
  /** undefined: 600 unless `saveCheckpointSteps` is given; null or ≤ 0: off. */
  saveCheckpointSecs?: number | null;
  /** undefined: 100 unless `saveSummariesSecs` is given; null or ≤ 0: off. */
  saveSummariesSteps?: number | null;
  /** undefined: off unless given. */
  saveSummariesSecs?: number | null;
  /** ConfigProto (plain camelCase object, message or bytes) for every session. */
  config?: SessionConfig;
  /** Time the coordinator's background work gets to end on close. Default 120. */
  stopGracePeriodSecs?: number;
  /** Period of the StepCounterHook in steps; null or ≤ 0 disables it. Default 100. */
  logStepCountSteps?: number | null;
  /** Worker only: the longest wait for the chief. Default 7200. */
  maxWaitSecs?: number | null;
  /**
   * undefined: off unless given (then the 600 s default of `saveCheckpointSecs` goes away). The
   * reference page: "If both save_checkpoint_steps and save_checkpoint_secs are set to None, then
   * the default checkpoint saver isn't used. If both are provided, then only save_checkpoint_secs
   * is used." So it is ignored, with a warning, when `saveCheckpointSecs` is given too (TF 2.21
   * raises a ValueError there instead).
   */
  saveCheckpointSteps?: number | null;
  /** Where the step counter and summaries go. Default: `checkpointDir`. */
  summaryDir?: string | null;
  /** Write graph.pbtxt and the checkpoints' .meta files. Default true. */
  saveGraphDef?: boolean;
  /** Worker only: seconds between checks whether the chief made the model ready. Default 30 (Python's fixed value). */
  workerPollIntervalSecs?: number;
  /** The CheckpointSaverHook's steps per run (see CheckpointSaverHook). Default 1000000 (TF 2.x). */
  checkpointStepsPerRun?: number;
  /** Backoff and cap of the preemption recovery. */
  recovery?: RecoveryOptions;
  /** Stop cleanly on SIGTERM/SIGINT (see above). Default false. */
  handleSignals?: boolean;
  /**
   * Where the steps' runs execute: `'auto'` (default with master ''; short runs on the JS thread,
   * long ones off it, the event loop gets a turn at least every `maxBlockMs`), `'async'` (never
   * block the event loop; default with a remote master), `'sync'` (always on the JS thread). See
   * MonitoredSessionOptions.runMode.
   */
  runMode?: RunMode;
  /** Default 10 ms. See MonitoredSessionOptions.maxBlockMs. */
  maxBlockMs?: number;
  /** Older name: `true` is `runMode: 'sync'`, `false` is `runMode: 'async'`. */
  syncRuns?: boolean;
}

const KNOWN = [
  'graph',
  'master',
  'isChief',
  'checkpointDir',
  'scaffold',
  'hooks',
  'chiefOnlyHooks',
  'saveCheckpointSecs',
  'saveSummariesSteps',
  'saveSummariesSecs',
  'config',
  'stopGracePeriodSecs',
  'logStepCountSteps',
  'maxWaitSecs',
  'saveCheckpointSteps',
  'summaryDir',
  'saveGraphDef',
  'workerPollIntervalSecs',
  'checkpointStepsPerRun',
  'recovery',
  'handleSignals',
  'runMode',
  'maxBlockMs',
  'syncRuns',
] satisfies Array<keyof MonitoredTrainingSessionOptions>;

/** Python's `x and x > 0` for a period. */
const enabled = (x: number | null): x is number => x !== null && x > 0;

/**
 * A period option, checked here so that the error names it (the hooks would name their own).
 * Steps are integers; seconds any finite number. ≤ 0 means off, as Python's `x and x > 0`.
 */
function periodOption(opts: MonitoredTrainingSessionOptions, key: keyof MonitoredTrainingSessionOptions): number | null | undefined {
  const v = opts[key];
  if (v === undefined || v === null) return v as undefined | null;
  const steps = key.endsWith('Steps');
  if (typeof v !== 'number' || !Number.isFinite(v) || (steps && !Number.isInteger(v))) {
    throw invalidArgument(
      key,
      `${steps ? 'an integer number of steps' : 'a finite number of seconds'}, null (off) or undefined (default)`,
      v,
    );
  }
  return v;
}

/** Python's USE_DEFAULT resolution of one pair (docs/python-parity.md §1.2). */
function resolvePair(
  steps: number | null | undefined,
  secs: number | null | undefined,
  defaults: { steps: number | null; secs: number | null },
) {
  if (steps === undefined && secs === undefined) return defaults;
  if (secs === undefined) return { steps: steps ?? null, secs: null };
  if (steps === undefined) return { steps: null, secs };
  return { steps, secs };
}

/**
 * Creates the session (see the module comment). Resolves once the session exists: restored or
 * initialized (chief), or ready (worker), with every hook's `begin()` and `afterCreateSession()` run.
 *
 * Options are Python's parameters in camelCase. For the "USE_DEFAULT" ones (`saveCheckpointSecs`,
 * `saveCheckpointSteps`, `saveSummariesSteps`, `saveSummariesSecs`), `undefined` means "not given"
 * and `null` means "off", resolved pairwise as Python does (docs/python-parity.md §1.2). Both
 * checkpoint options given: a warning, and only `saveCheckpointSecs` counts
 * (docs/differences-from-python.md#monitored-sessions); both summary options given: ValueError.
 *
 * @example
 * const sess = await MonitoredTrainingSession({
 *   graph, checkpointDir: 'runs/a', saveCheckpointSteps: 100, hooks: [new StopAtStepHook({ lastStep: 1000 })],
 * });
 * await sess.using(async (s) => {
 *   while (!s.shouldStop()) await s.run('train', { 'x:0': xs, 'y:0': ys });
 * });
 */
export async function MonitoredTrainingSession(opts: MonitoredTrainingSessionOptions): Promise<MonitoredSession> {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('options', 'an options object', opts);
  checkOptionNames(opts, KNOWN, 'MonitoredTrainingSession');
  const {
    graph,
    master = '',
    isChief = true,
    checkpointDir = null,
    scaffold: givenScaffold = null,
    hooks = null,
    chiefOnlyHooks = null,
    config = null,
    stopGracePeriodSecs = 120,
    logStepCountSteps = 100,
    maxWaitSecs = 7200,
    summaryDir = null,
    saveGraphDef = true,
    workerPollIntervalSecs = 30,
    checkpointStepsPerRun = 1000000,
    recovery,
    handleSignals = false,
    maxBlockMs,
    syncRuns,
  } = opts;
  // A master other than '' runs steps through TF's gRPC runtime, where a run can wait for a task
  // that stopped answering (without a limit unless operationTimeoutInMs). 'auto' puts such
  // millisecond steps on the JS thread, and the wait would then freeze timers, I/O and signal
  // handlers until the task comes back (measured: a worker's 4 ms steps, a ps SIGSTOPped for 3 s
  // by a timer of the same process: the timer never fired). So remote masters default to 'async'.
  const runMode = opts.runMode ?? (syncRuns === undefined && typeof master === 'string' && master !== '' ? 'async' : undefined);
  if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
  if (typeof master !== 'string') throw invalidArgument('master', "a master string ('' or 'grpc://host:port')", master);
  if (typeof isChief !== 'boolean') throw invalidArgument('isChief', 'a boolean', isChief);
  if (checkpointDir !== null) checkPath(checkpointDir, 'checkpointDir', { allowEmpty: true }); // '' is "none", as Python's falsy ''
  if (summaryDir !== null) checkPath(summaryDir, 'summaryDir', { allowEmpty: true });
  // A scheme TF has no filesystem for fails here, before any hook or writer touches the path.
  if (checkpointDir) usesTfFilesystem(checkpointDir, 'checkpointDir');
  if (summaryDir) usesTfFilesystem(summaryDir, 'summaryDir');
  if (givenScaffold !== null && !(givenScaffold instanceof Scaffold)) throw invalidArgument('scaffold', 'a Scaffold', givenScaffold);
  // Checked under the names given: the two lists are merged before MonitoredSession sees them.
  checkHooks(hooks, 'hooks');
  checkHooks(chiefOnlyHooks, 'chiefOnlyHooks');
  periodOption(opts, 'logStepCountSteps');
  // Checked here, under the names given: the worker's creator calls them maxWaitSecs and recoveryWaitSecs.
  if (typeof maxWaitSecs !== 'number' || !(maxWaitSecs >= 0))
    throw invalidArgument('maxWaitSecs', 'a non-negative number of seconds', maxWaitSecs);
  checkNumber(workerPollIntervalSecs, 'workerPollIntervalSecs', { min: 'non-negative' });
  checkNumber(checkpointStepsPerRun, 'checkpointStepsPerRun', { integer: true, min: 'positive' });
  if (typeof saveGraphDef !== 'boolean') throw invalidArgument('saveGraphDef', 'a boolean', saveGraphDef);
  if (typeof handleSignals !== 'boolean') throw invalidArgument('handleSignals', 'a boolean', handleSignals);
  schedulerFor({ runMode, maxBlockMs, syncRuns }); // checked now, before any hook begins

  const summaries = resolvePair(periodOption(opts, 'saveSummariesSteps'), periodOption(opts, 'saveSummariesSecs'), {
    steps: 100,
    secs: null,
  });
  const checkpoints = resolvePair(periodOption(opts, 'saveCheckpointSteps'), periodOption(opts, 'saveCheckpointSecs'), {
    steps: null,
    secs: 600,
  });
  if (checkpoints.secs !== null && checkpoints.steps !== null) {
    // The reference page's rule, where TF 2.21 raises "Can not provide both every_secs and
    // every_steps." (docs/differences-from-python.md#monitored-sessions).
    logging.warning(
      `saveCheckpointSteps (${checkpoints.steps}) is ignored: saveCheckpointSecs (${checkpoints.secs}) is given too, and then only saveCheckpointSecs is used.`,
    );
    checkpoints.steps = null;
  }
  const scaffold = givenScaffold ?? new Scaffold();

  const writerDirs: string[] = [];
  let sessionCreator;
  let allHooks: SessionRunHookLike[];
  if (!isChief) {
    sessionCreator = new WorkerSessionCreator({ graph, scaffold, master, config, maxWaitSecs, recoveryWaitSecs: workerPollIntervalSecs });
    allHooks = [...(hooks ?? [])];
  } else {
    allHooks = [...(chiefOnlyHooks ?? [])];
    sessionCreator = new ChiefSessionCreator({ graph, scaffold, checkpointDir, master, config });
    const sd = summaryDir || checkpointDir;
    if (sd) {
      if (enabled(logStepCountSteps)) {
        allHooks.push(new StepCounterHook({ outputDir: sd, everyNSteps: logStepCountSteps, graph }));
        writerDirs.push(sd);
      }
      if (enabled(summaries.steps) || enabled(summaries.secs)) {
        allHooks.push(new SummarySaverHook({ scaffold, saveSteps: summaries.steps, saveSecs: summaries.secs, outputDir: sd, graph }));
        writerDirs.push(sd);
      }
    }
    if (checkpointDir && (enabled(checkpoints.secs) || enabled(checkpoints.steps))) {
      allHooks.push(
        new CheckpointSaverHook({
          checkpointDir,
          saveSteps: checkpoints.steps,
          saveSecs: checkpoints.secs,
          scaffold,
          saveGraphDef,
          stepsPerRun: checkpointStepsPerRun,
          graph,
        }),
      );
      writerDirs.push(checkpointDir);
    }
    allHooks.push(...(hooks ?? []));
  }

  // A writer this module closed is reopened by FileWriterCache.get as a new events file, but without
  // the graph events a new writer starts with: write them, as a new process would get them.
  for (const d of new Set(writerDirs)) {
    if (!closedDirs.has(logdirKey(d))) continue;
    closedDirs.delete(logdirKey(d));
    const w = FileWriterCache.get(d, { graph });
    const graphDef = graph.toGraphDef();
    w.addGraph(graphDef);
    w.addMetaGraph(metaGraphDefFromGraphDef(graphDef));
  }
  let writers: FileWriter[] = [];
  let removeSignalHandlers: (() => void) | null = null;
  const session = await MonitoredSession.create({
    sessionCreator,
    hooks: allHooks,
    stopGracePeriodSecs,
    graph,
    recovery,
    runMode,
    maxBlockMs,
    syncRuns,
    beforeCreate: () => {
      // The default hooks opened these writers in begin(); FileWriterCache.get returns them.
      writers = [...new Set(writerDirs)].map((d) => FileWriterCache.get(d));
    },
    onClose: async () => {
      removeSignalHandlers?.();
      const open = writers.filter((w) => !w.closed);
      for (const w of open) closedDirs.add(logdirKey(w.logdir));
      const results = await Promise.allSettled(open.map((w) => w.close()));
      for (const r of results)
        if (r.status === 'rejected') logging.error(`Could not close an events file: ${String((r.reason as Error)?.message ?? r.reason)}`);
    },
  });
  if (handleSignals) removeSignalHandlers = installSignalHandlers(session);
  return session;
}

/** Directories (FileWriterCache keys) whose cached writer a MonitoredTrainingSession closed. */
const closedDirs = new Set<string>();

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

function installSignalHandlers(session: MonitoredSession): () => void {
  let stopping = false;
  const remove = () => {
    for (const s of SIGNALS) process.removeListener(s, handler);
  };
  function handler(signal: NodeJS.Signals): void {
    if (stopping) {
      logging.warning(`Received ${signal} again while stopping: exiting without waiting.`);
      remove();
      process.kill(process.pid, signal);
      return;
    }
    stopping = true;
    logging.warning(
      `Received ${signal}: stopping after the current step, then running the hooks' end() (final checkpoint) and closing the session.`,
    );
    session.stopAndClose('signal').catch((e) => {
      logging.error(`Error while closing the session after ${signal}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    });
  }
  for (const s of SIGNALS) process.on(s, handler);
  return remove;
}
