/**
 * `tf-monitored server`: runs one task's gRPC server (a ps task, typically) until SIGTERM or
 * SIGINT, then exits 0. The task comes from TF_CONFIG or from --cluster/--job/--task; the first
 * stdout line is `serving /job:<job>/task:<i> at <target>`.
 */
import { ArgumentError } from '../core/errors';
import { ClusterSpec } from '../distribute/cluster-spec';
import { startTaskServer } from '../distribute/from-env';
import { parseTfConfig, tfConfig, type TfConfig } from '../distribute/tf-config';

export interface ServerArgs {
  cluster?: string;
  job?: string;
  task?: number;
  protocol?: string;
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
  if (!spec.jobs.includes(args.job)) throw new ArgumentError('--job', `--job '${args.job}' is not a job of --cluster (${spec.jobs.join(', ')})`);
  const index = args.task ?? 0;
  if (!spec.taskIndices(args.job).includes(index)) throw new ArgumentError('--task', `--task ${index} is out of range: job '${args.job}' has ${spec.numTasks(args.job)} task(s)`);
  return { cluster: spec, task: { type: args.job as never, index }, rpcLayer: args.protocol ?? 'grpc', chief: null, isChief: false };
}

export async function runServer(args: ServerArgs, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const flags = args.cluster !== undefined || args.job !== undefined || args.task !== undefined;
  if (flags && env.TF_CONFIG) {
    throw new ArgumentError('--cluster', 'give either TF_CONFIG or --cluster/--job/--task, not both');
  }
  const cfg = flags ? fromFlags(args) : tfConfig(env);
  if (args.protocol && !flags && cfg) cfg.rpcLayer = parseTfConfig(JSON.stringify({ rpc_layer: args.protocol })).rpcLayer;
  const { server, task } = startTaskServer(cfg, '`tf-monitored server`');
  console.log(`serving /job:${task.type}/task:${task.index} at ${server.target}`);
  // TF cannot stop a started gRPC server: the process ends it. The interval keeps the event loop
  // alive (join() is a native wait that does not hold it).
  const keepAlive = setInterval(() => {}, 1 << 30);
  await new Promise<void>((resolve) => {
    const stop = (sig: NodeJS.Signals) => {
      console.log(`${sig}: stopping /job:${task.type}/task:${task.index}`);
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  clearInterval(keepAlive);
  return 0;
}
