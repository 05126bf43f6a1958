/**
 * `tf-monitored info`: which libtensorflow is loaded, whether it is a CUDA build, which CUDA
 * libraries the loader opened for it, and the devices a session sees (docs/gpu.md).
 * `--json` prints the same as one object (scripts/gpu-check.sh reads it).
 */
import { cudaLibraryReport, libraryPath, loadLibtensorflow, tfVersion } from '../native';
import { gpuBuildInfo } from '../gpu/build-info';
import { describeCudaReport } from '../gpu/cuda-libraries';
import { listDevices } from '../gpu/devices';

export async function runInfo(opts: { json?: boolean }): Promise<number> {
  loadLibtensorflow();
  const build = gpuBuildInfo();
  const cuda = cudaLibraryReport();
  const devices = await listDevices();
  if (opts.json) {
    console.log(JSON.stringify({ version: tfVersion(), path: libraryPath(), build, cudaLibraries: cuda, devices }));
    return 0;
  }
  const versions = [build.cudaVersion && `CUDA ${build.cudaVersion}`, build.cudnnVersion && `cuDNN ${build.cudnnVersion}`]
    .filter(Boolean)
    .join(', ');
  const how = build.wheelSaysCuda === null ? 'by its kernels' : 'by its wheel';
  console.log(`libtensorflow ${tfVersion()} from ${libraryPath()}`);
  console.log(
    `built with CUDA: ${build.cuda ? 'yes' : 'no'} (${how}${versions ? `; ${versions}` : ''}); GPU kernels: ${build.gpuKernels ? 'yes' : 'no'}`,
  );
  for (const line of cuda
    ? describeCudaReport(cuda)
    : ['CUDA libraries: none opened (a CPU build, or no CUDA runtime wheels next to the library)'])
    console.log(line);
  console.log('devices:');
  for (const d of devices) console.log(`  ${d.name}  ${d.type}  ${(d.memoryBytes / 2 ** 20).toFixed(0)} MiB`);
  return 0;
}
