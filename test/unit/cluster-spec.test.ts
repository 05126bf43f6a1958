import { describe, expect, it } from 'vitest';
import { ClusterSpec, masterFor, tfConfig } from '../../lib/distribute/cluster-spec';
import { ArgumentError, ValueError } from '../../lib/core/errors';

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
    expect(def.job.map((j) => [j.name, j.tasks])).toEqual([['ps', { 0: 'ps0:2222', 1: 'ps1:2222' }], ['worker', { 1: 'w1:2222', 3: 'w3:2222' }]]);
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
    const cfg = tfConfig({ TF_CONFIG: JSON.stringify({ cluster: { chief: ['c:1'], worker: ['w:1'] }, task: { type: 'worker', index: 0 } }) });
    expect(cfg!.task).toEqual({ type: 'worker', index: 0 });
    expect(cfg!.cluster.jobTasks('chief')).toEqual(['c:1']);
    expect(tfConfig({})).toBeNull();
    expect(() => tfConfig({ TF_CONFIG: '{nope' })).toThrow(/TF_CONFIG is not valid JSON/);
  });
});
