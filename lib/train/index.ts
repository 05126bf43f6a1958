/**
 * The training layer (Python's `tf.compat.v1.train`): MonitoredTrainingSession and the pieces it is
 * made of, the global step, the coordinator and queue runners (checkpoints: lib/checkpoint).
 */
import * as logging from '../core/logging';

export { logging };
export { MonitoredTrainingSession, type MonitoredTrainingSessionOptions } from './monitored-training-session';
export {
  MonitoredSession,
  SingularMonitoredSession,
  StepContext,
  StopIteration,
  type StopReason,
  type StepFn,
  type MonitoredSessionOptions,
  type RecoverableMonitoredSessionOptions,
} from './monitored-session';
export { currentGraph } from '../core/current-graph';
export type { RecoveryOptions } from './recoverable-session';
export {
  ChiefSessionCreator,
  WorkerSessionCreator,
  type ChiefSessionCreatorOptions,
  type WorkerSessionCreatorOptions,
} from './session-creators';
export {
  SessionManager,
  type SessionManagerOptions,
  type PrepareSessionOptions,
  type RestoreOptions,
  type WaitForSessionOptions,
  type SessionConfig,
} from './session-manager';
export {
  getGlobalStep,
  getOrCreateGlobalStep,
  createGlobalStep,
  assertGlobalStep,
  globalStepReadTensor,
  globalStep,
  type CreateGlobalStepOptions,
} from '../core/global-step';
export { Coordinator, type CoordinatorOptions, type JoinOptions, type CoordinatedThread } from '../core/coordinator';
export {
  QueueRunner,
  startQueueRunners,
  type QueueRunnerOptions,
  type CreateThreadsOptions,
  type QueueRunnerThread,
} from '../core/queue-runner';
export type { SessionLike, SessionCreator } from '../core/session-like';
