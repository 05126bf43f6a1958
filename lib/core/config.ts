/**
 * Typed builders for the option messages users write as plain camelCase objects: ConfigProto
 * (session config) and RunOptions (per run). The types follow the generated messages field by
 * field, so typos fail to compile; the builders check the same at run time for JS callers
 * (unknown field → ArgumentError naming `config.field`), through `messageFromPlain`.
 */
import { toBinary, type DescMessage, type Message, type MessageShape } from '@bufbuild/protobuf';
import { ConfigProtoSchema, RunOptionsSchema, type ConfigProto, type RunOptions } from '../proto/gen/tensorflow/core/protobuf/config_pb';
import { ProtoDecodeError, decodeBinary } from '../proto/binary';
import { ArgumentError, invalidArgument } from './errors';
import { messageFromPlain } from './plain-message';

type PlainValue<V> = V extends bigint
  ? bigint | number
  : V extends Uint8Array
    ? Uint8Array
    : V extends string | boolean
      ? V
      : V extends number
        ? 0.5 extends V
          ? number
          : V | string // an enum: its value or its name
        : V extends ReadonlyArray<infer E>
          ? PlainValue<E>[]
          : V extends Message
            ? PlainMessage<V>
            : V extends { [key: string]: infer M }
              ? { [key: string]: PlainValue<M> }
              : V;

/** A message, or a plain object with (some of) its fields in camelCase. */
export type PlainMessage<T extends Message> = T | { [K in keyof T as K extends '$typeName' | '$unknown' ? never : K]?: PlainValue<T[K]> };

export type ConfigProtoInit = PlainMessage<ConfigProto>;
export type RunOptionsInit = PlainMessage<RunOptions>;

/** A message of `schema` from a plain object, the message itself, or its serialized bytes. */
export function buildMessage<Desc extends DescMessage>(
  schema: Desc,
  init: PlainMessage<MessageShape<Desc>> | Uint8Array,
  param: string,
): MessageShape<Desc> {
  if (init instanceof Uint8Array) {
    try {
      return decodeBinary(schema, init);
    } catch (e) {
      throw new ArgumentError(
        param,
        `${param} is not a serialized ${schema.typeName}: ${e instanceof ProtoDecodeError ? e.reason : String(e)}`,
      );
    }
  }
  return messageFromPlain(schema, init, param);
}

/**
 * A ConfigProto from a plain camelCase object, the message, or its bytes. In a plain object:
 * 64-bit integer fields take a number or a bigint; enum fields take the enum value or its name
 * (`traceLevel: 'FULL_TRACE'`); nested messages are plain objects too; maps are objects
 * (`deviceCount: { CPU: 1 }`).
 *
 * @example
 *   const config = configProto({ interOpParallelismThreads: 1, gpuOptions: { allowGrowth: true } });
 */
export function configProto(init: ConfigProtoInit | Uint8Array, param = 'config'): ConfigProto {
  return checkGpuOptions(checkThreadCounts(buildMessage(ConfigProtoSchema, init, param), param), param);
}

/**
 * GPU options a CPU build ignores and a CUDA build rejects only when it makes its GPU devices
 * (docs/gpu.md): checked here so a config fails the same way on every machine.
 */
function checkGpuOptions(config: ConfigProto, param: string): ConfigProto {
  const gpu = config.gpuOptions;
  if (!gpu) return config;
  const f = gpu.perProcessGpuMemoryFraction;
  if (!Number.isFinite(f) || f < 0) {
    throw invalidArgument(
      `${param}.gpuOptions.perProcessGpuMemoryFraction`,
      "a fraction of GPU memory from 0 (TF's default) up; above 1 uses unified memory",
      f,
    );
  }
  if (gpu.visibleDeviceList !== '' && !/^\s*\d+\s*(,\s*\d+\s*)*$/.test(gpu.visibleDeviceList)) {
    throw invalidArgument(`${param}.gpuOptions.visibleDeviceList`, "GPU ids separated by commas, e.g. '0' or '1,0'", gpu.visibleDeviceList);
  }
  return config;
}

/**
 * Thread counts TF takes without a check and then aborts the process on (`Check failed:
 * num_threads >= 1` when it makes the pool): a negative intra-op count or a negative size of a
 * session inter-op pool; and counts so large that making the pool crashes or never ends. 0 means
 * "TF's default"; a negative inter-op count is valid (the caller's thread runs the ops).
 */
function checkThreadCounts(config: ConfigProto, param: string): ConfigProto {
  const count = (n: number, p: string, negativeOk: boolean) => {
    if ((n < 0 && !negativeOk) || n > MAX_THREADS) {
      throw invalidArgument(
        `${param}.${p}`,
        `a thread count from ${negativeOk ? 'a negative number (run on the caller)' : '0 (one per core)'} to ${MAX_THREADS}`,
        n,
      );
    }
  };
  count(config.intraOpParallelismThreads, 'intraOpParallelismThreads', false);
  count(config.interOpParallelismThreads, 'interOpParallelismThreads', true);
  config.sessionInterOpThreadPool.forEach((pool, i) => count(pool.numThreads, `sessionInterOpThreadPool[${i}].numThreads`, false));
  return config;
}

/**
 * Far above any machine's cores. TF makes every thread of a pool when the session is created:
 * 2^31-1 crashed the process and 100000 took longer than any test would wait.
 */
const MAX_THREADS = 4096;

/**
 * A RunOptions from a plain camelCase object (the same rules as {@link configProto}), the
 * message, or its bytes.
 *
 * @example
 *   const opts = runOptions({ traceLevel: 'FULL_TRACE', timeoutInMs: 5000 });
 */
export function runOptions(init: RunOptionsInit | Uint8Array, param = 'options'): RunOptions {
  return buildMessage(RunOptionsSchema, init, param);
}

/** The serialized ConfigProto (what TF_SetConfig takes). */
export function serializeConfigProto(init: ConfigProtoInit | Uint8Array, param = 'config'): Uint8Array {
  return toBinary(ConfigProtoSchema, configProto(init, param));
}

/** The serialized RunOptions (what TF_SessionRun takes). */
export function serializeRunOptions(init: RunOptionsInit | Uint8Array, param = 'options'): Uint8Array {
  return toBinary(RunOptionsSchema, runOptions(init, param));
}
