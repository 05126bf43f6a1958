/**
 * Checkpoints (Python's `tf.compat.v1.train` Saver and checkpoint functions): the Saver, the state
 * file (`checkpoint`) and its helpers, reading checkpoints, warm starts from one, and the Scaffold
 * that tells a monitored session how to initialize, restore and save.
 */
export { Saver, type SaverOptions, type SaveOptions, type SaverSession, type VarList } from './saver';
export {
  getCheckpointState,
  getCheckpointStateSync,
  latestCheckpoint,
  latestCheckpointSync,
  checkpointExists,
  checkpointExistsSync,
  updateCheckpointState,
  updateCheckpointStateSync,
  generateCheckpointStateProto,
  getCheckpointMtimes,
  metaGraphFilename,
  removeCheckpoint,
  DEFAULT_LATEST_FILENAME,
  CheckpointFormatVersion,
  type CheckpointState,
  type UpdateCheckpointStateOptions,
  type ReadStateOptions,
} from './checkpoint-state';
export { CheckpointReader, loadCheckpoint, listVariables, loadVariable, type CheckpointVariable } from './checkpoint-reader';
export { initFromCheckpoint, type AssignmentMap, type AssignmentTarget, type VariableObject } from './init-from-checkpoint';
export { Scaffold, type ScaffoldOptions, type ScaffoldInitFn, type WarmStart } from './scaffold';
