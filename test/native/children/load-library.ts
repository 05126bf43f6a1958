// Tries to load libtensorflow in a fresh process as configured by the environment; prints the
// outcome as JSON (the process must survive whatever it is given).
import { loadLibtensorflow, type LibraryLoadError } from '../../../lib/native';

try {
  const p = loadLibtensorflow(process.argv[2] ? { path: process.argv[2] } : {});
  process.stdout.write(`${JSON.stringify({ ok: true, path: p })}\n`);
} catch (e) {
  const err = e as LibraryLoadError;
  process.stdout.write(`${JSON.stringify({ ok: false, name: err.name, message: err.message, candidates: err.candidates })}\n`);
}
