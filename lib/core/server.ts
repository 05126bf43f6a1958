/**
 * Server: an in-process TF gRPC server (Python's tf.distribute.Server / tf.train.Server), so this
 * process can be a ps or worker task of a TF1 cluster next to Python processes.
 */
import { toBinary } from '@bufbuild/protobuf';
import { ServerDefSchema } from '../proto/gen/tensorflow/core/protobuf/tensorflow_server_pb';
import { invalidArgument } from './errors';
import { messageFromPlain } from './plain-message';
import { buildMessage, configProto, type ConfigProtoInit } from './config';
import { checkOptionNames } from './options';
import { ClusterSpec, type ClusterInit } from './cluster-spec';
import { native, type NativeServer } from '../native';

export interface ServerOptions {
  /** A ClusterSpec, or { jobName: ['host:port', ...] } as Python's ClusterSpec takes it. */
  cluster: ClusterInit;
  jobName: string;
  taskIndex?: number;
  protocol?: string;
  config?: Record<string, unknown>;
  /** Start serving at once (default true, as Python). */
  start?: boolean;
}

export class Server {
  private nativeServer: NativeServer;
  private closing: Promise<void> | null = null;

  constructor(opts: ServerOptions | Uint8Array) {
    let bytes: Uint8Array;
    if (opts instanceof Uint8Array) {
      // The session config inside gets the same checks as a Session's (thread counts TF aborts on).
      const def = buildMessage(ServerDefSchema, opts, 'serverDef');
      if (def.defaultSessionConfig) configProto(def.defaultSessionConfig, 'serverDef.defaultSessionConfig');
      bytes = opts;
    } else {
      if (!opts || typeof opts !== 'object') throw invalidArgument('options', 'server options', opts);
      checkOptionNames(
        opts,
        ['cluster', 'jobName', 'taskIndex', 'protocol', 'config', 'start'] satisfies Array<keyof ServerOptions>,
        'Server',
      );
      if (typeof opts.jobName !== 'string') throw invalidArgument('jobName', 'a job name', opts.jobName);
      const def = messageFromPlain(
        ServerDefSchema,
        {
          cluster: new ClusterSpec(opts.cluster).asClusterDef(),
          jobName: opts.jobName,
          taskIndex: opts.taskIndex ?? 0,
          protocol: opts.protocol ?? 'grpc',
          ...(opts.config ? { defaultSessionConfig: configProto(opts.config as ConfigProtoInit, 'config') } : {}),
        },
        'options',
      );
      bytes = toBinary(ServerDefSchema, def);
    }
    this.nativeServer = new (native().NativeServer)(bytes);
    if (opts instanceof Uint8Array || opts.start !== false) this.nativeServer.start();
  }

  /** A master string for sessions: 'grpc://localhost:PORT'. */
  get target(): string {
    return this.nativeServer.target();
  }

  start(): void {
    this.nativeServer.start();
  }
  /** TF's gRPC server cannot be stopped once started (UnimplementedError), as in Python. */
  stop(): void {
    this.nativeServer.stop();
  }
  /** Resolves when the server stops: for a started gRPC server, never (Python's join()). */
  join(): Promise<void> {
    return this.nativeServer.join();
  }

  /**
   * Releases this object. TF cannot shut down a started gRPC server (deleting one aborts the
   * process), so a started server keeps serving until the process exits, exactly as in Python;
   * an unstarted one is freed. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.nativeServer.close();
    return this.closing;
  }
}
