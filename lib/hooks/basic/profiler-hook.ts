/**
 * `ProfilerHook`: every N steps or seconds, traces one run and writes `timeline-<step>.json` in the
 * Chrome trace format plus a `tagged_run_metadata` event `step_<step>` (Python's `ProfilerHook`,
 * docs/python-parity.md §5.12), and {@link chromeTraceFromStepStats}, the port of Python's `client/timeline.py`
 * (open the file in chrome://tracing or Perfetto).
 */
import { writeFile } from '../../core/file-io';
import { joinPath, schemeOf } from '../../core/tf-filesystem';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import type { Graph, Output } from '../../core/graph';
import { RunMetadataSchema } from '../../proto/gen/tensorflow/core/protobuf/config_pb';
import type { NodeExecStats, NodeOutput, StepStats } from '../../proto/gen/tensorflow/core/framework/step_stats_pb';
import { TensorDescriptionSchema } from '../../proto/gen/tensorflow/core/framework/tensor_description_pb';
import { printText } from '../../proto/text-format';
import type { FileWriter } from '../../summary/file-writer';
import { FileWriterCache } from '../../summary/file-writer-cache';
import { hookGlobalStep, readGlobalStep, stepValue } from '../../core/global-step';
import * as logging from '../../core/logging';
import { currentGraph } from '../../core/current-graph';
import { type Clock, SecondOrStepTimer } from '../second-or-step-timer';
import { checkPath } from '../../core/options';
import { checkBoolean } from '../../core/options';
import { checkGraphOption, checkHookOptions } from '../check';
import { SessionRunArgs, SessionRunHook, type SessionRunContext, type SessionRunValues } from '../session-run-hook';

/** RunOptions.TraceLevel.FULL_TRACE. */
const FULL_TRACE = 3;

export interface ProfilerHookOptions {
  saveSteps?: number | null;
  saveSecs?: number | null;
  /** Where the timelines and the events file go. Default '' (the current directory, as Python). */
  outputDir?: string;
  /** Flow events from each tensor's producer to its consumers. Default true. */
  showDataflow?: boolean;
  /** Tensor lifetimes and allocator counters. Default false. */
  showMemory?: boolean;
  /** Written to the events file if this hook creates it (Python writes the default graph). */
  graph?: Graph | null;
  clock?: Clock;
}

const OPTION_NAMES = ['saveSteps', 'saveSecs', 'outputDir', 'showDataflow', 'showMemory', 'graph', 'clock'] satisfies Array<
  keyof ProfilerHookOptions
>;

/**
 * Never traces the first run; afterwards traces the run whose step is due (RunOptions trace level
 * FULL_TRACE), then writes `<outputDir>/timeline-<step>.json` and the run metadata (tag
 * `step_<step>`) to the events file of `outputDir`, logging "Saving timeline for N into '...'.".
 * As in Python, the events file writer is obtained when the hook is constructed.
 *
 * @example
 * new ProfilerHook({ saveSteps: 1000, outputDir: 'runs/a/prof' })
 */
export class ProfilerHook extends SessionRunHook {
  private readonly outputFile: (step: number) => string;
  private readonly fileWriter: FileWriter;
  private readonly showDataflow: boolean;
  private readonly showMemory: boolean;
  private readonly timer: SecondOrStepTimer;
  private readonly graphOption: Graph | null;
  private read: Output | null = null;
  private request: { global_step: Output } | null = null;
  private nextStep: number | null = null;
  private requestSummary = false;

  constructor(opts: ProfilerHookOptions = {}) {
    super();
    checkHookOptions(opts, OPTION_NAMES, 'ProfilerHook');
    const { saveSteps = null, saveSecs = null, outputDir = '', showDataflow = true, showMemory = false, graph = null } = opts;
    checkPath(outputDir, 'outputDir', { allowEmpty: true });
    checkBoolean(showDataflow, 'showDataflow');
    checkBoolean(showMemory, 'showMemory');
    checkGraphOption(graph);
    this.timer = new SecondOrStepTimer(
      { everySteps: saveSteps, everySecs: saveSecs, clock: opts.clock },
      { everySecs: 'saveSecs', everySteps: 'saveSteps' },
    );
    this.outputFile = (step) =>
      schemeOf(outputDir) === null ? path.join(outputDir, `timeline-${step}.json`) : joinPath(outputDir, `timeline-${step}.json`);
    // Python's FileWriterCache.get('') writes into the current directory.
    this.fileWriter = FileWriterCache.get(outputDir || '.', { graph: graph ?? (currentGraph() as Graph | null) });
    this.showDataflow = showDataflow;
    this.showMemory = showMemory;
    this.graphOption = graph;
  }

  override begin(): void {
    this.nextStep = null;
    this.read = hookGlobalStep('ProfilerHook', this.graphOption, currentGraph()).read;
    this.request = null;
  }

  override beforeRun(_runContext: SessionRunContext): SessionRunArgs {
    this.requestSummary = this.nextStep !== null && this.timer.shouldTriggerForStep(this.nextStep);
    this.request ??= { global_step: this.read! };
    return new SessionRunArgs(this.request, null, this.requestSummary ? { traceLevel: FULL_TRACE } : null);
  }

  /** Synchronous except on the steps that write a timeline (a Promise then). */
  override afterRun(runContext: SessionRunContext, runValues: SessionRunValues): void | Promise<void> {
    const stale = stepValue((runValues.results as { global_step: unknown }).global_step);
    if (this.nextStep === null) this.timer.updateLastTriggeredStep(stale);
    if (this.requestSummary) return this.writeTimeline(runContext, runValues);
    this.nextStep = stale + 2;
  }

  private async writeTimeline(runContext: SessionRunContext, runValues: SessionRunValues): Promise<void> {
    const globalStep = await readGlobalStep(runContext.session, this.read!);
    this.timer.updateLastTriggeredStep(globalStep);
    const bytes = runValues.runMetadata.bytes ?? new Uint8Array();
    const metadata = fromBinary(RunMetadataSchema, bytes);
    await this.save(globalStep, this.outputFile(globalStep), metadata.stepStats);
    this.fileWriter.addRunMetadata(bytes, `step_${globalStep}`);
    this.nextStep = globalStep + 1;
  }

  private async save(step: number, savePath: string, stepStats: StepStats | undefined): Promise<void> {
    logging.info(`Saving timeline for ${step} into '${savePath}'.`);
    await writeFile(savePath, chromeTraceFromStepStats(stepStats, { showDataflow: this.showDataflow, showMemory: this.showMemory }));
  }
}

// ---------------------------------------------------------------------------------------------
// Chrome trace format (Python's client/timeline.py, op_time 'schedule').

type TraceEvent = Record<string, unknown>;

export interface ChromeTraceOptions {
  /** Flow events between a tensor's producer and its consumers on other lanes. Default true. */
  showDataflow?: boolean;
  /** Tensor create/snapshot/delete events and per-allocator memory counters. Default false. */
  showMemory?: boolean;
}

interface TensorTracker {
  name: string;
  objectId: number;
  createTime: number;
  pid: number;
  allocator: string;
  numBytes: number;
  refTimes: number[];
  unrefTimes: number[];
}

const micros = (x: bigint | number) => Number(x);

function parseOpLabel(label: string): [string, string, string[]] {
  const m = /^(.*) = (.*)\((.*)\)/.exec(label);
  if (!m) return ['unknown', 'unknown', []];
  return [m[1], m[2], m[3] ? m[3].split(', ') : []];
}

function parseKernelLabel(label: string, nodeName: string): [string, string] {
  const start = label.indexOf('@@');
  const end = label.indexOf('#');
  let name = nodeName;
  if (start >= 0 && end >= 0 && start + 2 < end) name = label.slice(start + 2, end);
  const fields = [...name.split(':'), 'unknown'];
  return [fields[0], fields[1]];
}

/** Python's `json.dumps(..., indent=4, separators=(',', ': '))` (non-ASCII escaped, as ensure_ascii). */
function pythonJson(value: unknown): string {
  return JSON.stringify(value, null, 4).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The Chrome trace (`{"traceEvents": [...]}`, pretty-printed as Python prints it) of a run's
 * StepStats, as Python's `Timeline(step_stats).generate_chrome_trace_format()`: a process per
 * device (`<device> Compute`, `<device> Tensors`, after pid 0 `Allocators`), an `X` event per node
 * execution (name = op type, args name/op/inputN) on non-overlapping lanes, and flow events `s`/`t`
 * for tensors consumed on another lane.
 */
export function chromeTraceFromStepStats(stepStats: StepStats | undefined, opts: ChromeTraceOptions = {}): string {
  const showDataflow = opts.showDataflow ?? true;
  const showMemory = opts.showMemory ?? false;
  const devStats = stepStats?.devStats ?? [];
  const metadata: TraceEvent[] = [];
  const events: TraceEvent[] = [];
  const event = (ph: string, cat: string, name: string, pid: number, tid: number, ts: number): TraceEvent => ({
    ph,
    cat,
    name,
    pid,
    tid,
    ts,
  });
  let nextPid = 0;
  const emitPid = (name: string, pid: number) => metadata.push({ name: 'process_name', ph: 'M', pid, args: { name } });

  // _allocate_pids
  const allocatorsPid = nextPid++;
  emitPid('Allocators', allocatorsPid);
  const devicePids = new Map<string, number>();
  const tensorPids = new Map<string, number>();
  for (const d of devStats) {
    const devicePid = nextPid++;
    devicePids.set(d.device, devicePid);
    const tensorsPid = nextPid++;
    tensorPids.set(d.device, tensorsPid);
    emitPid(`${d.device} Compute`, devicePid);
    emitPid(`${d.device} Tensors`, tensorsPid);
  }

  // _assign_lanes: the lane of each node execution (Python overwrites thread_id).
  const tidOf = new Map<NodeExecStats, number>();
  for (const d of devStats) {
    const lanes = [0];
    for (const ns of d.nodeStats) {
      const start = micros(ns.allStartMicros);
      const end = start + micros(ns.allEndRelMicros);
      let l = lanes.findIndex((lts) => start > lts);
      if (l >= 0) lanes[l] = end;
      else {
        l = lanes.length;
        lanes.push(end);
      }
      tidOf.set(ns, l);
    }
  }

  // _analyze_tensors
  const tensors = new Map<string, TensorTracker>();
  const flowStarts = new Map<string, [number, number, number]>();
  for (const d of devStats) {
    const devicePid = devicePids.get(d.device)!;
    const tensorsPid = tensorPids.get(d.device)!;
    for (const ns of d.nodeStats) {
      const tid = tidOf.get(ns)!;
      const start = micros(ns.allStartMicros);
      const end = start + micros(ns.allEndRelMicros);
      ns.output.forEach((output: NodeOutput, index: number) => {
        const outputName = index ? `${ns.nodeName}:${index}` : ns.nodeName;
        const allocation = output.tensorDescription?.allocationDescription;
        const tensor: TensorTracker = {
          name: outputName,
          objectId: tensors.size,
          createTime: start,
          pid: tensorsPid,
          allocator: allocation?.allocatorName ?? '',
          numBytes: micros(allocation?.requestedBytes ?? 0n),
          refTimes: [start],
          unrefTimes: [end],
        };
        tensors.set(outputName, tensor);
        flowStarts.set(outputName, [end, devicePid, tid]);
        if (showMemory) {
          events.push({ ...event('N', 'Tensor', outputName, tensorsPid, tid, start), id: tensor.objectId });
          const desc = output.tensorDescription ? printText(TensorDescriptionSchema, output.tensorDescription).replace(/"/g, '') : '';
          events.push({
            ...event('O', 'Tensor', outputName, tensorsPid, tid, end - 1),
            id: tensor.objectId,
            args: { snapshot: { tensor_description: desc } },
          });
        }
      });
    }
  }

  // _show_compute
  let nextFlowId = 0;
  for (const d of devStats) {
    const devicePid = devicePids.get(d.device)!;
    const isGputrace = d.device.includes('/stream:') || d.device.includes('/memcpy');
    for (const ns of d.nodeStats) {
      const tid = tidOf.get(ns)!;
      const start = micros(ns.allStartMicros);
      const end = start + micros(ns.allEndRelMicros);
      // _emit_op
      let nodeName = ns.nodeName;
      let op: string;
      let inputs: string[] = [];
      if (isGputrace) [nodeName, op] = parseKernelLabel(ns.timelineLabel, nodeName);
      else if (nodeName === 'RecvTensor') op = 'RecvTensor';
      else [, op, inputs] = parseOpLabel(ns.timelineLabel);
      const args: Record<string, string> = { name: nodeName, op };
      inputs.forEach((iname, i) => {
        args[`input${i}`] = iname;
      });
      events.push({ ...event('X', 'Op', op, devicePid, tid, start), dur: micros(ns.allEndRelMicros), args });
      if (isGputrace || ns.nodeName === 'RecvTensor') continue;
      for (let inputName of parseOpLabel(ns.timelineLabel)[2]) {
        if (!tensors.has(inputName)) {
          const index = inputName.lastIndexOf('/_');
          if (index > 0) inputName = inputName.slice(0, index);
        }
        const tensor = tensors.get(inputName);
        if (!tensor) continue;
        tensor.refTimes.push(start);
        tensor.unrefTimes.push(end - 1);
        if (showDataflow) {
          const [createTime, createPid, createTid] = flowStarts.get(inputName)!;
          if (createPid !== devicePid || createTid !== tid) {
            const flowId = nextFlowId++;
            events.push({ ...event('s', 'DataFlow', inputName, createPid, createTid, createTime), id: flowId });
            events.push({ ...event('t', 'DataFlow', inputName, devicePid, tid, start), id: flowId });
          }
        }
      }
    }
  }

  // _show_memory_counters
  if (showMemory) {
    const allocations = new Map<string, Array<[number, number, string]>>();
    for (const [name, tensor] of tensors) {
      const lastUnref = Math.max(...tensor.unrefTimes);
      events.push({ ...event('D', 'Tensor', name, tensor.pid, 0, lastUnref), id: tensor.objectId });
      const list = allocations.get(tensor.allocator) ?? [];
      list.push([tensor.createTime, tensor.numBytes, name], [lastUnref, -tensor.numBytes, name]);
      allocations.set(tensor.allocator, list);
    }
    for (const [allocator, list] of allocations) {
      // Python sorts the tuples, then sorts again (stably) by time.
      list.sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
      let total = 0;
      for (const [time, numBytes] of list) {
        total += numBytes;
        events.push({ ...event('C', 'Memory', allocator, allocatorsPid, 0, time), args: { [allocator]: total } });
      }
    }
  }
  return pythonJson({ traceEvents: [...metadata, ...events] });
}
