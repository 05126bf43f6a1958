// Typed builders for ConfigProto and RunOptions from plain camelCase objects (issue 3, Build).
import { describe, expect, it } from 'vitest';
import { toBinary } from '@bufbuild/protobuf';
import { ConfigProtoSchema, RunOptionsSchema, RunOptions_TraceLevel, decodeBinary } from '../../lib/proto';
import { configProto, runOptions, serializeConfigProto, serializeRunOptions, type ConfigProtoInit } from '../../lib/core/config';
import { Graph } from '../../lib/core/graph';
import { Session } from '../../lib/core/session';
import { thrownParam as param } from '../support/errors';

describe('configProto() / runOptions()', () => {
  it('build nested messages, maps, 64-bit fields and enums from plain objects', () => {
    const init: ConfigProtoInit = {
      interOpParallelismThreads: 1,
      intraOpParallelismThreads: 2,
      deviceCount: { CPU: 1, GPU: 0 },
      gpuOptions: { allowGrowth: true, perProcessGpuMemoryFraction: 0.5 },
      operationTimeoutInMs: 1500,
      graphOptions: { optimizerOptions: { optLevel: 'L0' } },
      allowSoftPlacement: true,
    };
    const c = configProto(init);
    expect(c.$typeName).toBe('tensorflow.ConfigProto');
    expect(c.deviceCount).toEqual({ CPU: 1, GPU: 0 });
    expect(c.gpuOptions?.allowGrowth).toBe(true);
    expect(c.operationTimeoutInMs).toBe(1500n);
    expect(c.graphOptions?.optimizerOptions?.optLevel).toBe(-1);
    const bytes = serializeConfigProto(init);
    expect(toBinary(ConfigProtoSchema, decodeBinary(ConfigProtoSchema, bytes))).toEqual(bytes);
    expect(configProto(bytes).intraOpParallelismThreads).toBe(2);

    const r = runOptions({ traceLevel: 'FULL_TRACE', timeoutInMs: 5000n, outputPartitionGraphs: true });
    expect(r.traceLevel).toBe(RunOptions_TraceLevel.FULL_TRACE);
    expect(runOptions({ traceLevel: RunOptions_TraceLevel.SOFTWARE_TRACE }).traceLevel).toBe(RunOptions_TraceLevel.SOFTWARE_TRACE);
    expect(decodeBinary(RunOptionsSchema, serializeRunOptions({ timeoutInMs: 7 })).timeoutInMs).toBe(7n);
  });

  it('name the parameter of a bad field, value or serialization', () => {
    // @ts-expect-error a typo is a compile error too
    expect(param(() => configProto({ interOpParalelismThreads: 2 }))).toBe('config.interOpParalelismThreads');
    // @ts-expect-error wrong type
    expect(param(() => configProto({ gpuOptions: { allowGrowth: 'yes' } }))).toBe('config.gpuOptions.allowGrowth');
    expect(param(() => runOptions({ traceLevel: 'EVERYTHING' }))).toBe('options.traceLevel');
    expect(param(() => runOptions(Uint8Array.from([0xff, 0xff]), 'runOptions'))).toBe('runOptions');
  });

  it('refuses integers the encoder cannot write, naming the field', () => {
    expect(param(() => configProto({ intraOpParallelismThreads: 1.5 }))).toBe('config.intraOpParallelismThreads');
    expect(param(() => configProto({ interOpParallelismThreads: 2 ** 40 }))).toBe('config.interOpParallelismThreads');
    expect(param(() => configProto({ deviceCount: { CPU: 2 ** 31 } }))).toBe('config.deviceCount.CPU');
    expect(param(() => runOptions({ timeoutInMs: 2n ** 63n }))).toBe('options.timeoutInMs');
    expect(param(() => runOptions({ traceLevel: Number.NaN }))).toBe('options.traceLevel');
    // The limits themselves still pass.
    expect(configProto({ interOpParallelismThreads: -(2 ** 31), deviceCount: { CPU: 2 ** 31 - 1 } }).interOpParallelismThreads).toBe(
      -(2 ** 31),
    );
  });

  // TF checks neither and then aborts the whole process when it makes the thread pool
  // ("Check failed: num_threads >= 1"); a negative inter-op count is valid (ops run on the caller).
  it('refuses the thread counts that abort or hang TF, before a session exists', () => {
    const g = new Graph();
    g.addOp({ type: 'Const', name: 'c', attrs: { dtype: 'float32', value: 2 } });
    expect(param(() => new Session(g, { config: { intraOpParallelismThreads: -1 } }))).toBe('config.intraOpParallelismThreads');
    expect(param(() => new Session(g, { config: { sessionInterOpThreadPool: [{ numThreads: 1 }, { numThreads: -2 }] } }))).toBe(
      'config.sessionInterOpThreadPool[1].numThreads',
    );
    // The same in serialized form.
    const bytes = toBinary(ConfigProtoSchema, configProto({ interOpParallelismThreads: 1 }));
    bytes[1] = 0x7f; // the varint of field 2 (inter-op) becomes 127: still valid
    expect(configProto(bytes).interOpParallelismThreads).toBe(127);
    const negIntra = serializeConfigProto({ interOpParallelismThreads: 1 });
    const bad = new Uint8Array([...negIntra, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]); // intra_op = -1
    expect(param(() => new Session(g, { config: bad }))).toBe('config.intraOpParallelismThreads');
    expect(configProto({ interOpParallelismThreads: -1, intraOpParallelismThreads: 0 }).interOpParallelismThreads).toBe(-1);
    // Pools so large that making them crashed the process (2^31-1) or did not end (100000).
    expect(param(() => new Session(g, { config: { intraOpParallelismThreads: 2 ** 31 - 1 } }))).toBe('config.intraOpParallelismThreads');
    expect(param(() => new Session(g, { config: { interOpParallelismThreads: 100000 } }))).toBe('config.interOpParallelismThreads');
    expect(param(() => new Session(g, { config: { sessionInterOpThreadPool: [{ numThreads: 2 ** 31 - 1 }] } }))).toBe(
      'config.sessionInterOpThreadPool[0].numThreads',
    );
  });

  it('a built ConfigProto is accepted by Session', async () => {
    const g = new Graph();
    g.addOp({ type: 'Const', name: 'c', attrs: { dtype: 'float32', value: 2 } });
    const s = new Session(g, { config: configProto({ intraOpParallelismThreads: 1, interOpParallelismThreads: 1 }) });
    expect(Array.from((await s.run('c:0'))!.data as Float32Array)).toEqual([2]);
    await s.close();
  });
});
