/**
 * Session-run hooks (Python's `session_run_hook.py` and `basic_session_run_hooks.py`).
 */
export {
  SessionRunHook,
  SessionRunArgs,
  SessionRunContext,
  SessionRunValues,
  type SessionRunHookLike,
} from './session-run-hook';
export { SecondOrStepTimer, NeverTriggerTimer, type HookTimer, type SecondOrStepTimerOptions, type Clock } from './second-or-step-timer';
export { StopAtStepHook, type StopAtStepHookOptions } from './basic/stop-at-step-hook';
export {
  CheckpointSaverHook,
  CheckpointSaverListener,
  type CheckpointSaverHookOptions,
  type CheckpointSaverListenerLike,
} from './basic/checkpoint-saver-hook';
export { StepCounterHook, type StepCounterHookOptions } from './basic/step-counter-hook';
export { SummarySaverHook, type SummarySaverHookOptions } from './basic/summary-saver-hook';
export { GlobalStepWaiterHook, type GlobalStepWaiterHookOptions } from './basic/global-step-waiter-hook';
export { ProfilerHook, chromeTraceFromStepStats, type ProfilerHookOptions, type ChromeTraceOptions } from './basic/profiler-hook';
export { LoggingTensorHook, type LoggingTensorHookOptions } from './basic/logging-tensor-hook';
export { NanTensorHook, NanLossDuringTrainingError, type NanTensorHookOptions } from './basic/nan-tensor-hook';
export { FinalOpsHook, type FinalOpsHookOptions } from './basic/final-ops-hook';
export { FeedFnHook, type FeedFnHookOptions } from './basic/feed-fn-hook';
