/**
 * The minimal session surface the hook framework and the monitored-session wrappers need. The real
 * `Session` of `lib/core` satisfies it structurally, and so do the wrappers themselves and the
 * test fakes: nothing in `lib/train` or `lib/hooks` depends on the native layer.
 */
import type { RunScheduler } from './run-scheduler';

/**
 * What can be fetched: a tensor name (`'loss:0'`), an operation name (`'train'`), any object with a
 * `name` (an `Operation`/`Output`), or arrays / plain objects of fetches. The result has the same
 * structure; an operation yields `null`, a tensor a {@link FetchedTensor}.
 */
export type FetchStructure =
  | string
  | { readonly name: string }
  | null
  | readonly FetchStructure[]
  | { readonly [k: string]: FetchStructure };

/** Feeds keyed by tensor name (Python's feed_dict) (`'x:0'`; `'x'` means `'x:0'`). */
export type FeedDict = Record<string, unknown>;

/** Fields of TF's `RunOptions` that a run may set, camelCase. */
export interface RunOptionsInit {
  traceLevel?: number;
  timeoutInMs?: number;
  interOpThreadPool?: number;
  outputPartitionGraphs?: boolean;
  reportTensorAllocationsUponOom?: boolean;
  debugOptions?: { debugTensorWatchOpts?: unknown[]; globalStep?: number; resetDiskByteUsage?: boolean };
}

/** Filled by `run()` when given: the serialized `RunMetadata` (Python's `run_metadata` out-parameter). */
export interface RunMetadataSink {
  bytes?: Uint8Array;
}

export interface RunCallOptions {
  options?: RunOptionsInit;
  runMetadata?: RunMetadataSink;
}

export interface SessionLike {
  // Loose parameter types (unknown) so that the core Session (whose feeds also take a Map) satisfies it.
  run(fetches: FetchStructure, feeds?: unknown, opts?: unknown): Promise<unknown>;
  /** Optional: the same run, blocking the JS thread (the core Session has it). */
  runSync?(fetches: FetchStructure, feeds?: unknown, opts?: unknown): unknown;
  /**
   * Optional: the same run placed by a run scheduler (the core Session has it): the result now
   * when it ran on the JS thread, else a Promise. Used by the monitored sessions' run modes.
   */
  runWith?(scheduler: RunScheduler, fetches: FetchStructure, feeds?: unknown, opts?: unknown): unknown;
  close(): Promise<void>;
  /** The session's graph, when it has one (`MonitoredSession.graph` returns it). */
  readonly graph?: unknown;
}

/**
 * Present on the session hooks see in their run context when runs may happen on the JS thread
 * (run mode 'auto' or 'sync'): runs a fetch and returns its result now when it ran on the JS
 * thread, else a Promise of it. The package's hooks read the global step through it
 * (`readGlobalStep`) so that a step stays synchronous; a user's hook simply calls `session.run`.
 */
export const RUN_MAYBE_SYNC: unique symbol = Symbol('tf-monitored.runMaybeSync');

/** Makes sessions: Python's `SessionCreator` (`ChiefSessionCreator`, `WorkerSessionCreator`, ...). */
export interface SessionCreator {
  createSession(): Promise<SessionLike>;
}

/**
 * A graph as far as `MonitoredSession` cares: whether it is finalized, and how to undo the
 * finalization its session creator did (Python un-finalizes on close when the graph was not
 * finalized before construction).
 */
export interface FinalizableGraph {
  readonly finalized: boolean;
  unfinalize(): void;
}

/** A fetched tensor value as the hooks read it. */
export interface FetchedTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: ArrayLike<unknown>;
}
