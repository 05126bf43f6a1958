import { describe, expect, it } from 'vitest';
import { ClusterSpec, masterFor } from '../../lib/core/cluster-spec';
import { tfConfig } from '../../lib/distribute/tf-config';
import { ArgumentError, ValueError } from '../../lib/core/errors';
import { thrownParam as param } from '../support/errors';

describe('ClusterSpec', () => {
  it('holds dense and sparse jobs like Python', () => {
    const c = new ClusterSpec({ ps: ['ps0:2222', 'ps1:2222'], worker: { 1: 'w1:2222', 3: 'w3:2222' } });
    expect(c.jobs).toEqual(['ps', 'worker']);
    expect(c.numTasks('ps')).toBe(2);
    expect(c.taskIndices('worker')).toEqual([1, 3]);
    expect(c.taskAddress('worker', 3)).toBe('w3:2222');
    expect(c.jobTasks('ps')).toEqual(['ps0:2222', 'ps1:2222']);
    expect(c.asDict()).toEqual({ ps: ['ps0:2222', 'ps1:2222'], worker: { 1: 'w1:2222', 3: 'w3:2222' } });
    const def = c.asClusterDef();
    expect(def.job.map((j) => [j.name, j.tasks])).toEqual([
      ['ps', { 0: 'ps0:2222', 1: 'ps1:2222' }],
      ['worker', { 1: 'w1:2222', 3: 'w3:2222' }],
    ]);
    expect(new ClusterSpec(def).asDict()).toEqual(c.asDict());
    expect(masterFor(c, 'worker', 1)).toBe('grpc://w1:2222');
  });

  it('names the bad parameter', () => {
    expect(() => new ClusterSpec({ ps: [''] })).toThrow(ArgumentError);
    expect(() => new ClusterSpec({ ps: [''] })).toThrow(/cluster\.ps\[0\]/);
    expect(() => new ClusterSpec({ 'bad job': ['a:1'] })).toThrow(/Invalid job name 'bad job'/);
    expect(() => new ClusterSpec({ ps: ['a:1'] }).taskAddress('worker', 0)).toThrow(ValueError);
  });

  it('reads TF_CONFIG', () => {
    const cfg = tfConfig({
      TF_CONFIG: JSON.stringify({ cluster: { chief: ['c:1'], worker: ['w:1'] }, task: { type: 'worker', index: 0 } }),
    });
    expect(cfg!.task).toEqual({ type: 'worker', index: 0 });
    expect(cfg!.cluster.jobTasks('chief')).toEqual(['c:1']);
    expect(tfConfig({})).toBeNull();
    expect(() => tfConfig({ TF_CONFIG: '{nope' })).toThrow(/TF_CONFIG is not valid JSON/);
  });
});

// From a bad-input probe: these were accepted silently, or (the Server's config) aborted the process.
describe('ClusterSpec and Server: what was accepted silently', () => {
  it('task keys in canonical decimal, ports up to 65535, ClusterDef jobs checked like plain ones', () => {
    expect(param(() => new ClusterSpec({ worker: { 1: 'a:1', '01': 'b:2' } as never }))).toBe('cluster.worker');
    expect(param(() => new ClusterSpec({ worker: ['localhost:99999'] }))).toBe('cluster.worker[0]');
    const def = new ClusterSpec({ worker: ['a:1'] }).asClusterDef();
    def.job[0].name = 'bad name!';
    expect(param(() => new ClusterSpec(def))).toBe('cluster');
    expect(new ClusterSpec({ worker: { 0: 'a:1', 10: 'b:65535' } }).taskAddress('worker', 10)).toBe('b:65535');
  });

  it("a Server's session config gets the thread-count checks (TF aborted the process on -1), from options and from ServerDef bytes", async () => {
    const { Server } = await import('../../lib/core/server');
    const { ServerDefSchema } = await import('../../lib/proto/gen/tensorflow/core/protobuf/tensorflow_server_pb');
    const { create, toBinary } = await import('@bufbuild/protobuf');
    const { configProto } = await import('../../lib/core/config');
    const cluster = { worker: ['localhost:1'] };
    expect(param(() => new Server({ cluster, jobName: 'worker', config: { intraOpParallelismThreads: -1 } }))).toBe(
      'config.intraOpParallelismThreads',
    );
    expect(param(() => new Server({ cluster, jobName: 'worker', taskindex: 0 } as never))).toBe('taskindex');
    const bad = configProto({});
    bad.intraOpParallelismThreads = -1;
    const bytes = toBinary(
      ServerDefSchema,
      create(ServerDefSchema, {
        cluster: new ClusterSpec(cluster).asClusterDef(),
        jobName: 'worker',
        protocol: 'grpc',
        defaultSessionConfig: bad,
      }),
    );
    expect(param(() => new Server(bytes))).toBe('serverDef.defaultSessionConfig.intraOpParallelismThreads');
  });
});
