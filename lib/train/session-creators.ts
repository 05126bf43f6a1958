/**
 * Session creators for `MonitoredSession` (Python's `ChiefSessionCreator`, `WorkerSessionCreator`).
 * Both finalize the scaffold (which finalizes the graph) on every creation; the chief restores or
 * initializes, the worker waits until the chief has made the model ready. There is no default
 * graph in JS: pass `graph`.
 */
import { invalidArgument } from '../core/errors';
import { checkOptionNames, checkPath } from '../core/options';
import { Graph } from '../core/graph';
import type { Session } from '../core/session';
import { Scaffold } from '../checkpoint/scaffold';
import { SessionManager, type SessionConfig } from './session-manager';
import type { SessionCreator } from '../core/session-like';

interface CommonOptions {
  /** The graph to run (Python uses the default graph). */
  graph: Graph;
  /** Default: a new `Scaffold()`. */
  scaffold?: Scaffold | null;
  /** `''` (default) or `'grpc://host:port'`. */
  master?: string;
  config?: SessionConfig;
}

export interface ChiefSessionCreatorOptions extends CommonOptions {
  /** Restore the latest checkpoint of this directory, when there is one. */
  checkpointDir?: string | null;
  /** Restore this checkpoint prefix instead. */
  checkpointFilenameWithPath?: string | null;
}

export interface WorkerSessionCreatorOptions extends CommonOptions {
  /** The longest wait for the chief, in seconds. Default 1800 (MonitoredTrainingSession passes 7200). */
  maxWaitSecs?: number | null;
  /**
   * Seconds between two readiness checks while waiting for the chief. Default 30 (Python's fixed
   * value, docs/python-parity.md §3.3); lower it to join a fast chief sooner.
   */
  recoveryWaitSecs?: number;
}

const CHIEF_OPTIONS = ['graph', 'scaffold', 'master', 'config', 'checkpointDir', 'checkpointFilenameWithPath'] satisfies Array<
  keyof ChiefSessionCreatorOptions
>;
const WORKER_OPTIONS = ['graph', 'scaffold', 'master', 'config', 'maxWaitSecs', 'recoveryWaitSecs'] satisfies Array<
  keyof WorkerSessionCreatorOptions
>;

function common(
  opts: CommonOptions,
  known: readonly string[],
  owner: string,
): { graph: Graph; scaffold: Scaffold; master: string; config: SessionConfig } {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('options', 'an object', opts);
  checkOptionNames(opts, known, owner);
  const { graph, scaffold = null, master = '', config = null } = opts;
  if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
  if (scaffold !== null && !(scaffold instanceof Scaffold)) throw invalidArgument('scaffold', 'a Scaffold', scaffold);
  if (typeof master !== 'string') throw invalidArgument('master', "a master string ('' or 'grpc://host:port')", master);
  return { graph, scaffold: scaffold ?? new Scaffold(), master, config };
}

/**
 * Creates sessions for the chief: restore from a checkpoint or initialize (docs/python-parity.md §3.1).
 * The master is `''` (in-process) or `'grpc://host:port'` (a TF server); `config` is a ConfigProto
 * as a plain camelCase object (`{ deviceFilters: ['/job:ps', '/job:worker/task:0'] }`), a message
 * or serialized bytes (the same for {@link WorkerSessionCreator}).
 *
 * @example
 * const creator = new ChiefSessionCreator({ graph, checkpointDir: 'runs/a' });
 * const sess = await MonitoredSession.create({ sessionCreator: creator, graph, hooks });
 */
export class ChiefSessionCreator implements SessionCreator {
  readonly graph: Graph;
  readonly scaffold: Scaffold;
  readonly master: string;
  private readonly config: SessionConfig;
  private readonly checkpointDir: string | null;
  private readonly checkpointFilenameWithPath: string | null;
  private sessionManager: SessionManager | null = null;

  constructor(opts: ChiefSessionCreatorOptions) {
    const c = common(opts, CHIEF_OPTIONS, 'ChiefSessionCreator');
    this.graph = c.graph;
    this.scaffold = c.scaffold;
    this.master = c.master;
    this.config = c.config;
    const { checkpointDir = null, checkpointFilenameWithPath = null } = opts;
    if (checkpointDir !== null) checkPath(checkpointDir, 'checkpointDir', { allowEmpty: true });
    if (checkpointFilenameWithPath !== null) checkPath(checkpointFilenameWithPath, 'checkpointFilenameWithPath');
    this.checkpointDir = checkpointDir;
    this.checkpointFilenameWithPath = checkpointFilenameWithPath;
  }

  private getSessionManager(): SessionManager {
    this.sessionManager ??= sessionManagerFor(this.graph, this.scaffold);
    return this.sessionManager;
  }

  async createSession(): Promise<Session> {
    this.scaffold.finalize(this.graph);
    return this.getSessionManager().prepareSession(this.master, {
      saver: this.scaffold.saver,
      checkpointDir: this.checkpointDir,
      checkpointFilenameWithPath: this.checkpointFilenameWithPath,
      config: this.config,
      initOp: this.scaffold.initOp,
      initFeedDict: this.scaffold.initFeedDict,
      initFn: this.scaffold.initFn,
    });
  }
}

/** Creates sessions for a worker: wait until the chief made the model ready (docs/python-parity.md §3.2). */
export class WorkerSessionCreator implements SessionCreator {
  readonly graph: Graph;
  readonly scaffold: Scaffold;
  readonly master: string;
  private readonly config: SessionConfig;
  private readonly maxWaitSecs: number | null;
  private readonly recoveryWaitSecs: number;
  private sessionManager: SessionManager | null = null;

  constructor(opts: WorkerSessionCreatorOptions) {
    const c = common(opts, WORKER_OPTIONS, 'WorkerSessionCreator');
    this.graph = c.graph;
    this.scaffold = c.scaffold;
    this.master = c.master;
    this.config = c.config;
    const { maxWaitSecs = 30 * 60, recoveryWaitSecs = 30 } = opts;
    if (maxWaitSecs !== null && !(typeof maxWaitSecs === 'number' && maxWaitSecs >= 0)) {
      throw invalidArgument('maxWaitSecs', 'a non-negative number of seconds or null', maxWaitSecs);
    }
    if (!(Number.isFinite(recoveryWaitSecs) && recoveryWaitSecs >= 0)) {
      throw invalidArgument('recoveryWaitSecs', 'a non-negative number of seconds', recoveryWaitSecs);
    }
    this.maxWaitSecs = maxWaitSecs;
    this.recoveryWaitSecs = recoveryWaitSecs;
  }

  private getSessionManager(): SessionManager {
    this.sessionManager ??= sessionManagerFor(this.graph, this.scaffold, { recoveryWaitSecs: this.recoveryWaitSecs });
    return this.sessionManager;
  }

  async createSession(): Promise<Session> {
    this.scaffold.finalize(this.graph);
    return this.getSessionManager().waitForSession(this.master, { config: this.config, maxWaitSecs: this.maxWaitSecs });
  }
}

/** The SessionManager both creators use: the scaffold's readiness and local-init pieces. */
function sessionManagerFor(graph: Graph, scaffold: Scaffold, extra: { recoveryWaitSecs?: number } = {}): SessionManager {
  return new SessionManager({
    graph,
    localInitOp: scaffold.localInitOp,
    localInitFeedDict: scaffold.localInitFeedDict,
    readyOp: scaffold.readyOp,
    readyForLocalInitOp: scaffold.readyForLocalInitOp,
    ...extra,
  });
}
