/**
 * `tf-monitored server`: runs one task's gRPC server (a ps task, typically) until SIGTERM or
 * SIGINT (after a grace period, see runServer), then exits 0. The task comes from TF_CONFIG or from --cluster/--job/--task; the first
 * stdout line is `serving /job:<job>/task:<i> at <target>`.
 */
import { ArgumentError } from '../core/errors';
import { ClusterSpec } from '../core/cluster-spec';
import { startTaskServer } from '../distribute/from-env';
import { parseTfConfig, tfConfig, type TfConfig } from '../distribute/tf-config';

export interface ServerArgs {
  cluster?: string;
  job?: string;
  task?: number;
  protocol?: string;
  /** Seconds to keep serving after the first SIGTERM/SIGINT (default 10). */
  stopGraceSecs?: number;
}

function fromFlags(args: ServerArgs): TfConfig {
  if (args.cluster === undefined || args.job === undefined) {
    const missing = args.cluster === undefined ? '--cluster' : '--job';
    throw new ArgumentError(missing, `${missing} is required when TF_CONFIG is not set (give TF_CONFIG, or --cluster and --job)`);
  }
  let cluster: unknown;
  try {
    cluster = JSON.parse(args.cluster);
  } catch (e) {
    throw new ArgumentError('--cluster', `--cluster is not valid JSON: ${(e as Error).message}`);
  }
  // Same checks as TF_CONFIG, except that any job name goes: a hand-made cluster may use others.
  const spec = new ClusterSpec(cluster as never);
  if (!spec.jobs.includes(args.job))
    throw new ArgumentError('--job', `--job '${args.job}' is not a job of --cluster (${spec.jobs.join(', ')})`);
  const index = args.task ?? 0;
  if (!spec.taskIndices(args.job).includes(index))
    throw new ArgumentError('--task', `--task ${index} is out of range: job '${args.job}' has ${spec.numTasks(args.job)} task(s)`);
  return { cluster: spec, task: { type: args.job as never, index }, rpcLayer: args.protocol ?? 'grpc', chief: null, isChief: false };
}

export async function runServer(args: ServerArgs, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const flags = args.cluster !== undefined || args.job !== undefined || args.task !== undefined;
  if (flags && env.TF_CONFIG) {
    throw new ArgumentError('--cluster', 'give either TF_CONFIG or --cluster/--job/--task, not both');
  }
  const cfg = flags ? fromFlags(args) : tfConfig(env);
  if (!cfg)
    throw new ArgumentError('TF_CONFIG', 'TF_CONFIG is not set: give it, or --cluster and --job (and --task), to name the task to serve');
  if (args.protocol && !flags && cfg) cfg.rpcLayer = parseTfConfig(JSON.stringify({ rpc_layer: args.protocol })).rpcLayer;
  const { server, task } = startTaskServer(cfg, '`tf-monitored server`');
  console.log(`serving /job:${task.type}/task:${task.index} at ${server.target}`);
  // TF cannot stop a started gRPC server: the process ends it. The interval keeps the event loop
  // alive (join() is a native wait that does not hold it).
  const keepAlive = setInterval(() => {}, 1 << 30);
  // A scheduler stops a job by signalling every task at once: the chief then writes its final
  // checkpoint, which needs the ps tasks, so a ps keeps serving for a grace period; a second
  // signal ends it at once.
  const grace = args.stopGraceSecs ?? 10;
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (sig: NodeJS.Signals) => {
      if (stopping) return resolve();
      stopping = true;
      console.log(`${sig}: /job:${task.type}/task:${task.index} stops in ${grace} s (another signal stops it now)`);
      setTimeout(resolve, grace * 1000);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  clearInterval(keepAlive);
  console.log(`stopped /job:${task.type}/task:${task.index}`);
  return 0;
}
