/**
 * The session-run-hook API (Python's `session_run_hook.py`). A hook observes a MonitoredSession and
 * may add fetches, feeds and run options to each of its runs, or ask it to stop. Every hook method
 * is awaited in list order, but only a returned Promise costs a microtask turn.
 * Call order and its rules: docs/python-parity.md#511-call-order.
 */
import { invalidArgument } from '../core/errors';
import type { FeedDict, FetchStructure, RunMetadataSink, RunOptionsInit, SessionLike } from '../core/session-like';
import type { Coordinator } from '../core/coordinator';

/**
 * The methods a hook may implement; all are optional and may return Promises, which are awaited
 * before the next hook is called. Extend {@link SessionRunHook} or pass any object of this shape.
 */
export interface SessionRunHookLike {
  /** Once, before the session is created. The graph may still be changed. Not called again on recovery. */
  begin?(): void | Promise<void>;
  /** After every session creation, recoveries included. The graph is finalized. */
  afterCreateSession?(session: SessionLike, coord: Coordinator): void | Promise<void>;
  /** Before each run through the hooks; may ask for fetches, feeds and options. */
  beforeRun?(runContext: SessionRunContext): SessionRunArgs | null | undefined | void | Promise<SessionRunArgs | null | undefined | void>;
  /** After each successful run; `runValues.results` has the structure of this hook's fetches. */
  afterRun?(runContext: SessionRunContext, runValues: SessionRunValues): void | Promise<void>;
  /** At close, when training ended without error (or with OutOfRange/StopIteration inside `using()`). */
  end?(session: SessionLike): void | Promise<void>;
}

const HOOK_METHODS = ['begin', 'afterCreateSession', 'beforeRun', 'afterRun', 'end'] as const satisfies ReadonlyArray<
  keyof SessionRunHookLike
>;

/**
 * Checks that `hook` can be used as a hook: an object (not a class or function: `hooks: [StopAtStepHook]`
 * would be a silent no-op) whose `begin`/`afterCreateSession`/`beforeRun`/`afterRun`/`end`, where
 * present, are functions. Throws an ArgumentError naming `param` or `param.method`.
 *
 * @example
 * hooks.forEach((h, i) => checkHook(h, `hooks[${i}]`));
 */
export function checkHook(hook: unknown, param: string): SessionRunHookLike {
  if (hook === null || typeof hook !== 'object' || Array.isArray(hook)) {
    throw invalidArgument(param, 'a SessionRunHook (an object with begin/afterCreateSession/beforeRun/afterRun/end methods)', hook);
  }
  for (const m of HOOK_METHODS) {
    const f = (hook as Record<string, unknown>)[m];
    if (f !== undefined && typeof f !== 'function') throw invalidArgument(`${param}.${m}`, 'a function', f);
  }
  return hook as SessionRunHookLike;
}

/** Checks a list of hooks (an array, or null/undefined for none): each through {@link checkHook} as `param[i]`. */
export function checkHooks(hooks: unknown, param: string): readonly SessionRunHookLike[] {
  if (hooks === null || hooks === undefined) return [];
  if (!Array.isArray(hooks)) throw invalidArgument(param, 'an array of SessionRunHooks or null', hooks);
  hooks.forEach((h, i) => checkHook(h, `${param}[${i}]`));
  return hooks;
}

/** Base class with no-op methods, as Python's `SessionRunHook`. */
export class SessionRunHook implements SessionRunHookLike {
  begin(): void | Promise<void> {}
  afterCreateSession(_session: SessionLike, _coord: Coordinator): void | Promise<void> {}
  beforeRun(_runContext: SessionRunContext): SessionRunArgs | null | undefined | void | Promise<SessionRunArgs | null | undefined | void> {
    return null;
  }
  afterRun(_runContext: SessionRunContext, _runValues: SessionRunValues): void | Promise<void> {}
  end(_session: SessionLike): void | Promise<void> {}
}

/** What a hook adds to a run (Python's `SessionRunArgs(fetches, feed_dict=None, options=None)`). */
export class SessionRunArgs {
  constructor(
    readonly fetches: FetchStructure | undefined,
    readonly feedDict: FeedDict | null = null,
    readonly options: RunOptionsInit | null = null,
  ) {}
}

/** The run being made: the user's original arguments, the raw session, and the stop request. */
export class SessionRunContext {
  private stop = false;

  constructor(
    readonly originalArgs: SessionRunArgs,
    readonly session: SessionLike,
  ) {}

  /** Ask the MonitoredSession to stop; takes effect after the current run. */
  requestStop(): void {
    this.stop = true;
  }

  get stopRequested(): boolean {
    return this.stop;
  }
}

/** What a hook gets back: its results, the (merged) options and the run metadata of the run. */
export class SessionRunValues {
  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: shaped like the fetches the hook asked for; the hook knows their type
    readonly results: any,
    readonly options: RunOptionsInit,
    readonly runMetadata: RunMetadataSink,
  ) {}
}
