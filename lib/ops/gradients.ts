/**
 * Symbolic gradients (Python's `tf.gradients`) through TF's C++ gradient registry
 * (`TF_AddGradientsWithPrefix`). The gradient ops go under a name scope made unique as Python's
 * ('gradients', 'gradients_1', ...). An x the ys do not depend on gets null, as Python's None; an op
 * on the path with no C++ gradient is a GradientNotFoundError naming its type and its name(s).
 */
import { NotFoundError, ValueError, invalidArgument } from '../core/errors';
import { type Graph, Operation, Output } from '../core/graph';
import { asOutput, isTensorLike, type HasValue } from './constant';
import { graphFor, uniqueName } from './scope';

/** An op between the xs and the ys has no gradient in TF's C++ registry (Python's LookupError). */
export class GradientNotFoundError extends ValueError {
  /** The op type without a C++ gradient, e.g. 'Cumprod'. */
  readonly opType: string;
  /** The operations of that type on the path from the xs to the ys. */
  readonly opNames: string[];
  constructor(opType: string, opNames: string[], cause?: unknown) {
    const which = opNames.length ? `operation${opNames.length > 1 ? 's' : ''} ${opNames.map((n) => `'${n}'`).join(', ')}` : 'an operation';
    super(
      `No gradient defined for ${which} (op type: ${opType}) in TF's C++ gradient registry, which tf-monitored's gradients() uses. ` +
        `Rewrite that part of the model with ops that have one, or stop gradients before it.`,
    );
    this.name = 'GradientNotFoundError';
    this.opType = opType;
    this.opNames = opNames;
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

export interface GradientsOptions {
  /** Initial gradients, one per y (Python's `grad_ys`); ones when omitted. */
  gradYs?: Output[];
  /** The name scope of the gradient ops; 'gradients' by default, made unique. */
  name?: string;
}

/**
 * d(sum of ys)/dx for each x, as Python's `tf.gradients(ys, xs, grad_ys)`: an Output per x, null for
 * an x that no y depends on. A Variable among the xs stands for its value (`w/read:0`), as in Python.
 * @example const [dw, db] = gradients(loss, [w.value(), b.value()]);
 */
export function gradients(ys: Output | Output[], xsIn: Array<Output | HasValue>, opts: GradientsOptions = {}): Array<Output | null> {
  const yList = Array.isArray(ys) ? ys : [ys];
  if (!yList.length) throw invalidArgument('ys', 'an Output or a non-empty array of Outputs', ys);
  yList.forEach((y, i) => checkOutput(y, Array.isArray(ys) ? `ys[${i}]` : 'ys'));
  if (!Array.isArray(xsIn)) throw invalidArgument('xs', 'an array of Outputs or Variables', xsIn);
  // A Variable stands for its value ('w/read:0'), as Python's tf.gradients converts it.
  const xs = xsIn.map((x) => (!(x instanceof Output) && isTensorLike(x) && !(x instanceof Operation) ? asOutput(x) : x)) as Output[];
  xs.forEach((x, i) => checkOutput(x, `xs[${i}]`));
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
  const gradYs = opts.gradYs;
  if (gradYs !== undefined) {
    if (!Array.isArray(gradYs) || gradYs.length !== yList.length) {
      throw invalidArgument('opts.gradYs', `an array of ${yList.length} Output(s), one per y`, gradYs);
    }
    gradYs.forEach((g, i) => checkOutput(g, `opts.gradYs[${i}]`));
  }
  const name = opts.name ?? 'gradients';
  if (typeof name !== 'string' || !/^[A-Za-z0-9.][A-Za-z0-9_.\-/]*$/.test(name))
    throw invalidArgument('opts.name', 'a valid scope name', name);
  const graph = graphFor([...yList, ...xs, ...(gradYs ?? [])], 'tensors');

  // TF refuses an x the ys do not reach; Python answers None for it.
  const ancestors = dataAncestors(
    graph,
    yList.map((y) => y.op.name),
  );
  const reachable = xs.map((x) => ancestors.has(x.op.name));
  const wanted = xs.filter((_, i) => reachable[i]);
  if (!wanted.length) return xs.map(() => null);

  const prefix = uniqueName(graph, name);
  let raw: Array<string | null>;
  try {
    raw = graph.native.addGradients(
      prefix,
      yList.map((y) => y.name),
      wanted.map((x) => x.name),
      gradYs ? gradYs.map((g) => g.name) : null,
    );
  } catch (e) {
    const m = e instanceof NotFoundError ? /No gradient defined for op: ([A-Za-z0-9_>]+)/.exec(e.message) : null;
    if (m) throw new GradientNotFoundError(m[1], opsOfTypeOnPath(graph, m[1], ancestors, wanted), e);
    throw e;
  }
  let k = 0;
  return reachable.map((r) => {
    if (!r) return null;
    const t = raw[k++];
    return t === null ? null : graph.tensor(t);
  });
}

function checkOutput(x: unknown, param: string): asserts x is Output {
  if (!(x instanceof Output)) throw invalidArgument(param, 'an Output', x);
}

/** The ops the given ops read through data edges (themselves included); control edges carry no gradient. */
function dataAncestors(graph: Graph, roots: string[]): Set<string> {
  const seen = new Set<string>(roots);
  const stack = [...roots];
  while (stack.length) {
    const info = graph.native.operationInfo(stack.pop()!);
    for (const input of info?.inputs ?? []) {
      const op = input.slice(0, input.lastIndexOf(':'));
      if (!seen.has(op)) {
        seen.add(op);
        stack.push(op);
      }
    }
  }
  return seen;
}

/** The ops of `type` that read one of the xs (directly or not) and that the ys read. */
function opsOfTypeOnPath(graph: Graph, type: string, ancestors: Set<string>, xs: Output[]): string[] {
  const xOps = new Set(xs.map((x) => x.op.name));
  const depends = new Map<string, boolean>();
  // Iterative post-order, so a deep graph cannot overflow the JS stack.
  const dependsOnX = (root: string): boolean => {
    const stack: Array<[string, boolean]> = [[root, false]];
    const visiting = new Set<string>();
    while (stack.length) {
      const [op, expanded] = stack.pop()!;
      if (depends.has(op) || (!expanded && visiting.has(op))) continue; // a loop's back edge adds nothing
      visiting.add(op);
      const inputs = (graph.native.operationInfo(op)?.inputs ?? []).map((i) => i.slice(0, i.lastIndexOf(':')));
      if (xOps.has(op)) depends.set(op, true);
      else if (expanded)
        depends.set(
          op,
          inputs.some((i) => depends.get(i) === true),
        );
      else {
        stack.push([op, true]);
        for (const i of inputs) if (!depends.has(i)) stack.push([i, false]);
      }
    }
    return depends.get(root)!;
  };
  const names: string[] = [];
  for (const op of ancestors) {
    if (graph.native.operationInfo(op)?.type === type && dependsOnX(op)) names.push(op);
  }
  if (!names.length) {
    for (const op of ancestors) if (graph.native.operationInfo(op)?.type === type) names.push(op);
  }
  return names.sort();
}
