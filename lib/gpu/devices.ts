/**
 * The devices a session sees (TF_SessionListDevices), without a graph of one's own: `tf-monitored
 * info` and the GPU tests ask this. GPU devices appear only with a CUDA build, a visible GPU and its
 * CUDA libraries found; `config.gpuOptions.visibleDeviceList` and CUDA_VISIBLE_DEVICES narrow them.
 */
import { Graph } from '../core/graph';
import { Session } from '../core/session';
import type { ConfigProtoInit } from '../core/config';

export interface DeviceInfo {
  /** e.g. /job:localhost/replica:0/task:0/device:GPU:0 */
  name: string;
  /** CPU, GPU, ... */
  type: string;
  /** The memory TF may use on it (for a GPU: what its allocator was given). */
  memoryBytes: number;
}

/** The devices a new in-process session with `config` sees. */
export async function listDevices(config?: ConfigProtoInit | Uint8Array): Promise<DeviceInfo[]> {
  const session = new Session(new Graph(), config ? { config } : {});
  try {
    return session.listDevices();
  } finally {
    await session.close();
  }
}
