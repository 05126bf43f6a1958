/**
 * The variables of a graph, as the Saver sees them (Python's `tf.compat.v1.global_variables()` and
 * the saveable conversion in `saveable_object_util`): from the `variables` collection, else every
 * variable op (see {@link findVariables}). A ref variable is saved from its ref tensor and restored
 * with `Assign`; a resource variable from its read tensor, restored with `AssignVariableOp`.
 */
import { dtypeFromEnum, type DType } from './dtypes';
import { ArgumentError, InvalidArgumentError, NotFoundError, invalidArgument } from './errors';
import { Graph, Operation, Output } from './graph';

export const REF_VARIABLE_OPS: ReadonlySet<string> = new Set(['Variable', 'VariableV2', 'AutoReloadVariable']);
export const RESOURCE_VARIABLE_OPS: ReadonlySet<string> = new Set(['VarHandleOp']);

/** Python's `SaveSliceInfo` of one partition of a partitioned variable. */
export interface SaveSliceInfo {
  fullName: string;
  fullShape: number[];
  varOffset: number[];
  varShape: number[];
}

/**
 * A variable as the Saver sees it. A ref variable is saved from its ref tensor (`w:0`) and restored
 * with `Assign`; a resource variable is saved from its read tensor
 * (`<name>/Read/ReadVariableOp:0`, or the VariableDef's snapshot) and restored with
 * `AssignVariableOp` on its handle.
 */
export interface GraphVariable {
  /** The variable op's name ('dense/kernel'): the checkpoint key unless a var list says otherwise. */
  readonly name: string;
  /** The VariableV2 (ref) or VarHandleOp (resource) operation. */
  readonly op: Operation;
  readonly kind: 'ref' | 'resource';
  readonly dtype: DType;
  /** The declared shape: -1 for an unknown dimension, null for an unknown rank. */
  readonly shape: number[] | null;
  /** The device of the tensor that is saved (the read op's for resource variables), as in the graph. */
  readonly device: string;
  /**
   * The tensor a save reads: the ref output ('w:0') for ref variables, the ReadVariableOp output for
   * resource variables; null when a resource variable has no read op yet (the saver adds one).
   */
  readonly readTensor: string | null;
  /** From the VariableDef, when the variable came from the collection. */
  readonly trainable?: boolean;
  readonly saveSliceInfo?: SaveSliceInfo;
}

/** A VariableDef message or plain object with the same (camelCase) fields. */
export interface VariableDefLike {
  variableName: string;
  snapshotName?: string;
  trainable?: boolean;
  isResource?: boolean;
  saveSliceInfoDef?:
    | { fullName: string; fullShape: Array<bigint | number>; varOffset: Array<bigint | number>; varShape: Array<bigint | number> }
    | undefined;
}

/** What names a variable: an op name or tensor name, an Operation/Output, or a VariableDef. */
export type VariableRef = string | Operation | Output | VariableDefLike;

function isVariableDefLike(x: unknown): x is VariableDefLike {
  return typeof x === 'object' && x !== null && typeof (x as VariableDefLike).variableName === 'string';
}

function opNameOf(tensorOrOp: string): string {
  return tensorOrOp.replace(/^\^/, '').replace(/:\d+$/, '');
}

function shapeOf(op: Operation): number[] | null {
  const a = op.attr('shape');
  if (a.value.case !== 'shape') return null;
  const s = a.value.value;
  if (s.unknownRank) return null;
  return s.dim.map((d) => Number(d.size));
}

function dtypeOf(op: Operation): DType {
  const a = op.attr('dtype');
  if (a.value.case !== 'type') throw new InvalidArgumentError(`Variable '${op.name}' has no dtype attr.`);
  return dtypeFromEnum(a.value.value);
}

function num(x: bigint | number): number {
  return Number(x);
}

// The ReadVariableOp behind a snapshot tensor (Python walks Identity chains up to it).
function readOpOf(graph: Graph, tensor: string): Output | null {
  let out: Output;
  try {
    out = graph.tensor(tensor);
  } catch {
    return null;
  }
  for (let i = 0; i < 64 && out.op.type !== 'ReadVariableOp'; i++) {
    const ins = out.op.inputs;
    if (!ins.length) return null;
    out = ins[0];
  }
  return out.op.type === 'ReadVariableOp' ? out : null;
}

function conventionalRead(graph: Graph, handleOp: Operation): Output | null {
  const read = graph.tryOperation(`${handleOp.name}/Read/ReadVariableOp`);
  if (read && read.type === 'ReadVariableOp' && read.inputs[0]?.op.name === handleOp.name) return read.output(0);
  return null;
}

function describe(
  graph: Graph,
  op: Operation,
  extra: { readTensor?: Output | null; trainable?: boolean; saveSliceInfo?: SaveSliceInfo } = {},
): GraphVariable {
  if (REF_VARIABLE_OPS.has(op.type)) {
    return {
      name: op.name,
      op,
      kind: 'ref',
      dtype: dtypeOf(op),
      shape: shapeOf(op),
      device: op.device,
      readTensor: `${op.name}:0`,
      trainable: extra.trainable,
      saveSliceInfo: extra.saveSliceInfo,
    };
  }
  if (RESOURCE_VARIABLE_OPS.has(op.type)) {
    const read = extra.readTensor ?? conventionalRead(graph, op);
    return {
      name: op.name,
      op,
      kind: 'resource',
      dtype: dtypeOf(op),
      shape: shapeOf(op),
      device: read ? read.op.device : op.device,
      readTensor: read ? read.name : null,
      trainable: extra.trainable,
      saveSliceInfo: extra.saveSliceInfo,
    };
  }
  throw new InvalidArgumentError(
    `Operation '${op.name}' of type ${op.type} is not a variable (expected one of ${[...REF_VARIABLE_OPS, ...RESOURCE_VARIABLE_OPS].join(', ')}).`,
  );
}

/**
 * The variable named by `ref`: a variable op name ('w'), its tensor ('w:0'), a read tensor
 * ('w/Read/ReadVariableOp:0'), an Operation/Output of those, or a VariableDef.
 */
export function resolveVariable(graph: Graph, ref: VariableRef, param = 'variable'): GraphVariable {
  // A variable object that serializes itself (Python's `to_proto`, e.g. a collection member).
  const toProto = (ref as { toProto?: unknown } | null)?.toProto;
  if (!isVariableDefLike(ref) && typeof toProto === 'function' && !(ref instanceof Operation) && !(ref instanceof Output)) {
    const def = (toProto as () => unknown).call(ref);
    if (isVariableDefLike(def)) return resolveVariable(graph, def, param);
  }
  if (isVariableDefLike(ref)) {
    const op = lookupOp(graph, opNameOf(ref.variableName), param);
    const read = op.type === 'VarHandleOp' && ref.snapshotName ? readOpOf(graph, ref.snapshotName) : null;
    const info = ref.saveSliceInfoDef;
    return describe(graph, op, {
      readTensor: read,
      trainable: ref.trainable,
      saveSliceInfo: info?.fullName
        ? {
            fullName: info.fullName,
            fullShape: info.fullShape.map(num),
            varOffset: info.varOffset.map(num),
            varShape: info.varShape.map(num),
          }
        : undefined,
    });
  }
  let out: Output | null = null;
  let op: Operation;
  if (ref instanceof Output) {
    graph.tensorName(ref, param);
    out = ref;
    op = ref.op;
  } else if (ref instanceof Operation) {
    graph.opName(ref, param);
    op = ref;
  } else if (typeof ref === 'string') {
    op = lookupOp(graph, opNameOf(ref), param);
    if (/:\d+$/.test(ref)) out = graph.tensor(ref);
  } else {
    throw invalidArgument(param, 'a variable name, an Operation, an Output or a VariableDef', ref);
  }
  if (op.type === 'ReadVariableOp') {
    const handle = op.inputs[0].op;
    if (!RESOURCE_VARIABLE_OPS.has(handle.type)) {
      throw new InvalidArgumentError(`Variable to save is not a Variable: ${op.name} reads ${handle.name} (${handle.type}).`);
    }
    return describe(graph, handle, { readTensor: out ?? op.output(0) });
  }
  if (!REF_VARIABLE_OPS.has(op.type) && !RESOURCE_VARIABLE_OPS.has(op.type)) {
    throw new ArgumentError(
      param,
      `Variable to save is not a Variable: '${typeof ref === 'string' ? ref : op.name}' is an operation of type ${op.type}.`,
    );
  }
  return describe(graph, op);
}

function lookupOp(graph: Graph, name: string, param: string): Operation {
  const op = graph.tryOperation(name);
  if (!op) throw new NotFoundError(`${param}: the graph has no operation '${name}'.`);
  return op;
}

/**
 * The graph's global variables, in order of preference:
 *   1. the graph's `variables` collection, when it is not empty: VariableDef messages (what
 *      `Graph.load` puts there, from a MetaGraphDef or recognised in a GraphDef), objects with
 *      `toProto()` giving one, or names / Operations / Outputs of variable ops;
 *   2. otherwise every variable op in graph order: `VariableV2` / `Variable` / `AutoReloadVariable`
 *      (ref variables) and `VarHandleOp` (resource variables). Without collections, local variables
 *      cannot be told apart from global ones: all are found.
 */
export function findVariables(graph: Graph, collection = 'variables'): GraphVariable[] {
  if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
  const listed = graph.getCollection(collection);
  if (listed.length) return listed.map((v, i) => resolveVariable(graph, v as VariableRef, `graph collection '${collection}'[${i}]`));
  return graph
    .operations()
    .filter((op) => REF_VARIABLE_OPS.has(op.type) || RESOURCE_VARIABLE_OPS.has(op.type))
    .map((op) => describe(graph, op));
}
