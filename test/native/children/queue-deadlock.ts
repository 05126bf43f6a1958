// More blocking runs than libuv has threads (run with UV_THREADPOOL_SIZE=2): 6 dequeues wait on an
// empty queue, then one enqueue fills it. With runs on the libuv pool this deadlocks.
import { Graph } from '../../../lib/core/graph';
import { Session } from '../../../lib/core/session';

const g = new Graph();
const q = g.addOp({ type: 'FIFOQueueV2', name: 'q', attrs: { component_types: ['float32'], shapes: [[]], capacity: 100 } });
g.addOp({ type: 'QueueDequeueV2', name: 'deq', inputs: [q], attrs: { component_types: ['float32'] } });
const vals = g.addOp({ type: 'Placeholder', name: 'vals', attrs: { dtype: 'float32', shape: [-1] } });
g.addOp({ type: 'QueueEnqueueManyV2', name: 'enq', inputs: [q, [vals]], attrs: { Tcomponents: ['float32'] } });
const s = new Session(g);
const N = 6;
const timer = setTimeout(() => {
  process.stdout.write('DEADLOCK\n');
  process.exit(2);
}, 30_000);
(async () => {
  const waits = Array.from({ length: N }, () => s.run('deq:0'));
  await new Promise((r) => setTimeout(r, 300));
  // Every dequeue is still blocked, and the event loop is free.
  process.stdout.write(`INFLIGHT ${s.inFlight}\n`);
  await s.run('enq', { 'vals:0': Array.from({ length: N }, (_, i) => i + 1) });
  const got = (await Promise.all(waits)).map((t) => t!.scalar() as number).sort();
  process.stdout.write(`GOT ${got.join(',')}\n`);
  // One more dequeue blocks forever; close() must cancel it rather than hang.
  const stuck = s.run('deq:0').then(
    () => 'resolved',
    (e: Error) => e.name,
  );
  await new Promise((r) => setTimeout(r, 100));
  await s.close();
  process.stdout.write(`STUCK ${await stuck}\n`);
  clearTimeout(timer);
})();
