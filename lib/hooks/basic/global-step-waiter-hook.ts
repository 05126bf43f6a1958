/**
 * `GlobalStepWaiterHook`: holds back the first run until the global step reaches a value (Python's
 * `GlobalStepWaiterHook`, docs/python-parity.md §5.9), to start workers gradually.
 */
import { invalidArgument } from '../../core/errors';
import type { Graph, Output } from '../../core/graph';
import { hookGlobalStep, stepValue } from '../../core/global-step';
import * as logging from '../../core/logging';
import { currentGraph } from '../../core/current-graph';
import { checkGraphOption, checkHookOptions } from '../check';
import { SessionRunHook, type SessionRunContext } from '../session-run-hook';

export interface GlobalStepWaiterHookOptions {
  /** Wait until the global step is at least this. 0 or less: start at once. */
  waitUntilStep: number;
  /** Seconds between two reads of the global step while waiting. Default 0.5 (Python's). */
  pollIntervalSecs?: number;
  graph?: Graph | null;
}

const OPTION_NAMES = ['waitUntilStep', 'pollIntervalSecs', 'graph'] satisfies Array<keyof GlobalStepWaiterHookOptions>;

/**
 * Before the first run, reads the global step through the raw session every `pollIntervalSecs`
 * until it reaches `waitUntilStep`, logging "Waiting for global step N before starting training."
 * (and the current step after each 1000 steps of progress). The wait does not block the event loop.
 *
 * @example
 * new GlobalStepWaiterHook({ waitUntilStep: Math.floor(10 * Math.log(taskIndex + 1)) })
 */
export class GlobalStepWaiterHook extends SessionRunHook {
  private readonly waitUntilStep: number;
  private readonly pollIntervalSecs: number;
  private readonly graphOption: Graph | null;
  private workerIsStarted = false;
  private read: Output | null = null;

  constructor(opts: GlobalStepWaiterHookOptions) {
    super();
    checkHookOptions(opts, OPTION_NAMES, 'GlobalStepWaiterHook');
    const { waitUntilStep, pollIntervalSecs = 0.5, graph = null } = opts;
    if (!Number.isFinite(waitUntilStep)) throw invalidArgument('waitUntilStep', 'a step number', waitUntilStep);
    if (!(Number.isFinite(pollIntervalSecs) && pollIntervalSecs >= 0))
      throw invalidArgument('pollIntervalSecs', 'a non-negative number of seconds', pollIntervalSecs);
    this.waitUntilStep = waitUntilStep;
    this.pollIntervalSecs = pollIntervalSecs;
    this.graphOption = checkGraphOption(graph);
  }

  override begin(): void {
    this.workerIsStarted = false;
    this.read = hookGlobalStep('_GlobalStepWaiterHook', this.graphOption, currentGraph()).read;
  }

  override beforeRun(runContext: SessionRunContext): null | Promise<null> {
    return this.workerIsStarted ? null : this.waitForStep(runContext);
  }

  private async waitForStep(runContext: SessionRunContext): Promise<null> {
    if (this.waitUntilStep <= 0) {
      this.workerIsStarted = true;
      return null;
    }
    logging.info(`Waiting for global step ${Math.trunc(this.waitUntilStep)} before starting training.`);
    let lastLoggedStep = 0;
    for (;;) {
      const current = stepValue(await runContext.session.run(this.read!));
      if (current >= this.waitUntilStep) {
        this.workerIsStarted = true;
        return null;
      }
      if (current - lastLoggedStep > 1000) {
        logging.info(`Waiting for global step ${Math.trunc(this.waitUntilStep)} before starting training. Current step is ${current}.`);
        lastLoggedStep = current;
      }
      await new Promise<void>((resolve) => setTimeout(resolve, this.pollIntervalSecs * 1000));
    }
  }
}
