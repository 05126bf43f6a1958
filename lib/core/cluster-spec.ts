/**
 * ClusterSpec (Python's tf.train.ClusterSpec): the jobs of a TF1 cluster and their task
 * addresses, convertible to the ClusterDef a Server needs. `tfConfig()` reads the TF_CONFIG
 * environment variable Python's estimators and distribution strategies use (see tf-config.ts), and `masterFor()`
 * builds the `grpc://host:port` master string for a task.
 */
import { create } from '@bufbuild/protobuf';
import { ClusterDefSchema, type ClusterDef } from '../proto/gen/tensorflow/core/protobuf/cluster_pb';
import { ArgumentError, ValueError, invalidArgument } from './errors';

export type ClusterInit = Record<string, string[] | Record<number, string>> | ClusterSpec | ClusterDef;

export class ClusterSpec {
  private readonly jobsMap = new Map<string, Map<number, string>>();

  /**
   * @example new ClusterSpec({ ps: ['ps0:2222'], worker: ['w0:2222', 'w1:2222'] })
   * Sparse jobs use an object: `{ worker: { 1: 'w1:2222' } }`.
   */
  constructor(cluster: ClusterInit = {}) {
    if (cluster instanceof ClusterSpec) {
      for (const [job, tasks] of cluster.jobsMap) this.jobsMap.set(job, new Map(tasks));
      return;
    }
    if (cluster === null || typeof cluster !== 'object')
      throw invalidArgument('cluster', 'an object of job name → task addresses', cluster);
    // A ClusterDef goes through the same checks as a plain object: the same job names, indexes, addresses.
    const entries: Array<[string, unknown]> =
      (cluster as ClusterDef).$typeName === 'tensorflow.ClusterDef'
        ? (cluster as ClusterDef).job.map((j) => [j.name, { ...j.tasks }])
        : Object.entries(cluster as Record<string, unknown>);
    for (const [job, tasks] of entries) {
      if (this.jobsMap.has(job)) throw new ArgumentError('cluster', `Job '${job}' appears twice in cluster`);
      if (!/^[a-z][a-z0-9_]*$/i.test(job)) throw new ArgumentError('cluster', `Invalid job name '${job}' in cluster`);
      const m = new Map<number, string>();
      if (Array.isArray(tasks)) {
        tasks.forEach((a, i) => m.set(i, checkAddress(a, `cluster.${job}[${i}]`)));
      } else if (tasks && typeof tasks === 'object') {
        for (const [i, a] of Object.entries(tasks)) {
          // Canonical decimal only: '01' and '1' would be the same task.
          if (!/^(0|[1-9]\d*)$/.test(i) || Number(i) > 2 ** 31 - 1)
            throw invalidArgument(`cluster.${job}`, 'task indexes (0, 1, ... without leading zeros) as keys', i);
          m.set(Number(i), checkAddress(a, `cluster.${job}[${i}]`));
        }
      } else {
        throw invalidArgument(`cluster.${job}`, 'an array or an object of task addresses', tasks);
      }
      this.jobsMap.set(job, m);
    }
  }

  get jobs(): string[] {
    return [...this.jobsMap.keys()];
  }

  numTasks(job: string): number {
    return this.tasksOf(job).size;
  }

  taskIndices(job: string): number[] {
    return [...this.tasksOf(job).keys()].sort((a, b) => a - b);
  }

  taskAddress(job: string, index: number): string {
    const a = this.tasksOf(job).get(index);
    if (a === undefined) throw new ValueError(`No task with index ${index} in job ${job}`);
    return a;
  }

  /** Addresses of a job in task order (Python's job_tasks). */
  jobTasks(job: string): string[] {
    return this.taskIndices(job).map((i) => this.taskAddress(job, i));
  }

  asDict(): Record<string, string[] | Record<number, string>> {
    const out: Record<string, string[] | Record<number, string>> = {};
    for (const [job, tasks] of this.jobsMap) {
      const idx = [...tasks.keys()].sort((a, b) => a - b);
      const dense = idx.every((v, i) => v === i);
      out[job] = dense ? idx.map((i) => tasks.get(i)!) : Object.fromEntries(idx.map((i) => [i, tasks.get(i)!]));
    }
    return out;
  }

  asClusterDef(): ClusterDef {
    return create(ClusterDefSchema, {
      job: [...this.jobsMap].map(([name, tasks]) => ({ name, tasks: Object.fromEntries(tasks) })),
    });
  }

  private tasksOf(job: string): Map<number, string> {
    const t = this.jobsMap.get(job);
    if (!t) throw new ValueError(`No such job in cluster: ${JSON.stringify(job)}`);
    return t;
  }
}

/** A task address: a non-empty 'host:port' string whose port, when numeric, is a TCP port. */
function checkAddress(a: unknown, param: string): string {
  if (typeof a !== 'string' || !a || a.includes('\0')) throw invalidArgument(param, "a 'host:port' address", a);
  const port = /:(\d+)$/.exec(a);
  if (port && Number(port[1]) > 65535) throw invalidArgument(param, "a 'host:port' address with a port up to 65535", a);
  return a;
}

/** The master string for a task of the cluster: 'grpc://host:port'. */
export function masterFor(cluster: ClusterSpec, job: string, index: number): string {
  return `grpc://${cluster.taskAddress(job, index)}`;
}
