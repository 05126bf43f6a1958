/**
 * Device strings as Python's `DeviceSpec` reads and writes them, so the saver groups variables by
 * the same canonical device and puts its ops on the same devices as Python's saver does.
 *
 * `'/cpu:0'`, `'CPU:0'`, `'/device:CPU:0'` all parse to `{ deviceType: 'CPU', deviceIndex: 0 }`
 * and print as `'/device:CPU:0'`; `'/job:ps/task:0'` stays `'/job:ps/task:0'`; an index of `*`
 * (or none) prints as `*`.
 */
import { ValueError } from '../../core/errors';

export interface DeviceSpec {
  job?: string;
  replica?: number;
  task?: number;
  deviceType?: string;
  /** undefined = any ('*'). */
  deviceIndex?: number;
}

// Python accepts the short forms ('/cpu:0', 'gpu') only for the registered device types.
const SHORT_TYPES = new Set(['CPU', 'GPU', 'TPU']);

function intField(value: string, what: string, spec: string): number {
  if (!/^\d+$/.test(value)) throw new ValueError(`Invalid ${what} '${value}' in device spec '${spec}'.`);
  return Number(value);
}

/** Python's `DeviceSpec.from_string`. */
export function parseDevice(spec: string | null | undefined): DeviceSpec {
  const out: DeviceSpec = {};
  const s = spec ?? '';
  for (const part of s.split('/')) {
    if (part === '') continue;
    const y = part.split(':');
    if (y.length === 2 && y[0] === 'job') out.job = y[1];
    else if (y.length === 2 && y[0] === 'replica') out.replica = intField(y[1], 'replica', s);
    else if (y.length === 2 && y[0] === 'task') out.task = intField(y[1], 'task', s);
    else if ((y.length === 1 || y.length === 2) && SHORT_TYPES.has(y[0].toUpperCase())) {
      if (out.deviceType !== undefined) throw new ValueError(`Multiple device types are not allowed while parsing the device spec: ${s}.`);
      out.deviceType = y[0].toUpperCase();
      if (y.length === 2 && y[1] !== '*') out.deviceIndex = intField(y[1], 'device index', s);
    } else if (y.length === 3 && y[0] === 'device') {
      if (out.deviceType !== undefined) throw new ValueError(`Multiple device types are not allowed while parsing the device spec: ${s}.`);
      out.deviceType = y[1];
      if (y[2] !== '*') out.deviceIndex = intField(y[2], 'device index', s);
    } else {
      throw new ValueError(`Unknown attribute '${y[0]}' is encountered while parsing the device spec: '${s}'.`);
    }
  }
  return out;
}

/** Python's `DeviceSpec.to_string`. */
export function deviceToString(d: DeviceSpec): string {
  let out = '';
  if (d.job !== undefined) out += `/job:${d.job}`;
  if (d.replica !== undefined) out += `/replica:${d.replica}`;
  if (d.task !== undefined) out += `/task:${d.task}`;
  if (d.deviceType !== undefined) out += `/device:${d.deviceType}:${d.deviceIndex === undefined ? '*' : d.deviceIndex}`;
  return out;
}

/** Python's `pydev.canonical_name`: '' for no device. */
export function canonicalDevice(spec: string | null | undefined): string {
  return deviceToString(parseDevice(spec));
}

/** A device scope nested in another (`with tf.device(outer): with tf.device(inner):`): inner fields win. */
export function mergeDevices(outer: string, inner: string): string {
  const o = parseDevice(outer);
  const i = parseDevice(inner);
  return deviceToString({
    job: i.job ?? o.job,
    replica: i.replica ?? o.replica,
    task: i.task ?? o.task,
    deviceType: i.deviceType ?? o.deviceType,
    deviceIndex: i.deviceIndex ?? o.deviceIndex,
  });
}

/** Python's `saveable_object_util.set_cpu0`: the same job/replica/task, on its CPU:0. */
export function setCpu0(spec: string): string {
  return deviceToString({ ...parseDevice(spec), deviceType: 'CPU', deviceIndex: 0 });
}
