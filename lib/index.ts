/**
 * tf-monitored: TensorFlow 1's MonitoredTrainingSession for Node.js, on the libtensorflow C API.
 * The public API (docs/design.md#public-api). Loading this module does not load libtensorflow: the
 * first call that needs TF does (or `loadLibtensorflow()`).
 */
import * as errors from './core/errors';

export { errors };
export { TFError, ArgumentError } from './core/errors';
export { loadLibtensorflow, tfVersion, libraryPath, LibraryLoadError, type LoadOptions } from './native';
export { Tensor, type TensorLike } from './core/tensor';
export type { DType, TypedArray } from './core/dtypes';
export { Operation, Output, type AddOpSpec, type ImportOptions, type TensorRef, type OpRef } from './core/graph';
export { Graph } from './graph-io/graph';
export { GraphKeys } from './core/collections';
export {
  Session,
  type Fetch,
  type FetchResult,
  type Feeds,
  type SessionOptions,
  type RunCallOptions,
  type RunMetadataSink,
} from './core/session';
export * from './gpu';
export { configProto, runOptions, type ConfigProtoInit, type RunOptionsInit } from './core/config';
export { Server, type ServerOptions } from './core/server';
export { ClusterSpec, masterFor } from './core/cluster-spec';
export { tfConfig, parseTfConfig, TASK_TYPES, type TfConfig, type TfTask, type TaskType } from './distribute/tf-config';
export { clusterFromEnv, deviceFiltersFor, startTaskServer, type TaskServer } from './distribute/from-env';
export * from './graph-io';
export * from './summary';
export * from './hooks';
export * from './train';
export * from './data'; // .npy/.npz readers, batches, feedFromBatches (docs/data.md)
export * from './checkpoint';
export * as summary from './ops/summary'; // in-graph summaries: summary.scalar(...), summary.mergeAll() (docs/optimizers.md)
export * from './optimizers'; // optimizers and learning-rate schedules (docs/optimizers.md)
export * as ops from './ops'; // model building: ops, gradients, variables, initializers (docs/model-building.md)
