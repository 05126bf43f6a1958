import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../lib/core/errors';
import { parseTfConfig, tfConfig } from '../../lib/distribute/tf-config';
import { clusterFromEnv } from '../../lib/distribute/from-env';
import { runServer } from '../../lib/cli/server';
import { runTrain } from '../../lib/cli/train';

const ps = ['p0:2222'];
const cfg = (o: unknown) => JSON.stringify(o);
/** The param of the ArgumentError `f` throws. */
function param(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentError);
    return (e as ArgumentError).param;
  }
  throw new Error('no error thrown');
}

describe('TF_CONFIG as TFConfigClusterResolver reads it', () => {
  it('with a chief job: the chief task is the chief, worker 0 is not', () => {
    const cluster = { chief: ['c:1'], worker: ['w0:1', 'w1:1'], ps, evaluator: ['e:1'] };
    const chief = parseTfConfig(cfg({ cluster, task: { type: 'chief', index: 0 } }));
    expect(chief.isChief).toBe(true);
    expect(chief.chief).toEqual({ type: 'chief', index: 0 });
    expect(chief.rpcLayer).toBe('grpc');
    expect(chief.cluster.jobTasks('worker')).toEqual(['w0:1', 'w1:1']);
    expect(parseTfConfig(cfg({ cluster, task: { type: 'worker', index: 0 } })).isChief).toBe(false);
    expect(parseTfConfig(cfg({ cluster, task: { type: 'evaluator', index: 0 } })).isChief).toBe(false);
  });

  it('without a chief job: master 0 is the chief, else worker 0; the index may be a decimal string', () => {
    const w = parseTfConfig(cfg({ cluster: { worker: ['w0:1', 'w1:1'], ps }, task: { type: 'worker', index: '0' }, rpc_layer: 'grpc' }));
    expect(w.task).toEqual({ type: 'worker', index: 0 });
    expect(w.isChief).toBe(true);
    expect(parseTfConfig(cfg({ cluster: { worker: ['w0:1', 'w1:1'], ps }, task: { type: 'worker', index: 1 } })).isChief).toBe(false);
    const m = parseTfConfig(cfg({ cluster: { master: ['m:1'], worker: ['w0:1'], ps }, task: { type: 'worker', index: 0 } }));
    expect(m.chief).toEqual({ type: 'master', index: 0 });
    expect(m.isChief).toBe(false);
    // A client of the cluster: no task, as Python allows.
    expect(parseTfConfig(cfg({ cluster: { worker: ['w0:1'] } })).task).toBeNull();
    // An evaluator outside the cluster (Estimator's layout).
    expect(parseTfConfig(cfg({ cluster: { worker: ['w0:1'] }, task: { type: 'evaluator', index: 0 } })).task?.type).toBe('evaluator');
    expect(
      parseTfConfig(cfg({ cluster: { worker: ['w0:1'] }, task: { type: 'worker', index: 0 }, rpc_layer: 'grpc+verbs' })).rpcLayer,
    ).toBe('grpc+verbs');
    expect(tfConfig({})).toBeNull();
    expect(tfConfig({ TF_CONFIG: '' })).toBeNull();
  });

  it('missing task: what needs one says TF_CONFIG.task', () => {
    const env = { TF_CONFIG: cfg({ cluster: { worker: ['w0:1'], ps } }) };
    expect(param(() => clusterFromEnv(env))).toBe('TF_CONFIG.task');
    expect(param(() => clusterFromEnv({}))).toBe('TF_CONFIG');
    expect(param(() => parseTfConfig(cfg({ cluster: { worker: ['w0:1'] }, task: 'worker' })))).toBe('TF_CONFIG.task');
    expect(param(() => parseTfConfig(cfg({ cluster: { worker: ['w0:1'] }, task: { index: 0 } })))).toBe('TF_CONFIG.task.type');
  });

  it('unknown types, in the task or the cluster', () => {
    expect(param(() => parseTfConfig(cfg({ cluster: { worker: ['w0:1'] }, task: { type: 'trainer', index: 0 } })))).toBe(
      'TF_CONFIG.task.type',
    );
    expect(param(() => parseTfConfig(cfg({ cluster: { worker: ['w0:1'], trainer: ['t:1'] }, task: { type: 'worker', index: 0 } })))).toBe(
      'TF_CONFIG.cluster.trainer',
    );
    // A known type the cluster does not have.
    expect(param(() => parseTfConfig(cfg({ cluster: { worker: ['w0:1'] }, task: { type: 'ps', index: 0 } })))).toBe('TF_CONFIG.task.type');
    expect(param(() => parseTfConfig(cfg({ cluster: { worker: ['w0:1'] }, task: { type: 'worker', index: 0 }, rpc_layer: 5 })))).toBe(
      'TF_CONFIG.rpc_layer',
    );
    expect(param(() => parseTfConfig(cfg({ cluster: { worker: ['w0:1'] }, tsak: {} })))).toBe('TF_CONFIG.tsak');
  });

  it('index out of range, negative or not an integer', () => {
    const cluster = { worker: ['w0:1', 'w1:1'], ps };
    for (const index of [2, -1, 1.5, '01', 'one', null]) {
      expect(
        param(() => parseTfConfig(cfg({ cluster, task: { type: 'worker', index } }))),
        String(index),
      ).toBe('TF_CONFIG.task.index');
    }
    expect(() => parseTfConfig(cfg({ cluster, task: { type: 'worker', index: 2 } }))).toThrow(
      /index 2 is out of range: job 'worker' has 2 task/,
    );
    expect(param(() => parseTfConfig(cfg({ cluster: { chief: ['a:1', 'b:1'] }, task: { type: 'chief', index: 0 } })))).toBe(
      'TF_CONFIG.cluster.chief',
    );
    expect(param(() => parseTfConfig(cfg({ cluster: { worker: [''] }, task: { type: 'worker', index: 0 } })))).toBe(
      'TF_CONFIG.cluster.worker[0]',
    );
  });

  it('non-JSON, or JSON that is not an object', () => {
    expect(param(() => parseTfConfig('{"cluster": '))).toBe('TF_CONFIG');
    expect(() => tfConfig({ TF_CONFIG: "{cluster: {worker: ['a:1']}}" })).toThrow(/TF_CONFIG is not valid JSON/);
    expect(param(() => parseTfConfig('[1]'))).toBe('TF_CONFIG');
    expect(param(() => parseTfConfig(cfg({ cluster: ['w0:1'] })))).toBe('TF_CONFIG.cluster');
  });

  it('train and server refuse the tasks they cannot be, before starting anything', async () => {
    const cluster = { worker: ['127.0.0.1:1'], ps: ['127.0.0.1:2'], evaluator: ['127.0.0.1:3'] };
    const graph = 'test/fixtures/distributed/model.meta';
    const train = (type: string) => runTrain({ graph, master: '' }, { TF_CONFIG: cfg({ cluster, task: { type, index: 0 } }) });
    await expect(train('evaluator')).rejects.toThrow(/'evaluator' task: evaluators do not train/);
    await expect(train('ps')).rejects.toThrow(/run `tf-monitored server`/);
    await expect(runTrain({ graph, master: '' }, { TF_CONFIG: cfg({ cluster }) })).rejects.toMatchObject({ param: 'TF_CONFIG.task' });
    await expect(runServer({}, {})).rejects.toMatchObject({ param: 'TF_CONFIG', message: expect.stringMatching(/--cluster and --job/) });
    await expect(runServer({ job: 'ps' }, {})).rejects.toMatchObject({ param: '--cluster' });
    await expect(runServer({ cluster: '{"ps": ["127.0.0.1:2"]}', job: 'worker' }, {})).rejects.toMatchObject({ param: '--job' });
    await expect(runServer({ cluster: '{"ps": ["127.0.0.1:2"]}', job: 'ps', task: 1 }, {})).rejects.toMatchObject({ param: '--task' });
    await expect(runServer({ cluster: '{"ps": ', job: 'ps' }, {})).rejects.toMatchObject({ param: '--cluster' });
  });
});
