/**
 * A check of a GraphDef's function library before TF imports it. TF's import runs shape inference
 * through function calls, and a function that calls itself (directly, through other functions, or
 * through a `func` attr such as PartitionedCall's `f` or While's `body`) recurses until the process
 * overflows its stack (SIGSEGV, found by a bad-input probe). TF's graph mode has no recursive
 * functions, so such a library is refused with an error naming the cycle.
 */
import type { AttrValue } from '../proto/gen/tensorflow/core/framework/attr_value_pb';
import type { FunctionDef } from '../proto/gen/tensorflow/core/framework/function_pb';
import type { GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import { InvalidArgumentError } from './errors';

/** The library functions an attr value names (`func`, or a list of them). */
function funcNames(v: AttrValue | undefined, out: string[]): void {
  const value = v?.value;
  if (value?.case === 'func' && value.value.name) out.push(value.value.name);
  else if (value?.case === 'list') for (const f of value.value.func) if (f.name) out.push(f.name);
}

/** The library functions `f` calls: node ops that are library functions, and `func` attrs. */
function callees(f: FunctionDef, library: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const node of f.nodeDef) {
    if (library.has(node.op)) out.push(node.op);
    for (const attr of Object.values(node.attr)) funcNames(attr, out);
  }
  return out.filter((name) => library.has(name));
}

/** Throws InvalidArgumentError when a library function reaches itself through calls. */
export function checkFunctionLibrary(graphDef: GraphDef, opts: { file?: string } = {}): void {
  const functions = graphDef.library?.function ?? [];
  if (functions.length === 0) return;
  const library = new Set(functions.map((f) => f.signature?.name ?? ''));
  const calls = new Map(functions.map((f) => [f.signature?.name ?? '', callees(f, library)]));
  // Depth-first search with colours; the path gives the cycle in the message.
  const state = new Map<string, 'active' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'active') {
      const cycle = [...path.slice(path.indexOf(name)), name].map((n) => `'${n}'`).join(' → ');
      throw new InvalidArgumentError(
        `${opts.file ? `${opts.file}: ` : ''}the GraphDef's function library is recursive (${cycle}): ` +
          'TensorFlow graphs cannot call a function from itself.',
      );
    }
    state.set(name, 'active');
    path.push(name);
    for (const callee of calls.get(name) ?? []) visit(callee);
    path.pop();
    state.set(name, 'done');
  };
  for (const name of library) visit(name);
}
