/**
 * TF_CONFIG, read as Python's TFConfigClusterResolver (and Estimator's RunConfig) read it:
 *
 *   { "cluster": { "chief": [...], "master": [...], "worker": [...], "ps": [...], "evaluator": [...] },
 *     "task": { "type": "worker", "index": 1 }, "rpc_layer": "grpc" }
 *
 * The chief is the `chief` task when there is one, else `master` task 0, else worker 0. Schedulers
 * (Kubeflow's TFJob and others) tell each process its role this way. Every malformed case is an
 * ArgumentError whose param names the field (`TF_CONFIG.task.index`, ...).
 */
import { ArgumentError, invalidArgument } from '../core/errors';
import { ClusterSpec, type ClusterInit } from '../core/cluster-spec';

export const TASK_TYPES = ['chief', 'master', 'worker', 'ps', 'evaluator'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export interface TfTask {
  type: TaskType;
  index: number;
}

export interface TfConfig {
  cluster: ClusterSpec;
  /** null when TF_CONFIG has no `task` (a client of the cluster, as Python allows). */
  task: TfTask | null;
  /** `rpc_layer`, default 'grpc': the Server's protocol and the master's URL scheme. */
  rpcLayer: string;
  /** The chief task by the chief rule; null when the cluster has no chief, master or worker job. */
  chief: TfTask | null;
  /** Whether `task` is the chief. */
  isChief: boolean;
}

const TOP_KEYS = ['cluster', 'task', 'rpc_layer', 'environment'];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function parseIndex(v: unknown): number {
  // Python does int(index): a decimal string is an index too.
  const n = typeof v === 'string' && /^(0|[1-9]\d*)$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalidArgument('TF_CONFIG.task.index', 'a task index (an integer from 0)', v);
  }
  return n;
}

function chiefOf(cluster: ClusterSpec): TfTask | null {
  const jobs = cluster.jobs;
  if (jobs.includes('chief')) return { type: 'chief', index: 0 };
  if (jobs.includes('master')) return { type: 'master', index: 0 };
  if (jobs.includes('worker') && cluster.taskIndices('worker').includes(0)) return { type: 'worker', index: 0 };
  return null;
}

/** Parses a TF_CONFIG string (what the environment variable holds). */
export function parseTfConfig(raw: string): TfConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new ArgumentError('TF_CONFIG', `TF_CONFIG is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(parsed)) throw invalidArgument('TF_CONFIG', 'a JSON object { cluster, task }', parsed);
  const unknownKey = Object.keys(parsed).find((k) => !TOP_KEYS.includes(k));
  if (unknownKey)
    throw new ArgumentError(`TF_CONFIG.${unknownKey}`, `Unknown key '${unknownKey}' in TF_CONFIG (expected ${TOP_KEYS.join(', ')})`);

  const rawCluster = parsed.cluster ?? {};
  if (!isObject(rawCluster)) throw invalidArgument('TF_CONFIG.cluster', 'an object of job name → task addresses', rawCluster);
  for (const job of Object.keys(rawCluster)) {
    if (!(TASK_TYPES as readonly string[]).includes(job)) {
      throw new ArgumentError(`TF_CONFIG.cluster.${job}`, `Unknown job '${job}' in TF_CONFIG.cluster (expected ${TASK_TYPES.join(', ')})`);
    }
  }
  let cluster: ClusterSpec;
  try {
    cluster = new ClusterSpec(rawCluster as ClusterInit);
  } catch (e) {
    if (e instanceof ArgumentError) throw new ArgumentError(`TF_CONFIG.${e.param}`, `TF_CONFIG: ${e.message}`);
    throw e;
  }
  for (const single of ['chief', 'master'] as const) {
    if (cluster.jobs.includes(single) && cluster.numTasks(single) !== 1) {
      throw new ArgumentError(
        `TF_CONFIG.cluster.${single}`,
        `TF_CONFIG.cluster.${single} must have exactly one task, it has ${cluster.numTasks(single)}`,
      );
    }
  }

  const rpc = parsed.rpc_layer ?? 'grpc';
  if (typeof rpc !== 'string' || !/^[a-z][a-z0-9+_-]*$/.test(rpc))
    throw invalidArgument('TF_CONFIG.rpc_layer', "a protocol name such as 'grpc'", rpc);

  let task: TfTask | null = null;
  if (parsed.task !== undefined) {
    if (!isObject(parsed.task)) throw invalidArgument('TF_CONFIG.task', 'an object { type, index }', parsed.task);
    const { type, index } = parsed.task;
    if (typeof type !== 'string' || !(TASK_TYPES as readonly string[]).includes(type)) {
      throw invalidArgument('TF_CONFIG.task.type', `one of ${TASK_TYPES.join(', ')}`, type);
    }
    // Estimator's default when index is left out.
    task = { type: type as TaskType, index: index === undefined ? 0 : parseIndex(index) };
    // An evaluator need not be in the cluster (Estimator leaves it out): it trains nothing.
    if (type !== 'evaluator' || cluster.jobs.includes('evaluator')) {
      if (!cluster.jobs.includes(type)) {
        throw new ArgumentError('TF_CONFIG.task.type', `TF_CONFIG.task.type is '${type}' but TF_CONFIG.cluster has no '${type}' job`);
      }
      if (!cluster.taskIndices(type).includes(task.index)) {
        throw new ArgumentError(
          'TF_CONFIG.task.index',
          `TF_CONFIG.task.index ${task.index} is out of range: job '${type}' has ${cluster.numTasks(type)} task(s)`,
        );
      }
    }
  }
  const chief = chiefOf(cluster);
  const isChief = task !== null && chief !== null && task.type === chief.type && task.index === chief.index;
  return { cluster, task, rpcLayer: rpc, chief, isChief };
}

/** TF_CONFIG from the environment, or null when it is unset or empty. */
export function tfConfig(env: NodeJS.ProcessEnv = process.env): TfConfig | null {
  const raw = env.TF_CONFIG;
  if (raw === undefined || raw.trim() === '') return null;
  return parseTfConfig(raw);
}

/** The task TF_CONFIG names; an ArgumentError when TF_CONFIG or its task is missing. */
export function requireTask(cfg: TfConfig | null, purpose: string): TfConfig & { task: TfTask } {
  if (!cfg) throw new ArgumentError('TF_CONFIG', `TF_CONFIG is not set: ${purpose} needs it to know this process's task`);
  if (!cfg.task)
    throw new ArgumentError('TF_CONFIG.task', `TF_CONFIG has no task: ${purpose} needs { "task": { "type": ..., "index": ... } }`);
  return cfg as TfConfig & { task: TfTask };
}
