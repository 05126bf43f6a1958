/**
 * Variables and savers recognised from the nodes of a GraphDef, for graphs that arrive without a
 * MetaGraphDef (a graph.pbtxt or .pb has no collections): what Python's `variables` /
 * `trainable_variables` / `global_step` collections and Saver would hold for a graph built the
 * usual TF1 way. The rules: {@link findVariables}.
 */
import { create } from '@bufbuild/protobuf';
import { DataType } from '../proto/gen/tensorflow/core/framework/types_pb';
import type { GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import type { NodeDef } from '../proto/gen/tensorflow/core/framework/node_def_pb';
import { VariableAggregation, VariableDefSchema, type VariableDef } from '../proto/gen/tensorflow/core/framework/variable_pb';
import { SaverDefSchema, SaverDef_CheckpointFormatVersion, type SaverDef } from '../proto/gen/tensorflow/core/protobuf/saver_pb';

export interface FoundVariables {
  /** Every variable, in node order. */
  variables: VariableDef[];
  /** The variables an optimizer updates (the same message objects as in `variables`). */
  trainable: VariableDef[];
  /** The integer variable named `global_step`, when there is one (also in `variables`). */
  globalStep?: VariableDef;
}

const REF_VARIABLE_OPS = new Set(['VariableV2', 'Variable']);
const RESOURCE_VARIABLE_OPS = new Set(['VarHandleOp']);
const RESTORE_OPS = new Set(['RestoreV2', 'Restore', 'RestoreSlice']);
const OPTIMIZER_UPDATE = /^(Resource)?(Sparse)?Apply[A-Z]/;

/** 'name:3' → ['name', 3]; 'name' → ['name', 0]; control inputs ('^name') → null. */
export function parseInput(input: string): [string, number] | null {
  if (input.startsWith('^')) return null;
  const m = /^(.*):(\d+)$/.exec(input);
  return m ? [m[1], Number(m[2])] : [input, 0];
}

/** Canonical tensor name: 'x' → 'x:0'. */
export function tensorName(input: string): string {
  const p = parseInput(input);
  return p ? `${p[0]}:${p[1]}` : input;
}

function pick(candidates: NodeDef[], preferred: string, scope: string): NodeDef | undefined {
  return candidates.find((n) => n.name === preferred) ?? candidates.find((n) => n.name.startsWith(`${scope}/`)) ?? candidates[0];
}

/**
 * Recognises the variables of a graph from its nodes:
 *
 * - a variable is a `VariableV2`/`Variable` (ref) or `VarHandleOp` (resource) node;
 * - its initializer is the `Assign`/`AssignVariableOp` on it named `<var>/Assign` (else another one
 *   that does not restore from a checkpoint), and its initial value is that op's value input;
 * - its snapshot is `<var>/read` (ref) or `<var>/Read/ReadVariableOp` (resource);
 * - it is trainable when an optimizer updates it (it is input 0 of an `Apply*`, `SparseApply*`,
 *   `ResourceApply*` or `ResourceSparseApply*` op): a GraphDef does not record trainability, and a
 *   graph without training ops has no trainable variables;
 * - the global step is the integer variable named `global_step` (with Python's
 *   ONLY_FIRST_REPLICA aggregation).
 */
export function findVariables(graphDef: GraphDef): FoundVariables {
  const byName = new Map(graphDef.node.map((n) => [n.name, n]));
  // Consumers of output 0 of each node, through input 0 (the variable/handle input of every op that
  // matters here) or any data input for reads.
  const consumers = new Map<string, NodeDef[]>();
  for (const node of graphDef.node) {
    const first = node.input.length ? parseInput(node.input[0]) : null;
    if (first?.[1] !== 0) continue;
    const list = consumers.get(first[0]);
    if (list) list.push(node);
    else consumers.set(first[0], [node]);
  }
  const fromRestore = (n: NodeDef): boolean => {
    const value = n.input.length > 1 ? parseInput(n.input[1]) : null;
    const src = value ? byName.get(value[0]) : undefined;
    return !!src && RESTORE_OPS.has(src.op);
  };

  const found: FoundVariables = { variables: [], trainable: [] };
  for (const node of graphDef.node) {
    const isRef = REF_VARIABLE_OPS.has(node.op);
    const isResource = RESOURCE_VARIABLE_OPS.has(node.op);
    if (!isRef && !isResource) continue;
    const v = node.name;
    const uses = consumers.get(v) ?? [];
    const assigns = uses.filter((n) => n.op === (isRef ? 'Assign' : 'AssignVariableOp') && !fromRestore(n));
    const initializer = pick(assigns, `${v}/Assign`, v);
    const reads = uses.filter((n) => n.op === (isRef ? 'Identity' : 'ReadVariableOp'));
    const snapshot = pick(reads, isRef ? `${v}/read` : `${v}/Read/ReadVariableOp`, v);
    const def = create(VariableDefSchema, {
      variableName: `${v}:0`,
      initializerName: initializer?.name ?? '',
      snapshotName: snapshot ? `${snapshot.name}:0` : `${v}:0`,
      isResource,
      initialValueName: initializer && initializer.input.length > 1 ? tensorName(initializer.input[1]) : '',
      trainable: uses.some((n) => OPTIMIZER_UPDATE.test(n.op)),
    });
    const dtype = node.attr.dtype?.value;
    const integer = dtype?.case === 'type' && (dtype.value === DataType.DT_INT64 || dtype.value === DataType.DT_INT32);
    if (v === 'global_step' && integer) {
      def.aggregation = VariableAggregation.ONLY_FIRST_REPLICA;
      found.globalStep = def;
    }
    found.variables.push(def);
    if (def.trainable) found.trainable.push(def);
  }
  return found;
}

/**
 * The SaverDefs of the V2 savers built into a graph (Python's `tf1.train.Saver` subgraphs, one per
 * name scope such as `save`, `save_1`), recognised from their nodes: the filename tensor is the
 * prefix input of the scope's `RestoreV2`, the restore op is `<scope>/restore_all`, and the save
 * tensor is the Identity of the filename that waits for `MergeV2Checkpoints` (sharded) or for
 * `SaveV2` (not sharded). `max_to_keep` and `keep_checkpoint_every_n_hours` are not recorded in
 * a graph: they get Python's defaults (5 and 10000).
 */
export function findSaverDefs(graphDef: GraphDef): SaverDef[] {
  const byName = new Map(graphDef.node.map((n) => [n.name, n]));
  const scopeOf = (name: string) => name.slice(0, Math.max(0, name.lastIndexOf('/')));
  const scopes: string[] = [];
  for (const n of graphDef.node) {
    if (n.op === 'RestoreV2' && n.name.includes('/') && !scopes.includes(scopeOf(n.name))) scopes.push(scopeOf(n.name));
  }
  const out: SaverDef[] = [];
  for (const scope of scopes) {
    const inScope = graphDef.node.filter((n) => scopeOf(n.name) === scope || n.name.startsWith(`${scope}/`));
    const restore = inScope.find((n) => n.op === 'RestoreV2')!;
    const filename = parseInput(restore.input[0] ?? '');
    const restoreAll = byName.get(`${scope}/restore_all`);
    if (!filename || !restoreAll) continue;
    const merge = inScope.find((n) => n.op === 'MergeV2Checkpoints');
    const waitsFor = merge ? merge.name : inScope.find((n) => n.op === 'SaveV2')?.name;
    if (!waitsFor) continue;
    const save = inScope.find(
      (n) =>
        n.op === 'Identity' &&
        n.input[0] !== undefined &&
        tensorName(n.input[0]) === `${filename[0]}:${filename[1]}` &&
        n.input.includes(`^${waitsFor}`),
    );
    if (!save) continue;
    out.push(
      create(SaverDefSchema, {
        filenameTensorName: `${filename[0]}:${filename[1]}`,
        saveTensorName: `${save.name}:0`,
        restoreOpName: restoreAll.name,
        maxToKeep: 5,
        sharded: !!merge,
        keepCheckpointEveryNHours: 10000,
        version: SaverDef_CheckpointFormatVersion.V2,
      }),
    );
  }
  return out;
}
