/** GPU builds of libtensorflow: what the loaded one is, its CUDA libraries, the devices it sees (docs/gpu.md). */
export { gpuBuildInfo, kernelDeviceTypes, type GpuBuildInfo } from './build-info';
export { listDevices, type DeviceInfo } from './devices';
export { CUDA_LIBRARIES, findCudaLibraries, describeCudaReport, type CudaLibrary, type CudaLibraryReport } from './cuda-libraries';
export { cudaLibraryReport } from '../native';
