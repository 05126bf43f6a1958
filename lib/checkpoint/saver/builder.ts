/**
 * Builds the save/restore subgraph of a V2 `Saver` with the op builder, node for node as Python's
 * `BulkSaverBuilder._build_internal` does (docs/python-parity.md §7.3): the same op types, names,
 * inputs, control inputs and devices, so a `.meta` we write looks like one Python writes. The
 * result is the SaverDef: feed `filenameTensorName` the prefix, run `saveTensorName` to save,
 * `restoreOpName` to restore.
 */
import { create } from '@bufbuild/protobuf';
import { SaverDefSchema, SaverDef_CheckpointFormatVersion, type SaverDef } from '../../proto/gen/tensorflow/core/protobuf/saver_pb';
import { TensorProtoSchema } from '../../proto/gen/tensorflow/core/framework/tensor_pb';
import { DataType } from '../../proto/gen/tensorflow/core/framework/types_pb';
import { ValueError } from '../../core/errors';
import type { Graph, Operation } from '../../core/graph';
import type { GraphVariable } from '../../core/variables';
import { canonicalDevice, mergeDevices, setCpu0 } from './device';

/** One entry of a checkpoint: a variable (or one slice of a partitioned one) under a key. */
export interface Saveable {
  /** The checkpoint key. */
  readonly name: string;
  readonly variable: GraphVariable;
  /** '' for a whole variable; Python's SaveSliceInfo.spec for a partition. */
  readonly sliceSpec: string;
}

export interface BuildOptions {
  sharded: boolean;
  /** 0 = keep all (Python's None). */
  maxToKeep: number;
  keepCheckpointEveryNHours: number;
  /** Name scope; default 'save' (made unique as Python's name_scope does). */
  name?: string | null;
  /** Default of the filename tensor; default 'model'. */
  filename?: string | null;
  /** Reshape restored values to the variables' shapes (Python's `reshape=True`). */
  reshape?: boolean;
}

interface Built {
  op: Operation;
  device: string;
}

const utf8 = new TextEncoder();

// Name scopes a Saver opened in a graph. Python treats such a scope as used (a second Saver gets
// 'save_1'), while names that only exist as imported ops do not take the scope (it then reuses
// 'save' with uniquified op names, 'save/Const_3', ...). Reproduced here.
const openedScopes = new WeakMap<Graph, Set<string>>();

function uniqueScope(graph: Graph, base: string): string {
  if (base.endsWith('/')) return base.slice(0, -1);
  const used = openedScopes.get(graph) ?? new Set<string>();
  const taken = (s: string) => used.has(s) || graph.hasOperation(s);
  let scope = base;
  for (let i = 1; taken(scope); i++) scope = `${base}_${i}`;
  used.add(scope);
  openedScopes.set(graph, used);
  return scope;
}

/** Python's `SaveSliceInfo.spec`: 'full shape ' + 'offset,length:...'. */
export function sliceSpecOf(v: GraphVariable): string {
  const s = v.saveSliceInfo;
  if (!s) return '';
  return `${s.fullShape.map((d) => `${d}`).join(' ')} ${s.varOffset.map((o, i) => `${o},${s.varShape[i]}`).join(':')}`;
}

class ScopeBuilder {
  constructor(
    readonly graph: Graph,
    readonly scope: string,
  ) {}

  /** A unique full name for `base` inside the scope. */
  name(base: string): string {
    return this.graph.uniqueName(`${this.scope}/${base}`);
  }

  add(spec: {
    type: string;
    name: string;
    inputs?: Array<string | string[]>;
    controlInputs?: string[];
    device?: string;
    attrs?: Record<string, unknown>;
  }): Built {
    const op = this.graph.addOp({
      type: spec.type,
      name: spec.name,
      inputs: spec.inputs,
      controlInputs: spec.controlInputs,
      device: spec.device || undefined,
      attrs: spec.attrs,
    });
    return { op, device: spec.device ?? '' };
  }

  /** A string Const whose values are in `string_val`, as Python writes them (not `tensor_content`). */
  stringConst(name: string, value: string | string[], device?: string): Built {
    const list = Array.isArray(value) ? value : [value];
    const tensor = create(TensorProtoSchema, {
      dtype: DataType.DT_STRING,
      tensorShape: { dim: Array.isArray(value) ? [{ size: BigInt(value.length) }] : [] },
      stringVal: list.map((v) => utf8.encode(v)),
    });
    return this.add({
      type: 'Const',
      name,
      device,
      attrs: { dtype: 'string', value: { proto: { value: { case: 'tensor', value: tensor } } } },
    });
  }

  int32Const(name: string, value: number, device?: string): Built {
    return this.add({ type: 'Const', name, device, attrs: { dtype: 'int32', value } });
  }

  /**
   * Python's `control_flow_ops.group(*deps, name=name)`: one NoOp when every dep is on one device,
   * else one NoOp per device (sorted by device) under `<name>/` and the named NoOp over them.
   */
  group(deps: Built[], base: string, outerDevice: string): Built {
    const name = this.name(base);
    const byDevice = new Map<string, Built[]>();
    for (const d of deps) {
      const list = byDevice.get(d.device) ?? [];
      list.push(d);
      byDevice.set(d.device, list);
    }
    if (byDevice.size <= 1) {
      const [dev] = byDevice.keys();
      return this.add({
        type: 'NoOp',
        name,
        device: dev ? mergeDevices(outerDevice, dev) : outerDevice,
        controlInputs: deps.map((d) => d.op.name),
      });
    }
    const perDevice: Built[] = [];
    for (const dev of [...byDevice.keys()].sort()) {
      perDevice.push(
        this.add({
          type: 'NoOp',
          name: this.graph.uniqueName(`${name}/NoOp`),
          device: dev ? mergeDevices(outerDevice, dev) : outerDevice,
          controlInputs: byDevice.get(dev)!.map((d) => d.op.name),
        }),
      );
    }
    return this.add({ type: 'NoOp', name, device: outerDevice, controlInputs: perDevice.map((d) => d.op.name) });
  }
}

function shapeFullyDefined(shape: number[] | null): shape is number[] {
  return shape?.every((d) => d >= 0) ?? false;
}

/** The tensor each saveable is saved from; adds the conventional read op for a resource variable without one. */
function saveTensorOf(graph: Graph, s: Saveable): string {
  const v = s.variable;
  if (v.readTensor) return v.readTensor;
  const read = graph.addOp({
    type: 'ReadVariableOp',
    name: graph.uniqueName(`${v.name}/Read/ReadVariableOp`),
    inputs: [`${v.op.name}:0`],
    device: v.op.device || undefined,
    attrs: { dtype: v.dtype },
  });
  return `${read.name}:0`;
}

/** Python's `_GroupByDevices`: saveables per canonical device, sorted by device name. */
export function groupByDevices(saveables: readonly Saveable[]): Array<[string, Saveable[]]> {
  const per = new Map<string, Saveable[]>();
  for (const s of saveables) {
    const dev = canonicalDevice(s.variable.device);
    const list = per.get(dev) ?? [];
    list.push(s);
    per.set(dev, list);
  }
  return [...per.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function addSaveOps(
  b: ScopeBuilder,
  filename: string,
  saveables: readonly Saveable[],
  tensors: Map<Saveable, string>,
  device: string,
): Built {
  const saveName = b.name('SaveV2');
  const names = b.stringConst(
    `${saveName}/tensor_names`,
    saveables.map((s) => s.name),
    device,
  );
  const slices = b.stringConst(
    `${saveName}/shape_and_slices`,
    saveables.map((s) => s.sliceSpec),
    device,
  );
  const save = b.add({
    type: 'SaveV2',
    name: saveName,
    device,
    inputs: [filename, names.op.name, slices.op.name, saveables.map((s) => tensors.get(s)!)],
    attrs: { dtypes: saveables.map((s) => s.variable.dtype) },
  });
  return b.add({ type: 'Identity', name: b.name('control_dependency'), device, inputs: [filename], controlInputs: [save.op.name] });
}

function addShardedSaveOps(
  b: ScopeBuilder,
  filename: string,
  perDevice: Array<[string, Saveable[]]>,
  tensors: Map<Saveable, string>,
): Built {
  const anyCpu = '/device:CPU:*';
  const regex = b.add({
    type: 'StaticRegexFullMatch',
    name: b.name('StaticRegexFullMatch'),
    device: anyCpu,
    inputs: [filename],
    attrs: { pattern: '^s3://.*' },
  });
  const part = b.stringConst(b.name('Const'), '.part', anyCpu);
  const temp = b.stringConst(b.name('Const'), '_temp/part', anyCpu);
  const suffix = b.add({ type: 'Select', name: b.name('Select'), device: anyCpu, inputs: [regex.op.name, part.op.name, temp.op.name] });
  const tmpPrefix = b.add({
    type: 'StringJoin',
    name: b.name('StringJoin'),
    device: anyCpu,
    inputs: [[filename, suffix.op.name]],
    attrs: { separator: '' },
  });
  const numShards = b.int32Const(b.name('num_shards'), perDevice.length);
  const prefixes: string[] = [];
  const saves: string[] = [];
  let lastDevice = '';
  perDevice.forEach(([device, saveables], shard) => {
    lastDevice = device;
    const dev = setCpu0(device);
    const shName = b.name('ShardedFilename');
    const shardConst = b.int32Const(`${shName}/shard`, shard, dev);
    const sharded = b.add({
      type: 'ShardedFilename',
      name: shName,
      device: dev,
      inputs: [tmpPrefix.op.name, shardConst.op.name, numShards.op.name],
    });
    prefixes.push(`${sharded.op.name}:0`);
    saves.push(addSaveOps(b, `${sharded.op.name}:0`, saveables, tensors, dev).op.name);
  });
  const mergeDev = setCpu0(lastDevice);
  const mergeName = b.name('MergeV2Checkpoints');
  const packed = b.add({
    type: 'Pack',
    name: `${mergeName}/checkpoint_prefixes`,
    device: mergeDev,
    inputs: [prefixes],
    controlInputs: saves,
    attrs: { axis: 0 },
  });
  const merge = b.add({
    type: 'MergeV2Checkpoints',
    name: mergeName,
    device: mergeDev,
    inputs: [packed.op.name, filename],
    attrs: { delete_old_dirs: true, allow_missing_files: false },
  });
  return b.add({
    type: 'Identity',
    name: b.name('Identity'),
    device: mergeDev,
    inputs: [filename],
    controlInputs: [merge.op.name, ...saves],
  });
}

function addRestoreOps(
  b: ScopeBuilder,
  filename: string,
  saveables: readonly Saveable[],
  tensors: Map<Saveable, string>,
  opts: BuildOptions,
  outerDevice: string,
  groupName: string,
): Built {
  const restoreDev = mergeDevices(outerDevice, '/device:CPU:0');
  const rName = b.name('RestoreV2');
  const names = b.stringConst(
    `${rName}/tensor_names`,
    saveables.map((s) => s.name),
    restoreDev,
  );
  const slices = b.stringConst(
    `${rName}/shape_and_slices`,
    saveables.map((s) => s.sliceSpec),
    restoreDev,
  );
  const restore = b.add({
    type: 'RestoreV2',
    name: rName,
    device: restoreDev,
    inputs: [filename, names.op.name, slices.op.name],
    attrs: { dtypes: saveables.map((s) => s.variable.dtype) },
  });
  const assigns: Built[] = [];
  saveables.forEach((s, i) => {
    const v = s.variable;
    const varDevice = canonicalDevice(v.device);
    let value = `${restore.op.name}:${i}`;
    if (opts.reshape) {
      let shape: string;
      if (shapeFullyDefined(v.shape)) {
        const reshapeName = b.name('Reshape');
        // A scalar's target shape is the empty int32 vector ([] gives shape [0]).
        shape = b.add({ type: 'Const', name: `${reshapeName}/shape`, device: outerDevice, attrs: { dtype: 'int32', value: v.shape } }).op
          .name;
        value = `${b.add({ type: 'Reshape', name: reshapeName, device: outerDevice, inputs: [value, shape] }).op.name}:0`;
      } else {
        shape = b.add({ type: 'Shape', name: b.name('Shape'), device: outerDevice, inputs: [tensors.get(s)!] }).op.name;
        value = `${b.add({ type: 'Reshape', name: b.name('Reshape'), device: outerDevice, inputs: [value, shape] }).op.name}:0`;
      }
    }
    if (v.kind === 'ref') {
      assigns.push(
        b.add({
          type: 'Assign',
          name: b.name('Assign'),
          device: varDevice || outerDevice,
          inputs: [`${v.op.name}:0`, value],
          attrs: { use_locking: true, validate_shape: !opts.reshape && shapeFullyDefined(v.shape) },
        }),
      );
    } else {
      const dev = mergeDevices(outerDevice, varDevice);
      const copied = b.add({ type: 'Identity', name: b.name('Identity'), device: dev, inputs: [value] });
      assigns.push(
        b.add({ type: 'AssignVariableOp', name: b.name('AssignVariableOp'), device: dev, inputs: [`${v.op.name}:0`, copied.op.name] }),
      );
    }
  });
  return b.group(assigns, groupName, outerDevice);
}

/** Checks Python's `validate_and_slice_inputs` rules; returns the saveables sorted by key. */
export function validateSaveables(saveables: readonly Saveable[]): Saveable[] {
  const sorted = [...saveables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Map<string, Saveable>();
  for (const s of sorted) {
    const key = `${s.variable.op.name}\u0000${s.sliceSpec}`;
    if (seen.has(key)) throw new ValueError(`The same saveable will be restored with two names: ${s.name}`);
    seen.set(key, s);
  }
  return sorted;
}

/**
 * Adds the save and restore ops for `saveables` to `graph` and returns the SaverDef. `saveables`
 * must be validated (see {@link validateSaveables}) and non-empty.
 *
 * Not reproduced: the `_class` colocation attrs Python adds to `control_dependency` and `Assign`
 * (the op builder accepts only attrs of the OpDef). Placement is unaffected: those ops either have
 * an explicit device or take a ref input, which TF's placer colocates anyway.
 */
export function buildSaverDef(graph: Graph, saveables: readonly Saveable[], opts: BuildOptions): SaverDef {
  // Read ops for resource variables first, as Python has them before the saver is built.
  const tensors = new Map<Saveable, string>();
  for (const s of saveables) tensors.set(s, saveTensorOf(graph, s));

  const b = new ScopeBuilder(graph, uniqueScope(graph, opts.name ?? 'save'));
  const fnName = b.name('filename');
  const fnInput = b.stringConst(`${fnName}/input`, opts.filename || 'model');
  const fn = b.add({ type: 'PlaceholderWithDefault', name: fnName, inputs: [fnInput.op.name], attrs: { dtype: 'string', shape: [] } });
  // Keeps the name "Const" for compatibility, as Python does.
  const filenameTensor = b.add({
    type: 'PlaceholderWithDefault',
    name: b.name('Const'),
    inputs: [fn.op.name],
    attrs: { dtype: 'string', shape: [] },
  });
  const filename = `${filenameTensor.op.name}:0`;

  let saveTensor: Built;
  let restoreOp: Built;
  if (opts.sharded) {
    const perDevice = groupByDevices(saveables);
    saveTensor = addShardedSaveOps(b, filename, perDevice, tensors);
    const shards = perDevice.map(([device, group]) => addRestoreOps(b, filename, group, tensors, opts, device, 'restore_shard'));
    restoreOp = b.group(shards, 'restore_all', '');
  } else {
    saveTensor = addSaveOps(b, filename, saveables, tensors, '');
    restoreOp = addRestoreOps(b, filename, saveables, tensors, opts, '', 'restore_all');
  }
  return create(SaverDefSchema, {
    filenameTensorName: filename,
    saveTensorName: `${saveTensor.op.name}:0`,
    restoreOpName: restoreOp.op.name,
    maxToKeep: opts.maxToKeep,
    sharded: opts.sharded,
    keepCheckpointEveryNHours: opts.keepCheckpointEveryNHours,
    version: SaverDef_CheckpointFormatVersion.V2,
  });
}
