/**
 * `SummarySaverHook`: fetches the summary op every N steps or seconds and writes the summaries at
 * the global step (Python's `SummarySaverHook`, docs/python-parity.md §5.6).
 */
import { ValueError, invalidArgument } from '../../core/errors';
import type { Graph, Output, TensorRef } from '../../core/graph';
import { FileWriter } from '../../summary/file-writer';
import { FileWriterCache } from '../../summary/file-writer-cache';
import { sessionLog } from '../../summary/summary-builders';
import { andThen } from '../../core/maybe-promise';
import { hookGlobalStep, hookGraph, readGlobalStep, stepValue } from '../../core/global-step';
import { currentGraph } from '../../core/current-graph';
import { Scaffold } from '../../checkpoint/scaffold';
import type { FetchStructure, SessionLike } from '../../core/session-like';
import { type Clock, SecondOrStepTimer } from '../second-or-step-timer';
import { checkGraphOption, checkHookOptions, checkOptionalDir, isTensorRef } from '../check';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from '../session-run-hook';

export interface SummarySaverHookOptions {
  saveSteps?: number | null;
  saveSecs?: number | null;
  /** Directory of the events file (a writer from FileWriterCache), when no `summaryWriter` is given. */
  outputDir?: string | null;
  summaryWriter?: FileWriter | null;
  /** Take the summary op from this scaffold (after its `finalize()`); exactly one of scaffold/summaryOp. */
  scaffold?: Scaffold | null;
  /** A string tensor holding a serialized Summary, or an array of them. */
  summaryOp?: TensorRef | readonly TensorRef[] | null;
  graph?: Graph | null;
  clock?: Clock;
}

const OPTION_NAMES = ['saveSteps', 'saveSecs', 'outputDir', 'summaryWriter', 'scaffold', 'summaryOp', 'graph', 'clock'] satisfies Array<
  keyof SummarySaverHookOptions
>;

/**
 * On the first run writes a START session log at the global step (TensorBoard then drops orphaned
 * events from an earlier run past that step); on the first run and then every `saveSteps` steps
 * (or `saveSecs` seconds) writes the fetched summaries, labelled with the step after the run.
 * `end()` flushes the writer.
 *
 * @example
 * new SummarySaverHook({ saveSteps: 100, outputDir: 'runs/a', summaryOp: 'Merge/MergeSummary:0' })
 */
export class SummarySaverHook extends SessionRunHook {
  private readonly timer: SecondOrStepTimer;
  private summaryWriter: FileWriter | null;
  private readonly outputDir: string | null;
  private readonly scaffold: Scaffold | null;
  private readonly summaryOp: TensorRef | readonly TensorRef[] | null;
  private readonly graphOption: Graph | null;
  private read: Output | null = null;
  private nextStep: number | null = null;
  private requestSummary = false;
  // The same request objects every step (the session then reuses its fetch plan).
  private plainArgs: SessionRunArgs | null = null;
  private summaryArgs: SessionRunArgs | null = null;

  constructor(opts: SummarySaverHookOptions = {}) {
    super();
    checkHookOptions(opts, OPTION_NAMES, 'SummarySaverHook');
    const {
      saveSteps = null,
      saveSecs = null,
      outputDir = null,
      summaryWriter = null,
      scaffold = null,
      summaryOp = null,
      graph = null,
    } = opts;
    if ((scaffold === null && summaryOp === null) || (scaffold !== null && summaryOp !== null)) {
      throw new ValueError('Exactly one of scaffold or summary_op must be provided.');
    }
    this.timer = new SecondOrStepTimer(
      { everySteps: saveSteps, everySecs: saveSecs, clock: opts.clock },
      { everySecs: 'saveSecs', everySteps: 'saveSteps' },
    );
    if (summaryWriter !== null && !(summaryWriter instanceof FileWriter))
      throw invalidArgument('summaryWriter', 'a FileWriter', summaryWriter);
    if (scaffold !== null && !(scaffold instanceof Scaffold)) throw invalidArgument('scaffold', 'a Scaffold or null', scaffold);
    checkSummaryOp(summaryOp);
    this.summaryWriter = summaryWriter;
    this.outputDir = checkOptionalDir(outputDir, 'outputDir');
    this.scaffold = scaffold;
    this.summaryOp = summaryOp;
    this.graphOption = checkGraphOption(graph);
  }

  override begin(): void {
    const graph = hookGraph('SummarySaverHook', this.graphOption, currentGraph());
    if (this.summaryWriter === null && this.outputDir) this.summaryWriter = FileWriterCache.get(this.outputDir, { graph });
    this.nextStep = null;
    this.read = hookGlobalStep('SummarySaverHook', graph, null).read;
    this.plainArgs = null;
    this.summaryArgs = null;
  }

  private summaryOps(): FetchStructure[] | null {
    const op = this.summaryOp ?? (this.scaffold?.summaryOp as TensorRef | readonly TensorRef[] | null) ?? null;
    if (op === null) return null;
    return (Array.isArray(op) ? [...op] : [op]) as FetchStructure[];
  }

  override beforeRun(_runContext: SessionRunContext): SessionRunArgs {
    this.requestSummary = this.nextStep === null || this.timer.shouldTriggerForStep(this.nextStep);
    this.plainArgs ??= new SessionRunArgs({ global_step: this.read! });
    if (!this.requestSummary) return this.plainArgs;
    if (this.summaryArgs === null) {
      const ops = this.summaryOps();
      this.summaryArgs = ops === null ? this.plainArgs : new SessionRunArgs({ global_step: this.read!, summary: ops });
    }
    return this.summaryArgs;
  }

  /** Synchronous unless the global step must be read with an async run: see HookedSession.step. */
  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues): void | Promise<void> {
    if (!this.summaryWriter) return;
    const results = runValues.results as { global_step: unknown; summary?: unknown[] };
    if (this.nextStep === null || this.requestSummary) {
      return andThen(readGlobalStep(runContext.session, this.read!), (globalStep) => this.write(results, globalStep));
    }
    this.nextStep = stepValue(results.global_step) + 2;
  }

  private write(results: { summary?: unknown[] }, globalStep: number): void {
    const writer = this.summaryWriter!;
    if (this.nextStep === null) writer.addSessionLog(sessionLog('START'), globalStep);
    if (this.requestSummary) {
      this.timer.updateLastTriggeredStep(globalStep);
      for (const s of results.summary ?? []) writer.addSummary(summaryBytes(s), globalStep);
    }
    this.nextStep = globalStep + 1;
  }

  override async end(_session: SessionLike): Promise<void> {
    if (this.summaryWriter) await this.summaryWriter.flush();
  }
}

/** A summary tensor (name, Output or Operation) or an array of them; null when a scaffold gives it. */
function checkSummaryOp(op: unknown): void {
  const tensor = "a summary tensor (a tensor name such as 'Merge/MergeSummary:0', or an Output)";
  if (op === null || isTensorRef(op)) return;
  if (!Array.isArray(op)) throw invalidArgument('summaryOp', `${tensor}, an array of them, or null`, op);
  op.forEach((o, i) => {
    if (!isTensorRef(o)) throw invalidArgument(`summaryOp[${i}]`, tensor, o);
  });
}

/** The serialized Summary in a fetched scalar string tensor. */
function summaryBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const t = value as { bytes?: Uint8Array[]; data?: ArrayLike<unknown> };
  if (Array.isArray(t.bytes) && t.bytes.length > 0) return t.bytes[0];
  const d = t.data?.[0];
  if (d instanceof Uint8Array) return d;
  throw new TypeError(`Expected a fetched summary (a string tensor) but received ${String(value)}`);
}
