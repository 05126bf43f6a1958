/**
 * `StepCounterHook`: measures global steps per second and writes them as the summary
 * `global_step/sec` (Python's `StepCounterHook`, docs/python-parity.md §5.5).
 */
import { ValueError, invalidArgument } from '../../core/errors';
import type { Graph, Output } from '../../core/graph';
import { FileWriter } from '../../summary/file-writer';
import { FileWriterCache } from '../../summary/file-writer-cache';
import { stepsPerSecSummary } from '../../summary/summary-builders';
import { andThen } from '../../core/maybe-promise';
import { getGlobalStep, hookGlobalStep, hookGraph, readGlobalStep, stepValue } from '../../core/global-step';
import * as logging from '../../core/logging';
import { currentGraph } from '../../core/current-graph';
import { type Clock, SecondOrStepTimer } from '../second-or-step-timer';
import { checkGraphOption, checkHookOptions, checkOptionalDir } from '../check';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from '../session-run-hook';

export interface StepCounterHookOptions {
  /** Measure every N global steps. Default 100 (Python's default: pass `null` to use `everyNSecs`). */
  everyNSteps?: number | null;
  /** Measure every N seconds; needs `everyNSteps: null`, as in Python. */
  everyNSecs?: number | null;
  /** Directory of the events file (a writer from FileWriterCache), when no `summaryWriter` is given. */
  outputDir?: string | null;
  summaryWriter?: FileWriter | null;
  /** Global steps one run advances (Python's `_set_steps_per_run`). Default 1. */
  stepsPerRun?: number;
  graph?: Graph | null;
  clock?: Clock;
}

// Python's logging.log_first_n(WARN, ..., 5): at most 5 warnings per process.
let notIncreasedWarnings = 0;

/** @internal Tests: allow the "global step has not been increased" warning 5 more times. */
export function resetNotIncreasedWarnings(): void {
  notIncreasedWarnings = 0;
}

/** numpy/Python `%g`: 6 significant digits, trailing zeros dropped, exponent outside [1e-4, 1e6). */
export function formatG(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(6)))));
  if (exp < -4 || exp >= 6) {
    const [m, e] = x.toExponential(5).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, 5 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

const OPTION_NAMES = ['everyNSteps', 'everyNSecs', 'outputDir', 'summaryWriter', 'stepsPerRun', 'graph', 'clock'] satisfies Array<
  keyof StepCounterHookOptions
>;

/**
 * Every `everyNSteps` global steps (or `everyNSecs` seconds), computes steps/sec since the previous
 * measurement, writes it to the summary writer at the current step and logs
 * `global_step/sec: 51.843` at INFO. The first measurement only starts the clock. Warns (at most 5
 * times per process) when the fetched global step did not change between two runs.
 *
 * @example
 * new StepCounterHook({ outputDir: 'runs/a', everyNSteps: 100 })
 */
export class StepCounterHook extends SessionRunHook {
  private readonly timer: SecondOrStepTimer;
  private summaryWriter: FileWriter | null;
  private readonly outputDir: string | null;
  private readonly graphOption: Graph | null;
  private stepsPerRun: number;
  private lastGlobalStep: number | null = null;
  private read: Output | null = null;
  private request: SessionRunArgs | null = null;
  private summaryTag = 'global_step/sec';
  private globalStepOpName = 'global_step';

  constructor(opts: StepCounterHookOptions = {}) {
    super();
    checkHookOptions(opts, OPTION_NAMES, 'StepCounterHook');
    const everyNSteps = opts.everyNSteps === undefined ? 100 : opts.everyNSteps;
    const everyNSecs = opts.everyNSecs ?? null;
    if ((everyNSteps === null) === (everyNSecs === null)) {
      throw new ValueError('exactly one of every_n_steps and every_n_secs should be provided.');
    }
    this.timer = new SecondOrStepTimer(
      { everySteps: everyNSteps, everySecs: everyNSecs, clock: opts.clock },
      { everySecs: 'everyNSecs', everySteps: 'everyNSteps' },
    );
    const { summaryWriter = null, outputDir = null, stepsPerRun = 1, graph = null } = opts;
    if (summaryWriter !== null && !(summaryWriter instanceof FileWriter))
      throw invalidArgument('summaryWriter', 'a FileWriter', summaryWriter);
    if (!(Number.isInteger(stepsPerRun) && stepsPerRun > 0)) throw invalidArgument('stepsPerRun', 'a positive integer', stepsPerRun);
    this.summaryWriter = summaryWriter;
    this.outputDir = checkOptionalDir(outputDir, 'outputDir');
    this.stepsPerRun = stepsPerRun;
    this.graphOption = checkGraphOption(graph);
  }

  /** Python's `_set_steps_per_run`. */
  setStepsPerRun(stepsPerRun: number): void {
    this.stepsPerRun = stepsPerRun;
  }

  override begin(): void {
    const graph = hookGraph('StepCounterHook', this.graphOption, currentGraph());
    // The writer first: a new events file gets the graph as it is before the read op is added (Python's order).
    if (this.summaryWriter === null && this.outputDir) this.summaryWriter = FileWriterCache.get(this.outputDir, { graph });
    this.read = hookGlobalStep('StepCounterHook', graph, null).read;
    this.request = null;
    this.globalStepOpName = getGlobalStep(graph)?.op.name ?? 'global_step';
    this.summaryTag = `${this.globalStepOpName}/sec`;
  }

  override beforeRun(_runContext: SessionRunContext): SessionRunArgs {
    // One request object for every step: nothing to allocate, and the session reuses its fetch plan.
    return (this.request ??= new SessionRunArgs(this.read!));
  }

  /** Synchronous unless the global step must be read with an async run: see HookedSession.step. */
  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues): void | Promise<void> {
    const stale = stepValue(runValues.results);
    if (!this.timer.shouldTriggerForStep(stale + this.stepsPerRun)) return this.noteStep(stale, runContext);
    // The fetched value may predate this run's increment: use the real step.
    return andThen(readGlobalStep(runContext.session, this.read!), (globalStep) => {
      if (this.timer.shouldTriggerForStep(globalStep)) {
        const [elapsedTime, elapsedSteps] = this.timer.updateLastTriggeredStep(globalStep);
        if (elapsedTime !== null) this.logAndRecord(elapsedSteps!, elapsedTime, globalStep);
      }
      return this.noteStep(stale, runContext, globalStep);
    });
  }

  /**
   * Warns (at most 5 times per process, as Python) when the global step did not move. The value
   * fetched with the train op is read before or after the op's increment, as TF happens to order
   * them, so two runs in a row can fetch the same value in normal training (Python then warns
   * wrongly). An unchanged value is checked against the step now before warning.
   */
  private noteStep(stale: number, runContext: SessionRunContext, current?: number): void | Promise<void> {
    const previous = this.lastGlobalStep;
    this.lastGlobalStep = stale;
    if (stale !== previous || notIncreasedWarnings >= 5) return;
    const warnUnlessMoved = (now: number): void => {
      if (now !== previous) {
        this.lastGlobalStep = now;
        return;
      }
      notIncreasedWarnings++;
      logging.warning(
        'It seems that global step (tf.train.get_global_step) has not been increased. ' +
          `Current value (could be stable): ${stale} vs previous value: ${previous}. ` +
          'You could increase the global step by passing tf.train.get_global_step() to Optimizer.apply_gradients or Optimizer.minimize.',
      );
    };
    if (current !== undefined) return warnUnlessMoved(current);
    return andThen(readGlobalStep(runContext.session, this.read!), warnUnlessMoved);
  }

  private logAndRecord(elapsedSteps: number, elapsedTime: number, globalStep: number): void {
    const stepsPerSec = elapsedSteps / elapsedTime;
    this.summaryWriter?.addSummary(stepsPerSecSummary(stepsPerSec, this.globalStepOpName), globalStep);
    logging.info(`${this.summaryTag}: ${formatG(stepsPerSec)}`);
  }
}
