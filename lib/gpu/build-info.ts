/**
 * Whether the loaded libtensorflow can run kernels on a GPU, told two ways (docs/gpu.md): its
 * kernel registry (a MatMul kernel for device type GPU is registered only by CUDA and ROCm builds;
 * a CPU build still registers a few hundred host-memory GPU kernels such as Identity, so "any GPU
 * kernel" would not do), and what its wheel says (build_info.py or the setup's manifest).
 */
import path from 'node:path';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { invalidArgument } from '../core/errors';
import { libraryPath, native } from '../native';
import { wheelBuildInfo } from './cuda-libraries';

export interface GpuBuildInfo {
  /** The library registers GPU kernels for compute ops (MatMul): a CUDA or ROCm build. */
  gpuKernels: boolean;
  /** true: the wheel says CUDA; false: it says not CUDA; null: no wheel next to the library (then gpuKernels decides). */
  wheelSaysCuda: boolean | null;
  /** The CUDA build of the wheel, when known: built with CUDA, and the CUDA/cuDNN versions it was built for. */
  cuda: boolean;
  cudaVersion?: string;
  cudnnVersion?: string;
}

/** The device types with a kernel registered for `op` (from TF_GetRegisteredKernelsForOp's KernelList). */
export function kernelDeviceTypes(op: string): string[] {
  if (typeof op !== 'string' || op === '') throw invalidArgument('op', "an op type name such as 'MatMul'", op);
  const bytes = native().registeredKernelsForOp(op);
  const types = new Set<string>();
  // KernelList { repeated KernelDef kernel = 1 }; KernelDef { string op = 1; string device_type = 2; ... }
  const list = new BinaryReader(bytes);
  while (list.pos < list.len) {
    const [field, wire] = list.tag();
    if (field !== 1 || wire !== WireType.LengthDelimited) {
      list.skip(wire);
      continue;
    }
    const def = new BinaryReader(list.bytes());
    while (def.pos < def.len) {
      const [f, w] = def.tag();
      if (f === 2 && w === WireType.LengthDelimited) types.add(def.string());
      else def.skip(w);
    }
  }
  return [...types].sort();
}

/** What the loaded libtensorflow is (loads it when needed). */
export function gpuBuildInfo(): GpuBuildInfo {
  const gpuKernels = kernelDeviceTypes('MatMul').includes('GPU');
  const lib = libraryPath();
  const wheel = lib?.includes('/') ? wheelBuildInfo(path.dirname(lib)) : null;
  const wheelSaysCuda = wheel && typeof wheel.is_cuda_build === 'boolean' ? wheel.is_cuda_build : null;
  const info: GpuBuildInfo = { gpuKernels, wheelSaysCuda, cuda: wheelSaysCuda ?? (gpuKernels && wheel?.is_rocm_build !== true) };
  if (typeof wheel?.cuda_version === 'string') info.cudaVersion = wheel.cuda_version;
  if (typeof wheel?.cudnn_version === 'string') info.cudnnVersion = wheel.cudnn_version;
  return info;
}
