/**
 * What the optimizers need of variables: finding a model variable's ref tensor and snapshot from
 * whatever names it (a Variable object, the ref Output, a VariableDef of a collection), and making
 * the optimizers' own ref variables (slots such as `w/Adam`, non-slot ones such as `beta1_power`)
 * with the ops and VariableDefs Python's `slot_creator` and `VariableV1` make, so checkpoints hold
 * the keys Python looks for.
 */
import { GraphKeys } from '../core/collections';
import type { DType } from '../core/dtypes';
import { ValueError, invalidArgument } from '../core/errors';
import { type Graph, Operation, Output } from '../core/graph';
import { addScopedOp, controlDependencies, device, nameScope } from '../ops/scope';
import { constant } from '../ops/constant';
import { filledTensor } from '../ops/fill';
import { refVariableOps, type Variable } from '../ops/variables';

/**
 * Anything that names a ref variable: its ref Output ('w:0') or VariableV2 Operation, a VariableDef
 * (what the `variables` / `trainable_variables` collections hold), or a variable object with a
 * `ref` Output (or `ref()`), or with `toProto()` giving a VariableDef.
 */
export type VariableLike =
  | Output
  | Operation
  | { variableName: string }
  | { ref: Output | (() => Output) }
  | { toProto(): { variableName: string } };

/** A resolved ref variable. */
export interface ResolvedVariable {
  /** The VariableV2 op's name: the checkpoint key and the prefix of its slots ('w' → 'w/Adam'). */
  readonly name: string;
  /** The ref tensor ('w:0'): what the Apply* ops update. */
  readonly ref: Output;
  /** The snapshot ('w/read:0') when the variable has one, else the ref tensor. */
  readonly read: Output;
  readonly dtype: DType;
  /** The declared shape (-1: unknown dimension), null for an unknown rank. */
  readonly shape: number[] | null;
  readonly device: string;
}

/** A variable an optimizer made: its resolved parts and the `Variable` the collections hold. */
export interface OptimizerVariable extends ResolvedVariable {
  readonly variable: Variable;
}

const REF_VARIABLE_OPS = new Set(['VariableV2', 'Variable']);

/** The ref Output a {@link VariableLike} names, in `graph` (or the graph of the Output given). */
export function resolveVariable(v: unknown, param: string, graph?: Graph): ResolvedVariable {
  let ref: Output | undefined;
  if (v instanceof Output) ref = v;
  else if (v instanceof Operation) ref = v.output(0);
  else if (v !== null && typeof v === 'object') {
    const o = v as { ref?: unknown; variableName?: unknown; toProto?: unknown };
    const r = typeof o.ref === 'function' ? (o.ref as () => unknown).call(v) : o.ref;
    if (r instanceof Output) ref = r;
    else {
      const def =
        typeof o.variableName === 'string'
          ? o
          : typeof o.toProto === 'function'
            ? (o.toProto as () => { variableName?: unknown }).call(v)
            : undefined;
      if (def && typeof def.variableName === 'string') {
        if (!graph) throw invalidArgument(param, 'a variable of a graph (a VariableDef needs the graph)', v);
        ref = graph.tensor(def.variableName);
      }
    }
  }
  if (!ref) throw invalidArgument(param, 'a variable (its ref Output, a Variable object or a VariableDef)', v);
  const op = ref.op;
  if (!REF_VARIABLE_OPS.has(op.type)) {
    throw new ValueError(
      `${param}: '${ref.name}' is a ${op.type} output, not a ref variable (VariableV2): the optimizers update ref variables, as TF1's graph-mode optimizers do.`,
    );
  }
  const g = op.graph;
  const snapshot = g.tryOperation(`${op.name}/read`);
  const read = snapshot && snapshot.type === 'Identity' ? snapshot.output(0) : ref;
  return { name: op.name, ref, read, dtype: read.dtype, shape: shapeOf(op), device: op.device };
}

function shapeOf(op: Operation): number[] | null {
  const a = op.attr('shape');
  if (a.value.case !== 'shape') return null;
  const s = a.value.value;
  return s.unknownRank ? null : s.dim.map((d) => Number(d.size));
}

/**
 * Creates a non-trainable ref variable as Python's `VariableV1` / `get_variable` do: ops `<name>`
 * (VariableV2), `<name>/Assign`, `<name>/read`, the initial value made by `init` inside the scope,
 * and a VariableDef in the `variables` collection. `scope` is the variable's scope with its '/'.
 */
function makeVariable(graph: Graph, scope: string, dtype: DType, shape: number[], init: () => Output): OptimizerVariable {
  const variable = refVariableOps(scope, dtype, shape, init(), false, graph);
  graph.addToCollection(GraphKeys.GLOBAL_VARIABLES, variable);
  return { name: variable.op.name, ref: variable.ref, read: variable.value(), dtype, shape, device: variable.op.device, variable };
}

/**
 * Python's `slot_creator.create_zeros_slot` / `create_slot_with_initializer`: a variable named
 * `<primary>/<opName>` (made unique: `w/Adam`, then `w/Adam_1`), at the top of the name scopes
 * (slot names depend only on the primary's), placed with the primary, outside any control scope,
 * initialised with zeros or ones (`<slot>/Initializer/zeros`). A global, non-trainable Variable.
 */
export function createSlot(primary: ResolvedVariable, opName: string, fill: 0 | 1): OptimizerVariable {
  const graph = primary.ref.graph;
  if (!primary.shape || primary.shape.some((d) => d < 0)) {
    throw new ValueError(
      `Variable '${primary.name}' has no fully defined shape (${JSON.stringify(primary.shape)}): the optimizers' slots need one.`,
    );
  }
  const shape = primary.shape;
  return controlDependencies(
    null,
    () =>
      device(
        primary.device,
        () =>
          nameScope('', () =>
            nameScope(`${primary.name}/${opName}`, (scope) =>
              makeVariable(graph, scope, primary.dtype, shape, () =>
                nameScope('Initializer', () => filledTensor(fill ? 'ones' : 'zeros', shape, primary.dtype)),
              ),
            ),
          ),
        graph,
      ),
    graph,
  );
}

/**
 * Python's `Optimizer._create_non_slot_variable`: a scalar variable such as `beta1_power`, in the
 * current name scope, placed with `colocateWith`, initialised from a Const `<name>/initial_value`.
 */
export function createNonSlot(colocateWith: ResolvedVariable, name: string, value: number, dtype: DType): OptimizerVariable {
  const graph = colocateWith.ref.graph;
  return controlDependencies(
    null,
    () =>
      device(
        colocateWith.device,
        () =>
          nameScope(name, (scope) => makeVariable(graph, scope, dtype, [], () => constant(value, { dtype, name: 'initial_value' })), graph),
        graph,
      ),
    graph,
  );
}

/**
 * Python's `control_flow_ops.group(*ops, name=name)`: a NoOp named after the scope `name` that
 * runs after `ops`; ops on several devices get one NoOp per device first (sorted by device).
 */
export function group(ops: Operation[], name: string): Operation {
  return nameScope(name, (scope) => {
    const byDevice = new Map<string, Operation[]>();
    for (const op of ops) {
      const list = byDevice.get(op.device) ?? [];
      list.push(op);
      byDevice.set(op.device, list);
    }
    if (byDevice.size <= 1) {
      // An op without a device leaves the enclosing device scope as it is, as Python's merge of ''.
      const [dev] = [...byDevice.keys()];
      const make = () => addScopedOp({ type: 'NoOp', name: scope, controlInputs: ops });
      return dev ? device(dev, make) : make();
    }
    const deps = [...byDevice.keys()].sort().map((dev) => {
      const make = () => addScopedOp({ type: 'NoOp', controlInputs: byDevice.get(dev)! });
      return dev ? device(dev, make) : make();
    });
    return addScopedOp({ type: 'NoOp', name: scope, controlInputs: deps });
  });
}
