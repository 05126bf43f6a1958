/**
 * `NanTensorHook`: stops training when the loss is NaN (Python's `NanTensorHook`).
 */
import { RuntimeError, invalidArgument } from '../../core/errors';
import { containsNaN, fetchName } from '../../core/fetches';
import * as logging from '../../core/logging';
import { checkHookOptions } from '../check';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from '../session-run-hook';

/** Thrown by NanTensorHook when the loss is NaN and `failOnNanLoss` is set. A RuntimeError, as in Python. */
export class NanLossDuringTrainingError extends RuntimeError {
  constructor() {
    super('NaN loss during training.');
    this.name = 'NanLossDuringTrainingError';
  }
}

export interface NanTensorHookOptions {
  /** The loss tensor (`'loss:0'` or an Output). */
  lossTensor: string | { readonly name: string };
  /** Throw NanLossDuringTrainingError (default) or log a warning and request a stop. */
  failOnNanLoss?: boolean;
}

const OPTION_NAMES = ['lossTensor', 'failOnNanLoss'] satisfies Array<keyof NanTensorHookOptions>;

/**
 * Fetches the loss with every run. When it is NaN (any element, for a non-scalar loss): logs
 * "Model diverged with loss = NaN." at ERROR and throws {@link NanLossDuringTrainingError}, or,
 * with `failOnNanLoss: false`, logs it at WARN and requests a stop.
 */
export class NanTensorHook extends SessionRunHook {
  private readonly lossTensor: string | { readonly name: string };
  private readonly failOnNanLoss: boolean;

  constructor(opts: NanTensorHookOptions) {
    super();
    checkHookOptions(opts, OPTION_NAMES, 'NanTensorHook');
    const lossTensor = opts.lossTensor;
    if (!fetchName(lossTensor)) throw invalidArgument('lossTensor', 'a tensor name or an Output', lossTensor);
    const failOnNanLoss = opts.failOnNanLoss ?? true;
    if (typeof failOnNanLoss !== 'boolean') throw invalidArgument('failOnNanLoss', 'a boolean', failOnNanLoss);
    this.lossTensor = lossTensor;
    this.failOnNanLoss = failOnNanLoss;
  }

  override beforeRun(_runContext: SessionRunContext): SessionRunArgs {
    return new SessionRunArgs(this.lossTensor);
  }

  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues): void {
    if (!containsNaN(runValues.results)) return;
    const message = 'Model diverged with loss = NaN.';
    if (this.failOnNanLoss) {
      logging.error(message);
      throw new NanLossDuringTrainingError();
    }
    logging.warning(message);
    runContext.requestStop();
  }
}
