/**
 * Warm start: Python's `tf.compat.v1.train.init_from_checkpoint(ckpt_dir_or_file, assignment_map)`.
 * Each mapped variable gets a new initializer that loads its value from the checkpoint (RestoreV2
 * on the CPU, then an assign), so the init op a MonitoredTrainingSession runs when it finds no
 * checkpoint of its own starts from the other run's values. Call it before the Scaffold builds its
 * init op (before `MonitoredTrainingSession`), as in Python.
 */
import { clone, isMessage } from '@bufbuild/protobuf';
import { VariableDefSchema, type VariableDef } from '../proto/gen/tensorflow/core/framework/variable_pb';
import { VARIABLE_COLLECTION_KEYS } from '../core/collections';
import { ArgumentError, ValueError, invalidArgument } from '../core/errors';
import { Graph, Operation, Output } from '../core/graph';
import { checkPath } from '../core/options';
import { CheckpointReader, checkpointFilename, type CheckpointVariable } from './checkpoint-reader';
import { GraphKeys, uniqueScope } from '../core/global-step';
import * as logging from '../core/logging';
import { mergeDevices } from './saver/device';
import { findVariables, resolveVariable, type GraphVariable, type VariableDefLike, type VariableRef } from '../core/variables';
import { pyShape, pyShapeMap, shapesCompatible, sliceSpec } from './init-from-checkpoint-format';

/** A graph variable as an assignment-map value: a VariableDef, or an Operation/Output of a variable op. */
export type VariableObject = Operation | Output | VariableDefLike;

/** What a checkpoint name maps to: a variable or scope name, a variable, or a partitioned variable's parts. */
export type AssignmentTarget = string | VariableObject | readonly VariableObject[];

/**
 * Python's `assignment_map`: an object or Map from checkpoint names, or a list of pairs (several
 * variables from one tensor). Entries, as Python's:
 * - `'old_scope/': 'new_scope/'`: every variable under `new_scope/` from the same name under `old_scope/`;
 * - `'old_scope/w': 'new_scope/w'` (or a variable object): one variable, renamed;
 * - `'/': 'new_scope/'` (checkpoint root) and `'old_scope/': '/'` (every variable of the graph);
 * - a name whose partitions are `<name>/part_<i>` (or a list of the part variables) loads each slice.
 */
export type AssignmentMap =
  | Readonly<Record<string, AssignmentTarget>>
  | ReadonlyMap<string, AssignmentTarget>
  | ReadonlyArray<readonly [string, AssignmentTarget]>;

interface Store {
  /** By op name. */
  vars: Map<string, GraphVariable>;
  /** The names in a variable collection: only their VariableDefs can carry a new initializer. */
  collected: Set<string>;
}

/** One variable (or one partition) to load from one checkpoint tensor. */
interface Assignment {
  v: GraphVariable;
  tensor: string;
  slice: string;
}

/**
 * Replaces the initializers of the variables `assignmentMap` names so that they load from the
 * checkpoint `ckptDirOrFile` (a prefix, or a directory: its latest checkpoint). Every entry is
 * checked before the graph changes: a ValueError with Python's message names a checkpoint tensor
 * that is missing, a variable the graph does not have, or a shape that differs; a dtype that
 * differs is a ValueError too (Python only fails when the init op runs). Only the checkpoint's
 * index is read now; its data is read when the init op runs.
 *
 * The graph's variables play the part of Python's variable store: the `variables` and
 * `local_variables` collections (or, when both are empty, every variable op). The new initializer
 * is recorded in the variable's VariableDef in those collections.
 *
 * @example
 * initFromCheckpoint(graph, 'runs/pretrained', { 'encoder/': 'encoder/', 'head/w': 'new_head/w' });
 * const sess = await MonitoredTrainingSession({ graph, checkpointDir: 'runs/finetune' });
 */
export function initFromCheckpoint(graph: Graph, ckptDirOrFile: string, assignmentMap: AssignmentMap): void {
  if (!(graph instanceof Graph)) throw invalidArgument('graph', 'a Graph', graph);
  if (typeof ckptDirOrFile !== 'string' || ckptDirOrFile === '')
    throw invalidArgument('ckptDirOrFile', 'a checkpoint prefix or directory', ckptDirOrFile);
  checkPath(ckptDirOrFile, 'ckptDirOrFile');
  const entries = mapEntries(assignmentMap);
  if (graph.finalized)
    throw new ArgumentError(
      'graph',
      'initFromCheckpoint adds ops to the graph, which is finalized: call it before the session is created.',
    );
  const ckptFile = checkpointFilename(ckptDirOrFile);
  const reader = new CheckpointReader(ckptFile);
  let inCkpt: CheckpointVariable[];
  try {
    inCkpt = reader.variables();
  } finally {
    reader.close();
  }
  const assignments = plan(graph, ckptDirOrFile, entries, new Map(inCkpt.map((c) => [c.name, c])));
  for (const a of assignments) setCheckpointInitializer(graph, a, ckptFile);
  for (const a of assignments) logging.debug(`Initialize variable ${a.v.name} from checkpoint ${ckptDirOrFile} with ${a.tensor}`);
  warnIfInitOpsExist(graph, assignments);
}

/** The map as [checkpoint name, target] pairs, sorted by checkpoint name (stable, as Python's sort). */
function mapEntries(map: AssignmentMap): Array<[string, AssignmentTarget]> {
  let pairs: Array<readonly [unknown, unknown]>;
  if (Array.isArray(map)) pairs = map as Array<readonly [unknown, unknown]>;
  else if (map instanceof Map) pairs = [...map.entries()];
  else if (map !== null && typeof map === 'object' && !isVariableObject(map)) pairs = Object.entries(map);
  else throw invalidArgument('assignmentMap', 'an object, a Map or an array of [checkpoint name, variable] pairs', map);
  const out = pairs.map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) throw invalidArgument(`assignmentMap[${i}]`, 'a [checkpoint name, variable] pair', p);
    const [key, value] = p as [unknown, unknown];
    if (typeof key !== 'string' || key === '') throw invalidArgument(`assignmentMap[${i}][0]`, 'a checkpoint tensor name or scope', key);
    if (!isTarget(value))
      throw invalidArgument(
        `assignmentMap['${key}']`,
        'a variable or scope name, a variable (VariableDef, Operation, Output) or an array of partition variables',
        value,
      );
    return [key, value] as [string, AssignmentTarget];
  });
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function isVariableObject(x: unknown): x is VariableObject {
  return (
    x instanceof Operation ||
    x instanceof Output ||
    (x !== null && typeof x === 'object' && typeof (x as VariableDefLike).variableName === 'string')
  );
}

function isTarget(x: unknown): x is AssignmentTarget {
  return (typeof x === 'string' && x !== '') || isVariableObject(x) || (Array.isArray(x) && x.length > 0 && x.every(isVariableObject));
}

/** Python's variable store: the collected global and local variables by op name, else every variable op. */
function variableStore(graph: Graph): Store {
  const collected = new Set<string>();
  for (const key of VARIABLE_COLLECTION_KEYS) {
    graph.getCollection(key).forEach((item, i) => collected.add(resolveVariable(graph, item as VariableRef, `${key}[${i}]`).name));
  }
  const items = [...graph.getCollection(GraphKeys.GLOBAL_VARIABLES), ...graph.getCollection(GraphKeys.LOCAL_VARIABLES)];
  const vars = items.length
    ? items.map((item, i) => resolveVariable(graph, item as VariableRef, `variables collection member ${i}`))
    : findVariables(graph);
  return { vars: new Map(vars.map((v) => [v.name, v])), collected };
}

/** Python's `_collect_partitioned_variable`: `<name>/part_0`, `<name>/part_1`, ... or null. */
function partitions(name: string, vars: Map<string, GraphVariable>): GraphVariable[] | null {
  const parts: GraphVariable[] = [];
  for (let i = 0; vars.has(`${name}/part_${i}`); i++) parts.push(vars.get(`${name}/part_${i}`)!);
  return parts.length ? parts : null;
}

/** Only a VariableDef in a collection can carry the new initializer to the Scaffold's init op. */
function checkCollected(store: Store, found: GraphVariable | GraphVariable[], param: string): void {
  for (const v of Array.isArray(found) ? found : [found]) {
    if (!store.collected.has(v.name)) {
      throw new ValueError(
        `${param}: variable ${v.name} is in no variable collection ('variables' or 'local_variables'), so no ` +
          `init op would run its checkpoint initializer; add it to one first (graph.addToCollection('variables', ...)).`,
      );
    }
  }
}

/** Python's `_init_from_checkpoint` without the graph changes: what to load into what, or its ValueError. */
function plan(
  graph: Graph,
  ckpt: string,
  entries: Array<[string, AssignmentTarget]>,
  inCkpt: Map<string, CheckpointVariable>,
): Assignment[] {
  const store = variableStore(graph);
  const out: Assignment[] = [];
  for (const [tensorName, target] of entries) {
    const param = `assignmentMap['${tensorName}']`;
    let found: GraphVariable | GraphVariable[] | null;
    if (typeof target !== 'string') {
      found = Array.isArray(target)
        ? target.map((t, i) => resolveVariable(graph, t, `${param}[${i}]`))
        : resolveVariable(graph, target as VariableObject, param);
    } else {
      found = store.vars.get(target) ?? partitions(target, store.vars);
    }
    if (found !== null) {
      const entry = inCkpt.get(tensorName);
      if (!entry) throw new ValueError(`Tensor ${tensorName} is not found in ${ckpt} checkpoint ${pyShapeMap(inCkpt)}`);
      if (!Array.isArray(found)) checkShapeAndDtype(found, tensorName, entry);
      checkCollected(store, found, param);
      out.push(...assignmentsFor(found, tensorName, entry));
      continue;
    }
    // Not a variable: a scope map ('old/': 'new/'). (Only a name gets here: objects resolved or threw.)
    if (typeof target !== 'string') continue;
    const scopes = target.includes('/') ? target.slice(0, target.lastIndexOf('/')) : '';
    if (!tensorName.endsWith('/')) {
      throw new ValueError(
        `Assignment map with scope only name ${scopes} should map to scope only ${tensorName}. Should be 'scope/': 'other_scope/'.` +
          ` (${param}: the graph has no variable '${target}')`,
      );
    }
    const scopeVariables = new Set<string>();
    for (let name of store.vars.keys()) {
      if (scopes && !name.startsWith(`${scopes}/`)) continue;
      if (name.includes('/part_')) name = name.slice(0, name.indexOf('/part_'));
      scopeVariables.add(name);
    }
    for (const varName of [...scopeVariables].sort()) {
      // Python's name arithmetic, quirks included (a target without '/' drops one character).
      let full = varName.slice(scopes.length);
      if (target !== '/') full = full.slice(1);
      if (tensorName !== '/') full = tensorName + full;
      if (full.endsWith('/')) full = full.slice(0, -1);
      const entry = inCkpt.get(full);
      if (!entry) {
        throw new ValueError(`Tensor ${full} (${varName.slice(scopes.length + 1)} in ${tensorName}) is not found in ${ckpt} checkpoint`);
      }
      const v = store.vars.get(varName) ?? partitions(varName, store.vars)!;
      if (!Array.isArray(v)) checkShapeAndDtype(v, full, entry);
      checkCollected(store, v, param);
      out.push(...assignmentsFor(v, full, entry));
    }
  }
  return out;
}

function checkShapeAndDtype(v: GraphVariable, tensorName: string, entry: CheckpointVariable): void {
  if (!shapesCompatible(v.shape, entry.shape)) {
    throw new ValueError(
      `Shape of variable ${v.name}:0 (${pyShape(v.shape)}) doesn't match with shape of tensor ${tensorName} (${JSON.stringify(entry.shape).replace(/,/g, ', ')}) from checkpoint reader.`,
    );
  }
  if (v.dtype !== entry.dtype) {
    throw new ValueError(
      `Dtype of variable ${v.name}:0 (${v.dtype}) doesn't match with dtype of tensor ${tensorName} (${entry.dtype}) from checkpoint reader.`,
    );
  }
}

/** Python's `_set_variable_or_list_initializer`: one assignment, or one per partition with its slice. */
function assignmentsFor(found: GraphVariable | GraphVariable[], tensor: string, entry: CheckpointVariable): Assignment[] {
  if (!Array.isArray(found)) return [{ v: found, tensor, slice: '' }];
  let fullName: string | null = null;
  return found.map((v) => {
    const info = v.saveSliceInfo;
    if (!info)
      throw new ValueError(`Variable ${v.name} is not a partition of a partitioned variable (its VariableDef has no save_slice_info_def).`);
    if (fullName === null) fullName = info.fullName;
    else if (fullName !== info.fullName) throw new ValueError(`Slices must all be from the same tensor: ${fullName} != ${info.fullName}`);
    if (v.dtype !== entry.dtype) {
      throw new ValueError(
        `Dtype of variable ${v.name}:0 (${v.dtype}) doesn't match with dtype of tensor ${tensor} (${entry.dtype}) from checkpoint reader.`,
      );
    }
    return { v, tensor, slice: sliceSpec(info) };
  });
}

/**
 * Python's `_set_checkpoint_initializer`: `checkpoint_initializer` (RestoreV2 of the one tensor,
 * on the variable's job/task but its CPU, since RestoreV2 runs on CPUs only), then the saveable's
 * restore (`Assign`, or `Identity` + `AssignVariableOp` for a resource variable), recorded as the
 * variable's initializer in every variable collection that holds it.
 */
function setCheckpointInitializer(graph: Graph, a: Assignment, ckptFile: string): void {
  const { v } = a;
  const name = uniqueScope(graph, 'checkpoint_initializer');
  const device = mergeDevices(v.device ?? '', '/device:CPU:0');
  const str = (suffix: string, value: string | string[]) =>
    graph.addOp({ type: 'Const', name: `${name}/${suffix}`, device, attrs: { dtype: 'string', value } });
  const restore = graph.addOp({
    type: 'RestoreV2',
    name,
    device,
    inputs: [str('prefix', ckptFile), str('tensor_names', [a.tensor]), str('shape_and_slices', [a.slice])],
    attrs: { dtypes: [v.dtype] },
  });
  const fullyDefined = v.shape?.every((d) => d >= 0) ?? false;
  let init: Operation;
  if (v.kind === 'ref') {
    init = graph.addOp({
      type: 'Assign',
      name: graph.uniqueName('Assign'),
      inputs: [v.op.output(0), restore.output(0)],
      attrs: { use_locking: true, validate_shape: fullyDefined },
    });
  } else {
    const dev = v.op.device || undefined;
    const copied = graph.addOp({ type: 'Identity', name: graph.uniqueName('Identity'), device: dev, inputs: [restore.output(0)] });
    init = graph.addOp({
      type: 'AssignVariableOp',
      name: graph.uniqueName('AssignVariableOp'),
      device: dev,
      inputs: [v.op.output(0), copied.output(0)],
    });
  }
  // Python records the ref Assign's output tensor ('Assign:0') and the resource assign's op.
  recordInitializer(graph, v, v.kind === 'ref' ? `${init.name}:0` : init.name, `${restore.name}:0`);
}

/** The new initializer into the VariableDef of every variable collection member naming `v` (one shared message). */
function recordInitializer(graph: Graph, v: GraphVariable, initializerName: string, initialValueName: string): void {
  let def: VariableDef | null = null;
  for (const key of VARIABLE_COLLECTION_KEYS) {
    const list = graph.collections.get(key);
    if (!list) continue;
    for (let i = 0; i < list.length; i++) {
      if (resolveVariable(graph, list[i] as VariableRef, `${key}[${i}]`).name !== v.name) continue;
      if (def === null) {
        // Checked by plan(): v is in a collection.
        const current = graph.collections.protos(key, VariableDefSchema)[i];
        def = isMessage(current, VariableDefSchema) ? clone(VariableDefSchema, current) : current;
        def.initializerName = initializerName;
        def.initialValueName = initialValueName;
      }
      list[i] = def;
    }
  }
}

/** An init op built before this call runs the old initializers: say so (Python is silent). */
function warnIfInitOpsExist(graph: Graph, assignments: Assignment[]): void {
  if (!assignments.length) return;
  for (const key of [GraphKeys.INIT_OP, GraphKeys.LOCAL_INIT_OP]) {
    if (graph.getCollection(key).length) {
      logging.warning(
        `initFromCheckpoint: the graph's '${key}' collection already holds an init op, built with the variables' ` +
          `previous initializers; a Scaffold uses it as it is, so it will not load the checkpoint. Clear it first (graph.clearCollection('${key}')).`,
      );
    }
  }
}
