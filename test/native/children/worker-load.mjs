// Loads the addon inside worker threads (context-aware addon, per-environment state) and runs a
// graph in each, then exits the workers while the main thread keeps going.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
if (isMainThread) {
  const results = await Promise.all([1, 2, 3].map((k) => new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { k, root: process.argv[2], lib: process.argv[3] } });
    w.on('message', resolve);
    w.on('error', reject);
  })));
  process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
} else {
  const addon = require('node-gyp-build')(workerData.root);
  const lib = workerData.lib;
  const why = addon.load(`${lib}/libtensorflow_framework.so.2`, `${lib}/libtensorflow_cc.so.2`);
  if (why) throw new Error(why);
  const g = new addon.NativeGraph();
  g.addOperation({ type: 'Placeholder', name: 'x', attrs: [{ name: 'dtype', kind: 'type', value: addon.dtypes.TF_FLOAT }] });
  g.addOperation({ type: 'Square', name: 'y', inputs: ['x:0'] });
  const s = new addon.NativeSession(g, '', null);
  const plan = s.prepare(['x:0'], ['y:0'], []);
  const r = await s.run(plan, addon.dtypes.TF_FLOAT, [], new Float32Array([workerData.k])); // feeds are arguments
  // Leave the session open on purpose: the environment's cleanup hook must close it.
  parentPort.postMessage(r[1]); // r = [shape (left out: static), data]: a scalar output arrives as its value
}
