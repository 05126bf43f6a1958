/**
 * Small fakes for the hook framework and the monitored-session wrappers, in the spirit of TF's own
 * `monitored_session_test.py`: a session that records calls and answers from a table, a session
 * that fails on its Nth run, a session creator that pops prepared sessions, and a hook that writes
 * every call into a shared trace.
 */
import { SessionRunHook, type SessionRunArgs, type SessionRunContext, type SessionRunValues } from '../../lib/hooks/session-run-hook';
import type { Coordinator } from '../../lib/core/coordinator';
import { canonicalTensorName } from '../../lib/core/fetches';
import type {
  FeedDict as Feeds,
  FetchStructure as Fetch,
  FetchedTensor as TensorLike,
  FinalizableGraph,
  RunCallOptions,
  SessionCreator,
  SessionLike,
} from '../../lib/core/session-like';

export function tensor(dtype: string, shape: number[], data: ArrayLike<unknown>): TensorLike {
  return { dtype, shape, data };
}

export function scalar(value: number, dtype = 'float32'): TensorLike {
  const data =
    dtype === 'float32'
      ? Float32Array.of(value)
      : dtype === 'float64'
        ? Float64Array.of(value)
        : dtype === 'int32'
          ? Int32Array.of(value)
          : dtype === 'int64'
            ? BigInt64Array.of(BigInt(value))
            : [value];
  return { dtype, shape: [], data };
}

/** The scalar in a fetched fake value, as a number. */
export function numberOf(t: unknown): number {
  return Number((t as TensorLike).data[0]);
}

/** How a fake session answers a tensor fetch: a number (float32 scalar), a tensor, or a function of the feeds. */
export type ValueSpec = number | TensorLike | ((feeds: Feeds, session: FakeSession) => number | TensorLike);

export interface RecordedRun {
  fetches: Fetch;
  feeds: Feeds | undefined;
  opts: RunCallOptions | undefined;
}

export interface FakeSessionOptions {
  /** Tensor name (`'x:0'`) → value. */
  values?: Record<string, ValueSpec>;
  /** Operation name → effect, run when the op is fetched (before tensors are read). */
  ops?: Record<string, (feeds: Feeds, session: FakeSession) => void>;
  /** Fail the Nth run (1-based), and every run after it when `failAfter` is set. */
  failOnRun?: { n: number; error: () => unknown; failAfter?: boolean };
  graph?: unknown;
  /** Receives `<label>.run` / `<label>.close` lines. */
  trace?: string[];
}

/** Records calls; answers fetches with the structure asked for; op fetches yield null. */
export class FakeSession implements SessionLike {
  readonly runs: RecordedRun[] = [];
  closeCount = 0;
  readonly graph: unknown;

  constructor(
    readonly label = 'sess',
    private readonly opts: FakeSessionOptions = {},
  ) {
    this.graph = opts.graph;
  }

  get closed(): boolean {
    return this.closeCount > 0;
  }

  async run(fetches: Fetch, feeds?: Feeds, opts?: RunCallOptions): Promise<any> {
    return this.answer('run', fetches, feeds, opts);
  }

  /** A run's work, synchronously; `how` names the call in the trace (`<label>.<how>`). */
  protected answer(how: string, fetches: Fetch, feeds?: Feeds, opts?: RunCallOptions): any {
    if (this.closed) throw new Error(`${this.label}: Attempted to use a closed Session.`);
    this.runs.push({ fetches, feeds, opts });
    this.opts.trace?.push(`${this.label}.${how}`);
    const fail = this.opts.failOnRun;
    if (fail && (this.runs.length === fail.n || (fail.failAfter && this.runs.length > fail.n))) throw fail.error();
    const canonicalFeeds: Feeds = {};
    for (const [k, v] of Object.entries(feeds ?? {})) canonicalFeeds[canonicalTensorName(k)] = v;
    if (opts?.runMetadata) opts.runMetadata.bytes = new Uint8Array([this.runs.length]);
    return this.resolve(fetches, canonicalFeeds);
  }

  private resolve(fetch: Fetch, feeds: Feeds): any {
    if (fetch === null) return null;
    if (typeof fetch === 'string' || typeof (fetch as { name?: unknown }).name === 'string') {
      const name = typeof fetch === 'string' ? fetch : (fetch as { name: string }).name;
      if (!name.includes(':')) {
        this.opts.ops?.[name]?.(feeds, this);
        return null;
      }
      const spec = this.opts.values?.[name];
      if (spec === undefined) throw new Error(`${this.label}: no value for ${name}`);
      const v = typeof spec === 'function' ? spec(feeds, this) : spec;
      return typeof v === 'number' ? scalar(v) : v;
    }
    if (Array.isArray(fetch)) return fetch.map((f) => this.resolve(f, feeds));
    return Object.fromEntries(Object.entries(fetch).map(([k, f]) => [k, this.resolve(f as Fetch, feeds)]));
  }

  async close(): Promise<void> {
    this.closeCount++;
    this.opts.trace?.push(`${this.label}.close`);
  }
}

/** A fake session whose `n`th run (1-based) throws `error()`. */
export function failingSession(label: string, n: number, error: () => unknown, opts: FakeSessionOptions = {}): FakeSession {
  return new FakeSession(label, { ...opts, failOnRun: { n, error } });
}

/**
 * Hands out prepared sessions in order (Python's StackSessionCreator). An entry that is a function
 * is called; one that throws makes `createSession()` fail. Running out is an error, as `pop()` is.
 */
export class StackSessionCreator implements SessionCreator {
  created = 0;
  private readonly queue: Array<SessionLike | (() => SessionLike)>;

  constructor(
    sessions: Array<SessionLike | (() => SessionLike)>,
    private readonly onCreate?: () => void,
  ) {
    this.queue = [...sessions];
  }

  get remaining(): number {
    return this.queue.length;
  }

  async createSession(): Promise<SessionLike> {
    this.onCreate?.();
    const next = this.queue.shift();
    if (next === undefined) throw new Error('pop from empty list');
    this.created++;
    return typeof next === 'function' ? next() : next;
  }
}

/**
 * A FakeSession that also has `runSync`, as the core Session does: the same answers and failures
 * (`failOnRun` counts both kinds of run), synchronously, traced as `<label>.runSync`.
 */
export class SyncFakeSession extends FakeSession {
  syncRuns = 0;
  asyncRuns = 0;

  override async run(fetches: Fetch, feeds?: Feeds, opts?: RunCallOptions): Promise<any> {
    this.asyncRuns++;
    return this.answer('run', fetches, feeds, opts);
  }

  runSync(fetches: Fetch, feeds?: Feeds, opts?: RunCallOptions): any {
    this.syncRuns++;
    return this.answer('runSync', fetches, feeds, opts);
  }
}

/** A graph with Python's finalize flag. */
export class FakeGraph implements FinalizableGraph {
  finalized = false;
  finalize(): void {
    this.finalized = true;
  }
  unfinalize(): void {
    this.finalized = false;
  }
}

export interface TraceHookOptions {
  /** What `beforeRun` returns (or a function of the call count, 1-based). */
  request?: SessionRunArgs | null | ((n: number, ctx: SessionRunContext) => SessionRunArgs | null);
  /** Request a stop in `afterRun` (on every call, or on the calls where it returns true). */
  stopInAfterRun?: boolean | ((n: number) => boolean);
  /** Throw from a method; `once` throws only the first time. */
  throwIn?: { method: 'begin' | 'acs' | 'before' | 'after' | 'end'; error: () => unknown; once?: boolean };
  /** Lines for `begin`, e.g. the graph's finalized flag. */
  onBegin?: () => string | void;
}

/** A hook that writes `<name>.<method>` into a shared trace and keeps what it was given. */
export class TraceHook extends SessionRunHook {
  readonly calls = { begin: 0, acs: 0, before: 0, after: 0, end: 0 };
  lastContext: SessionRunContext | null = null;
  lastValues: SessionRunValues | null = null;
  readonly allValues: SessionRunValues[] = [];
  acsArgs: Array<[SessionLike, Coordinator]> = [];
  endSessions: SessionLike[] = [];
  private thrown = false;

  constructor(
    readonly name: string,
    readonly trace: string[],
    private readonly opts: TraceHookOptions = {},
  ) {
    super();
  }

  private maybeThrow(method: NonNullable<TraceHookOptions['throwIn']>['method']): void {
    const t = this.opts.throwIn;
    if (!t || t.method !== method || (t.once && this.thrown)) return;
    this.thrown = true;
    throw t.error();
  }

  override begin(): void {
    this.calls.begin++;
    const extra = this.opts.onBegin?.();
    this.trace.push(`${this.name}.begin${extra ? ` ${extra}` : ''}`);
    this.maybeThrow('begin');
  }

  override afterCreateSession(session: SessionLike, coord: Coordinator): void {
    this.calls.acs++;
    this.acsArgs.push([session, coord]);
    this.trace.push(`${this.name}.acs`);
    this.maybeThrow('acs');
  }

  override beforeRun(ctx: SessionRunContext): SessionRunArgs | null {
    this.calls.before++;
    this.lastContext = ctx;
    this.trace.push(`${this.name}.before`);
    this.maybeThrow('before');
    const r = this.opts.request;
    return typeof r === 'function' ? r(this.calls.before, ctx) : (r ?? null);
  }

  override afterRun(ctx: SessionRunContext, values: SessionRunValues): void {
    this.calls.after++;
    this.lastValues = values;
    this.allValues.push(values);
    this.trace.push(`${this.name}.after`);
    this.maybeThrow('after');
    const s = this.opts.stopInAfterRun;
    if (s === true || (typeof s === 'function' && s(this.calls.after))) ctx.requestStop();
  }

  override end(session: SessionLike): void {
    this.calls.end++;
    this.endSessions.push(session);
    this.trace.push(`${this.name}.end`);
    this.maybeThrow('end');
  }
}
