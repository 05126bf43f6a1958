/**
 * The CUDA runtime libraries a GPU build of TF opens by soname, and where the loader finds them
 * without LD_LIBRARY_PATH: the CUDA runtime wheels' folders `<TF library folder>/../nvidia/<package>/lib/`
 * (what `tf-monitored-setup --gpu --and-cuda` makes in the cache, and what pip makes next to an installed
 * `tensorflow`). The ones found are opened by absolute path before TF, so TF's own dlopen by soname
 * gets the copy already loaded (docs/gpu.md). Pure file-system logic here; lib/native.ts opens them.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CudaLibrary {
  /** File name without its version: `libcudart.so` matches `libcudart.so.12`. */
  name: string;
  /** The folder under nvidia/ (the wheel's package). */
  package: string;
  /** TF cannot use the GPU without it (the others serve collectives, profiling, runtime compilation). */
  required: boolean;
}

/** In the order they are opened: a library's dependencies before it (cuBLAS needs cuBLASLt, cuSOLVER and cuSPARSE need nvJitLink). */
export const CUDA_LIBRARIES: readonly CudaLibrary[] = [
  { name: 'libcudart.so', package: 'cuda_runtime', required: true },
  { name: 'libnvJitLink.so', package: 'nvjitlink', required: true },
  { name: 'libcublasLt.so', package: 'cublas', required: true },
  { name: 'libcublas.so', package: 'cublas', required: true },
  { name: 'libcufft.so', package: 'cufft', required: true },
  { name: 'libcusparse.so', package: 'cusparse', required: true },
  { name: 'libcusolver.so', package: 'cusolver', required: true },
  { name: 'libcudnn.so', package: 'cudnn', required: true },
  { name: 'libcurand.so', package: 'curand', required: false },
  { name: 'libnvrtc.so', package: 'cuda_nvrtc', required: false },
  { name: 'libcupti.so', package: 'cuda_cupti', required: false },
  { name: 'libnccl.so', package: 'nccl', required: false },
];

/** What the loader found for one TF candidate, and what opening the found libraries gave. */
export interface CudaLibraryReport {
  /** The folder of the TF library the report is for. */
  tfDir: string;
  /** true/false when the wheel says (build_info.py, or the cache's manifest); null when unknown. */
  cudaBuild: boolean | null;
  /** The nvidia/ folders looked in, in order. */
  searched: string[];
  /** Found and opened (no error), or found and not opened (refused by dlopen, or in a world-writable folder). */
  found: Array<{ name: string; path: string; error?: string }>;
  /** Required libraries not found in any searched folder (TF then searches ld.so's path itself). */
  missing: string[];
  /** Why nothing was opened, when nothing was. */
  skipped?: string;
}

/**
 * What a wheel says about the build in `tfDir`: an installed `tensorflow/` package has
 * python/platform/build_info.py; the setup's cache has its wheel's build info in manifest.json.
 */
export function wheelBuildInfo(tfDir: string): Record<string, string | boolean> | null {
  const py = path.join(tfDir, 'python', 'platform', 'build_info.py');
  try {
    const text = fs.readFileSync(py, 'utf8');
    const info: Record<string, string | boolean> = {};
    for (const key of ['is_cuda_build', 'is_rocm_build', 'cuda_version', 'cudnn_version']) {
      const m = text.match(new RegExp(`['"]${key}['"]\\s*[,:]\\s*(True|False|'[^']*'|"[^"]*")`));
      if (m) info[key] = m[1] === 'True' ? true : m[1] === 'False' ? false : m[1].slice(1, -1);
    }
    return info;
  } catch {
    /* not an installed package */
  }
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(tfDir, '..', 'manifest.json'), 'utf8'));
    return manifest.buildInfo && typeof manifest.buildInfo === 'object' ? manifest.buildInfo : null;
  } catch {
    return null;
  }
}

/** The nvidia/ folders for the TF library in `tfDir`, in search order. */
export function cudaSearchRoots(tfDir: string): string[] {
  return [path.join(path.dirname(tfDir), 'nvidia')];
}

// `libcudart.so.12` over `libcudart.so.12.5.82` (the soname is what TF asks for) over the bare
// development name `libcudart.so`.
function pick(files: string[], name: string): string | undefined {
  const versioned = files.filter((f) => f.startsWith(`${name}.`) && /^\.\d+(\.\d+)*$/.test(f.slice(name.length)));
  versioned.sort((a, b) => a.split('.').length - b.split('.').length || a.localeCompare(b));
  return versioned[0] ?? files.find((f) => f === name);
}

/** Finds the CUDA libraries for the TF library in `tfDir` (nothing is opened). */
export function findCudaLibraries(tfDir: string): CudaLibraryReport {
  const info = wheelBuildInfo(tfDir);
  const cudaBuild = info && typeof info.is_cuda_build === 'boolean' ? info.is_cuda_build : null;
  const searched = cudaSearchRoots(tfDir);
  const report: CudaLibraryReport = { tfDir, cudaBuild, searched, found: [], missing: [] };
  if (cudaBuild === false) {
    report.skipped = 'not a CUDA build (its wheel says so)';
    return report;
  }
  for (const lib of CUDA_LIBRARIES) {
    let hit: string | undefined;
    for (const root of searched) {
      const dir = path.join(root, lib.package, 'lib');
      let files: string[] = [];
      try {
        files = fs.readdirSync(dir);
      } catch {
        continue;
      }
      const f = pick(files, lib.name);
      if (f) {
        hit = path.join(dir, f);
        break;
      }
    }
    if (hit) report.found.push({ name: path.basename(hit), path: hit });
    else if (lib.required) report.missing.push(lib.name);
  }
  if (report.found.length === 0) {
    // A CPU build of unknown origin with no wheels next to it: nothing to say about CUDA.
    report.skipped = `no CUDA runtime wheels in ${searched.join(', ')}`;
    if (cudaBuild === null) report.missing = [];
  }
  return report;
}

/** One line per fact, for error messages and `tf-monitored info`. */
export function describeCudaReport(r: CudaLibraryReport): string[] {
  const lines = [`CUDA libraries for ${r.tfDir} (searched ${r.searched.join(', ')}):`];
  if (r.skipped) lines.push(`  none opened: ${r.skipped}`);
  for (const f of r.found) lines.push(f.error ? `  not usable ${f.path}: ${f.error}` : `  opened ${f.path}`);
  if (r.missing.length) lines.push(`  missing: ${r.missing.join(', ')} (TF will look in ld.so's search path; without them it uses no GPU)`);
  return lines;
}
