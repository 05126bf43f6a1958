/**
 * `StopAtStepHook`: asks the session to stop once the global step reaches a step (Python's
 * `StopAtStepHook`, docs/python-parity.md §5.3).
 */
import { ValueError, invalidArgument } from '../../core/errors';
import type { Graph, Output } from '../../core/graph';
import { andThen } from '../../core/maybe-promise';
import { hookGlobalStep, readGlobalStep, stepValue } from '../../core/global-step';
import { currentGraph } from '../../core/current-graph';
import type { SessionLike } from '../../core/session-like';
import { checkGraphOption, checkHookOptions } from '../check';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from '../session-run-hook';

export interface StopAtStepHookOptions {
  /** Steps to run from the global step found when the session is created (restores count). */
  numSteps?: number | null;
  /** The global step after which to stop. */
  lastStep?: number | null;
  /** The graph (default: the monitored session's). */
  graph?: Graph | null;
}

const OPTION_NAMES = ['numSteps', 'lastStep', 'graph'] satisfies Array<keyof StopAtStepHookOptions>;

/**
 * Requests a stop once the global step is at least `lastStep` (or the step at session creation +
 * `numSteps`). The read fetched with each run may be from before the train op's increment, so the
 * hook re-reads the step before stopping; at least one run always happens.
 *
 * @example
 * new StopAtStepHook({ lastStep: 1000 })
 */
export class StopAtStepHook extends SessionRunHook {
  private readonly numSteps: number | null;
  private lastStepValue: number | null;
  private readonly graphOption: Graph | null;
  private read: Output | null = null;
  private request: SessionRunArgs | null = null;

  constructor(opts: StopAtStepHookOptions = {}) {
    super();
    checkHookOptions(opts, OPTION_NAMES, 'StopAtStepHook');
    const numSteps = opts.numSteps ?? null;
    const lastStep = opts.lastStep ?? null;
    if (numSteps === null && lastStep === null) throw new ValueError('One of num_steps or last_step must be specified.');
    if (numSteps !== null && lastStep !== null) throw new ValueError('Only one of num_steps or last_step can be specified.');
    // Integers; zero or negative values are accepted, as in Python (a stop after the first run).
    if (numSteps !== null && !Number.isInteger(numSteps)) throw invalidArgument('numSteps', 'an integer number of steps', numSteps);
    if (lastStep !== null && !Number.isInteger(lastStep)) throw invalidArgument('lastStep', 'an integer step number', lastStep);
    this.numSteps = numSteps;
    this.lastStepValue = lastStep;
    this.graphOption = checkGraphOption(opts.graph);
  }

  /** The step at which training stops (known once the session exists when `numSteps` is used). */
  get lastStep(): number | null {
    return this.lastStepValue;
  }

  override begin(): void {
    this.read = hookGlobalStep('StopAtStepHook', this.graphOption, currentGraph()).read;
    this.request = null;
  }

  override async afterCreateSession(session: SessionLike): Promise<void> {
    if (this.lastStepValue === null) {
      this.lastStepValue = stepValue(await session.run(this.read!)) + this.numSteps!;
    }
  }

  override beforeRun(_runContext: SessionRunContext): SessionRunArgs {
    // One request object for every step: nothing to allocate, and the session reuses its fetch plan.
    return (this.request ??= new SessionRunArgs(this.read!));
  }

  /** Synchronous unless the global step must be read with an async run: see HookedSession.step. */
  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues): void | Promise<void> {
    if (stepValue(runValues.results) + 1 < this.lastStepValue!) return;
    // The fetched value may predate this run's increment: check the real step.
    return andThen(readGlobalStep(runContext.session, this.read!), (step) => {
      if (step >= this.lastStepValue!) runContext.requestStop();
    });
  }
}
