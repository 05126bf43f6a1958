/**
 * One line from TF_CONFIG to a MonitoredTrainingSession:
 *
 *   const sess = await MonitoredTrainingSession({ graph, ...clusterFromEnv() });
 *
 * starts this process's task server (TF's gRPC server, as Python's tf.train.Server) and returns the
 * session's `master` (that server) and `isChief` (the chief rule of tf-config.ts).
 */
import { ArgumentError } from '../core/errors';
import { Server } from '../core/server';
import { requireTask, tfConfig, type TfConfig, type TfTask } from './tf-config';

export interface TaskServer {
  server: Server;
  task: TfTask;
  isChief: boolean;
  config: TfConfig;
}

// TF cannot stop a started gRPC server, so a second start for the same task would fail to bind its
// port: one server per task per process, reused.
const started = new Map<string, Server>();

/** Starts (once per process) the gRPC server of the task TF_CONFIG names. */
export function startTaskServer(cfg: TfConfig | null, purpose = 'starting a task server'): TaskServer {
  const c = requireTask(cfg, purpose);
  const key = `${c.task.type}:${c.task.index}@${JSON.stringify(c.cluster.asDict())}/${c.rpcLayer}`;
  let server = started.get(key);
  if (!server) {
    if (c.task.type === 'evaluator' && !c.cluster.jobs.includes('evaluator')) {
      throw new ArgumentError('TF_CONFIG.task.type', 'an evaluator outside TF_CONFIG.cluster has no task server to start');
    }
    server = new Server({ cluster: c.cluster, jobName: c.task.type, taskIndex: c.task.index, protocol: c.rpcLayer });
    started.set(key, server);
  }
  return { server, task: c.task, isChief: c.isChief, config: c };
}

/**
 * Refuses the tasks that do not train: a ps serves variables (`tf-monitored server`), an
 * evaluator evaluates checkpoints and is no part of training.
 */
export function checkTrainingTask(task: TfTask): void {
  if (task.type === 'ps') {
    throw new ArgumentError(
      'TF_CONFIG.task.type',
      "TF_CONFIG names a 'ps' task: a ps task does not train, run `tf-monitored server` for it",
    );
  }
  if (task.type === 'evaluator') {
    throw new ArgumentError(
      'TF_CONFIG.task.type',
      "TF_CONFIG names an 'evaluator' task: evaluators do not train (evaluate the chief's checkpoints instead)",
    );
  }
}

/**
 * The devices a training task's sessions may use, as Estimator's RunConfig sets them: the ps tasks
 * and the task itself. TF's master otherwise waits for every task of the cluster when it makes a
 * session, so a restarted worker or chief would wait for the others (measured: a restarted worker
 * waited without end beside a live chief), and one task's compute could land on another.
 */
export function deviceFiltersFor(task: TfTask): string[] {
  return ['/job:ps', `/job:${task.type}/task:${task.index}`];
}

/**
 * `{ master, isChief, config }` for MonitoredTrainingSession from TF_CONFIG (a chief, master or
 * worker task); `config` holds the device filters (deviceFiltersFor): merge it into a config of your own.
 */
export function clusterFromEnv(env: NodeJS.ProcessEnv = process.env): {
  master: string;
  isChief: boolean;
  config: { deviceFilters: string[] };
} {
  const cfg = requireTask(tfConfig(env), 'clusterFromEnv()');
  checkTrainingTask(cfg.task);
  const { server, isChief } = startTaskServer(cfg);
  return { master: server.target, isChief, config: { deviceFilters: deviceFiltersFor(cfg.task) } };
}
