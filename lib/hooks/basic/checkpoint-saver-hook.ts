/**
 * `CheckpointSaverHook` and `CheckpointSaverListener`: save checkpoints when the session is created,
 * every N seconds or steps, and at the end (Python's hook, docs/python-parity.md §5.4, TF 2.x behaviour).
 */
import { RuntimeError, ValueError, invalidArgument } from '../../core/errors';
import type { Graph, Output } from '../../core/graph';
import { buildMetaGraphDef } from '../../graph-io/export';
import { writeGraph } from '../../graph-io/write-graph';
import type { FileWriter } from '../../summary/file-writer';
import { FileWriterCache } from '../../summary/file-writer-cache';
import { sessionLog } from '../../summary/summary-builders';
import { andThen } from '../../core/maybe-promise';
import { hookGlobalStep, hookGraph, readGlobalStep, stepValue } from '../../core/global-step';
import * as logging from '../../core/logging';
import { currentGraph } from '../../core/current-graph';
import { Saver } from '../../checkpoint/saver';
import { removeSaveDebris } from '../../checkpoint/saver/debris';
import { pyJoin } from '../../core/file-paths';
import { Scaffold, saverFromCollectionItem } from '../../checkpoint/scaffold';
import type { SessionLike } from '../../core/session-like';
import { type Clock, SecondOrStepTimer } from '../second-or-step-timer';
import { checkBoolean, checkPath } from '../../core/options';
import { checkGraphOption, checkHookOptions } from '../check';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from '../session-run-hook';

/**
 * Acts around the saves of a {@link CheckpointSaverHook} (Python's `CheckpointSaverListener`). Every
 * method is optional; `afterSave` returning true asks training to stop.
 */
export class CheckpointSaverListener {
  /** Once, in the hook's `begin()` (the graph may still change). */
  begin(): void | Promise<void> {}
  beforeSave(_session: SessionLike, _globalStepValue: number): void | Promise<void> {}
  /** Return true to stop training after this save. */
  afterSave(_session: SessionLike, _globalStepValue: number): boolean | void | Promise<boolean | void> {}
  /** In the hook's `end()`, after the final save. */
  end(_session: SessionLike, _globalStepValue: number): void | Promise<void> {}
}

/** A listener: a CheckpointSaverListener or any object with some of its methods. */
export type CheckpointSaverListenerLike = Partial<Pick<CheckpointSaverListener, 'begin' | 'beforeSave' | 'afterSave' | 'end'>>;

export interface CheckpointSaverHookOptions {
  /** Where checkpoints, `graph.pbtxt` and the hook's events go. */
  checkpointDir: string;
  saveSecs?: number | null;
  saveSteps?: number | null;
  /** The saver; at most one of saver/scaffold. Default: the scaffold's, else the graph's `savers` collection. */
  saver?: Saver | null;
  /** Default 'model.ckpt': checkpoints are `<checkpointDir>/model.ckpt-<step>`. */
  checkpointBasename?: string;
  scaffold?: Scaffold | null;
  listeners?: readonly CheckpointSaverListenerLike[] | null;
  /** Write `graph.pbtxt` on session creation and a `.meta` with each checkpoint. Default true. */
  saveGraphDef?: boolean;
  /**
   * Global steps one run may advance. After a run, the real step is read (one extra run) only when
   * `fetched step + stepsPerRun` would trigger a save. Default 1000000 (TF 2.x: with `saveSteps`, an
   * extra read after every run); 1 is TF 1.15's value and skips the extra read between saves. With
   * `saveSecs` the read is made only once the period is over (Python reads after every run).
   */
  stepsPerRun?: number;
  graph?: Graph | null;
  clock?: Clock;
}

const OPTION_NAMES = [
  'checkpointDir',
  'saveSecs',
  'saveSteps',
  'saver',
  'checkpointBasename',
  'scaffold',
  'listeners',
  'saveGraphDef',
  'stepsPerRun',
  'graph',
  'clock',
] satisfies Array<keyof CheckpointSaverHookOptions>;

const LISTENER_METHODS = ['begin', 'beforeSave', 'afterSave', 'end'] as const;

/**
 * Saves a checkpoint when the session is created (also after a restore, and after each recovery),
 * then every `saveSecs` seconds or `saveSteps` steps, and in `end()` unless the last save was at the
 * final step. Each save logs "Saving checkpoints for N into <dir>/model.ckpt." and writes a
 * CHECKPOINT session log to the events file of `checkpointDir`. On session creation it also writes
 * `graph.pbtxt` (with `saveGraphDef`) and graph + meta-graph events.
 *
 * @example
 * new CheckpointSaverHook({ checkpointDir: 'runs/a', saveSteps: 1000 })
 */
export class CheckpointSaverHook extends SessionRunHook {
  readonly checkpointDir: string;
  private readonly savePath: string;
  private saverValue: Saver | null;
  private readonly scaffold: Scaffold | null;
  private readonly timer: SecondOrStepTimer;
  private readonly listeners: readonly CheckpointSaverListenerLike[];
  private stepsPerRun: number;
  private readonly saveGraphDef: boolean;
  private readonly graphOption: Graph | null;
  private graph: Graph | null = null;
  private summaryWriter: FileWriter | null = null;
  private read: Output | null = null;
  private request: SessionRunArgs | null = null;

  constructor(opts: CheckpointSaverHookOptions) {
    super();
    logging.info('Create CheckpointSaverHook.');
    checkHookOptions(opts, OPTION_NAMES, 'CheckpointSaverHook');
    const {
      checkpointDir,
      saveSecs = null,
      saveSteps = null,
      saver = null,
      checkpointBasename = 'model.ckpt',
      scaffold = null,
      listeners = null,
      saveGraphDef = true,
      stepsPerRun = 1000000,
      graph = null,
    } = opts;
    if (saver !== null && scaffold !== null) throw new ValueError('You cannot provide both saver and scaffold.');
    // A NUL would cut the path TF writes at while Node's fs sees the whole one: checkpoint files and
    // the `checkpoint` state file would disagree.
    checkPath(checkpointDir, 'checkpointDir');
    checkPath(checkpointBasename, 'checkpointBasename');
    if (saver !== null && !(saver instanceof Saver)) throw invalidArgument('saver', 'a Saver', saver);
    if (scaffold !== null && !(scaffold instanceof Scaffold)) throw invalidArgument('scaffold', 'a Scaffold or null', scaffold);
    if (listeners !== null && !Array.isArray(listeners))
      throw invalidArgument('listeners', 'an array of CheckpointSaverListeners', listeners);
    (listeners ?? []).forEach(checkListener);
    if (!(Number.isInteger(stepsPerRun) && stepsPerRun > 0)) throw invalidArgument('stepsPerRun', 'a positive integer', stepsPerRun);
    checkBoolean(saveGraphDef, 'saveGraphDef');
    this.checkpointDir = checkpointDir;
    this.savePath = pyJoin(checkpointDir, checkpointBasename);
    this.saverValue = saver;
    this.scaffold = scaffold;
    this.timer = new SecondOrStepTimer(
      { everySecs: saveSecs, everySteps: saveSteps, clock: opts.clock },
      { everySecs: 'saveSecs', everySteps: 'saveSteps' },
    );
    this.listeners = [...(listeners ?? [])];
    this.stepsPerRun = stepsPerRun;
    this.saveGraphDef = saveGraphDef;
    this.graphOption = checkGraphOption(graph);
  }

  /** Python's `_set_steps_per_run`. */
  setStepsPerRun(stepsPerRun: number): void {
    this.stepsPerRun = stepsPerRun;
  }

  override async begin(): Promise<void> {
    const graph = hookGraph('CheckpointSaverHook', this.graphOption, currentGraph());
    this.graph = graph;
    this.summaryWriter = FileWriterCache.get(this.checkpointDir, { graph });
    this.read = hookGlobalStep('CheckpointSaverHook', graph, null).read;
    this.request = null;
    // The chief's start, before its restore and its first save: what killed saves left is removed
    // (the rule: lib/checkpoint/saver/debris.ts).
    await removeSaveDebris(this.checkpointDir);
    for (const l of this.listeners) await l.begin?.();
  }

  override async afterCreateSession(session: SessionLike): Promise<void> {
    const graph = this.graph!;
    const globalStep = stepValue(await session.run(this.read!));
    if (this.saveGraphDef) {
      // Written here, not in begin(): other hooks may still add ops in their begin().
      await writeGraph(graph.asGraphDef({ addShapes: true }), this.checkpointDir, 'graph.pbtxt');
    }
    // Python's create_meta_graph_def(graph_def with shapes, saver_def): every collection, this saver's SaverDef.
    const meta = buildMetaGraphDef(graph, { saverDef: this.getSaver().saverDef ?? null });
    this.summaryWriter!.addGraph(graph);
    this.summaryWriter!.addMetaGraph(meta);
    // The checkpoint saved here is the state at `globalStep`: after a restore, the restored step
    // again, under the prefix the state file names. The Saver writes it elsewhere and renames it into
    // place (lib/checkpoint/saver/temp-prefix.ts): a kill here cannot break the checkpoint just restored.
    await this.save(session, globalStep);
    this.timer.updateLastTriggeredStep(globalStep);
  }

  override beforeRun(_runContext: SessionRunContext): SessionRunArgs {
    // One request object for every step: nothing to allocate, and the session reuses its fetch plan.
    return (this.request ??= new SessionRunArgs(this.read!));
  }

  /**
   * Synchronous unless a save is due or the global step must be read with an async run (a Promise
   * then): see HookedSession.step.
   *
   * With TF 2.x's stepsPerRun (10⁶) Python reads the real global step after every run, an extra
   * session run per step, only to ask the timer again. Here that read is skipped when no step could
   * make the timer trigger now (saving every N seconds, and N seconds have not passed): it could not
   * change the decision. Saving every N steps, the step is read after every run, as in Python.
   */
  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues): void | Promise<void> {
    const stale = stepValue(runValues.results);
    if (!this.timer.shouldTriggerForStep(stale + this.stepsPerRun)) return;
    if (!this.timer.couldTriggerNow()) return;
    // The fetched value may predate this run's increment: use the real step.
    return andThen(readGlobalStep(runContext.session, this.read!), (globalStep) => {
      if (!this.timer.shouldTriggerForStep(globalStep)) return;
      this.timer.updateLastTriggeredStep(globalStep);
      return this.save(runContext.session, globalStep).then((stop) => {
        if (stop) runContext.requestStop();
      });
    });
  }

  override async end(session: SessionLike): Promise<void> {
    const lastStep = stepValue(await session.run(this.read!));
    if (lastStep !== this.timer.lastTriggeredStep()) await this.save(session, lastStep);
    for (const l of this.listeners) await l.end?.(session, lastStep);
  }

  /** Saves; returns whether a listener asked to stop. */
  private async save(session: SessionLike, step: number): Promise<boolean> {
    logging.info(`Calling checkpoint listeners before saving checkpoint ${step}...`);
    for (const l of this.listeners) await l.beforeSave?.(session, step);
    logging.info(`Saving checkpoints for ${step} into ${this.savePath}.`);
    const saver = this.getSaver();
    await saver.save(session, this.savePath, { globalStep: step, writeMetaGraph: this.saveGraphDef });
    this.summaryWriter!.addSessionLog(sessionLog('CHECKPOINT', { checkpointPath: this.savePath }), step);
    logging.info(`Calling checkpoint listeners after saving checkpoint ${step}...`);
    let shouldStop = false;
    for (const l of this.listeners) {
      if (await l.afterSave?.(session, step)) {
        logging.info(`A CheckpointSaverListener requested that training be stopped. listener: ${describeListener(l)}`);
        shouldStop = true;
      }
    }
    return shouldStop;
  }

  private getSaver(): Saver {
    if (this.saverValue !== null) return this.saverValue;
    if (this.scaffold !== null && this.scaffold.saver !== null) return this.scaffold.saver;
    const graph = this.graph!;
    const savers = graph.getCollection('savers');
    if (savers.length === 0) {
      throw new RuntimeError('No items in collection savers. Please add a saver to the collection or provide a saver or scaffold.');
    }
    if (savers.length > 1) {
      throw new RuntimeError('More than one item in collection savers. Please indicate which one to use by passing it to the constructor.');
    }
    this.saverValue = saverFromCollectionItem(graph, savers[0]);
    return this.saverValue;
  }
}

/** A listener: an object whose listener methods, where present, are functions. */
function checkListener(l: unknown, i: number): void {
  if (l === null || typeof l !== 'object') throw invalidArgument(`listeners[${i}]`, 'a CheckpointSaverListener (an object)', l);
  for (const m of LISTENER_METHODS) {
    const f = (l as Record<string, unknown>)[m];
    if (f !== undefined && typeof f !== 'function') throw invalidArgument(`listeners[${i}].${m}`, 'a function', f);
  }
}

function describeListener(l: object): string {
  return `<${l.constructor?.name ?? 'Object'} object>`;
}
