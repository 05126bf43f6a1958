/**
 * Graph, Operation and Output: TS facades over the addon's NativeGraph. An Operation or Output
 * holds its Graph (so the graph stays alive while they are used); lookups go by name.
 *
 * The op builder (`graph.addOp`) takes attrs as plain JS values and converts them using the
 * op's OpDef from the loaded library, so unknown ops and attrs are reported by name before TF
 * sees them.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AttrValueSchema, type AttrValue } from '../proto/gen/tensorflow/core/framework/attr_value_pb';
import type { OpDef_AttrDef } from '../proto/gen/tensorflow/core/framework/op_def_pb';
import { ArgumentError, InvalidArgumentError, NotFoundError, RuntimeError, invalidArgument } from './errors';
import { DType, checkDType, dtypeFromEnum, dtypeToEnum, isDType } from './dtypes';
import { Tensor, TensorLike } from './tensor';
import { opDef } from './op-defs';
import { native, NativeGraph, RawAttr, tfVersion } from '../native';

export class Output {
  readonly op: Operation;
  readonly index: number;
  constructor(op: Operation, index: number) {
    this.op = op;
    this.index = index;
  }
  /** 'op:index', the name used for feeds and fetches. */
  get name(): string {
    return `${this.op.name}:${this.index}`;
  }
  get graph(): Graph {
    return this.op.graph;
  }
  get dtype(): DType {
    return dtypeFromEnum(this.op.info().outputTypes[this.index]);
  }
  /** Static shape: null when the rank is unknown, -1 for an unknown dimension. */
  get shape(): number[] | null {
    return this.op.graph.native.outputShape(this.name);
  }
  toString(): string {
    return `Output(${this.name})`;
  }
}

export class Operation {
  readonly graph: Graph;
  readonly name: string;
  constructor(graph: Graph, name: string) {
    this.graph = graph;
    this.name = name;
  }
  /** @internal */
  info() {
    const i = this.graph.native.operationInfo(this.name);
    if (!i) throw new NotFoundError(`The operation '${this.name}' does not exist in the graph.`);
    return i;
  }
  get type(): string { return this.info().type; }
  get device(): string { return this.info().device; }
  get numOutputs(): number { return this.info().outputTypes.length; }
  get outputs(): Output[] { return this.info().outputTypes.map((_, i) => new Output(this, i)); }
  get inputs(): Output[] {
    return this.info().inputs.map((n) => this.graph.tensor(n));
  }
  get controlInputs(): Operation[] {
    return this.info().controlInputs.map((n) => new Operation(this.graph, n));
  }
  output(index = 0): Output {
    const n = this.numOutputs;
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new ArgumentError('index', `Operation '${this.name}' has ${n} output(s); index ${index} is out of range`);
    }
    return new Output(this, index);
  }
  /** The attr as an AttrValue message. */
  attr(name: string): AttrValue {
    return fromBinary(AttrValueSchema, this.graph.native.attrValue(this.name, name));
  }
  toString(): string {
    return `Operation(${this.name})`;
  }
}

/** Anything that names a tensor: 'x:0', 'x' (output 0), an Output, an Operation (output 0). */
export type TensorRef = string | Output | Operation;
/** Anything that names an operation. */
export type OpRef = string | Operation | Output;

export interface AddOpSpec {
  type: string;
  /** Defaults to the op type; made unique like Python ('add', 'add_1', ...). */
  name?: string;
  inputs?: Array<TensorRef | TensorRef[]>;
  controlInputs?: OpRef[];
  device?: string;
  /** Plain values converted by the attr's type in the OpDef; `{ proto: AttrValue }` for anything. */
  attrs?: Record<string, unknown>;
}

export interface ImportOptions {
  /** Prefix for every imported name (Python's import_scope / name). */
  prefix?: string;
  /** Replace imported tensors: key 'name:i' in the GraphDef → a tensor of this graph. */
  inputMap?: Record<string, TensorRef>;
  controlDependencies?: OpRef[];
}

export class Graph {
  /** @internal */
  readonly native: NativeGraph;
  private isFinalized = false;
  private finalizedBy: string | null = null;
  /** Collections as in Python's tf.Graph (keys like 'variables', 'train_op'); kept in TS. */
  readonly collections = new Map<string, unknown[]>();

  constructor() {
    this.native = new (native().NativeGraph)();
  }

  /** A new graph holding a binary GraphDef. */
  static fromGraphDefBytes(bytes: Uint8Array, opts: ImportOptions = {}): Graph {
    const g = new Graph();
    g.importGraphDef(bytes, opts);
    return g;
  }

  importGraphDef(bytes: Uint8Array, opts: ImportOptions = {}): void {
    this.checkNotFinalized('importGraphDef');
    if (!(bytes instanceof Uint8Array)) throw invalidArgument('graphDef', 'a Uint8Array of a serialized GraphDef', bytes);
    const inputMap = Object.entries(opts.inputMap ?? {}).map(([key, dst]) => {
      const colon = key.lastIndexOf(':');
      const src = colon > 0 ? key.slice(0, colon) : key;
      const idx = colon > 0 ? Number(key.slice(colon + 1)) : 0;
      return [src, idx, this.tensorName(dst, `inputMap['${key}']`)] as [string, number, string];
    });
    const unused = this.native.importGraphDef(bytes, {
      prefix: opts.prefix,
      inputMap,
      controlDependencies: (opts.controlDependencies ?? []).map((o) => this.opName(o, 'controlDependencies')),
    });
    if (unused.length) {
      throw new InvalidArgumentError(`Attempted to map inputs that were not found in graph_def: [${unused.join(', ')}]`);
    }
  }

  /** Serialized GraphDef of the whole graph. */
  toGraphDef(): Uint8Array {
    return this.native.toGraphDef();
  }

  hasOperation(name: string): boolean {
    return typeof name === 'string' && this.native.hasOperation(name);
  }

  /** The operation; NotFoundError when there is none. */
  operation(name: string): Operation {
    if (typeof name !== 'string') throw invalidArgument('name', 'an operation name', name);
    if (!this.native.hasOperation(name)) throw new NotFoundError(`The operation '${name}' does not exist in the graph.`);
    return new Operation(this, name);
  }

  /** The operation, or undefined. */
  tryOperation(name: string): Operation | undefined {
    return this.hasOperation(name) ? new Operation(this, name) : undefined;
  }

  /** All operations in the graph's order. */
  operations(): Operation[] {
    return this.native.listOperations().map((o) => new Operation(this, o.name));
  }

  /** 'name:i' (or 'name', meaning output 0) → Output; NotFoundError naming the tensor. */
  tensor(ref: TensorRef): Output {
    if (ref instanceof Output) {
      if (ref.graph !== this) throw new ArgumentError('tensor', `Tensor ${ref.name} belongs to another graph`);
      return ref;
    }
    if (ref instanceof Operation) return ref.output(0);
    if (typeof ref !== 'string') throw invalidArgument('tensor', "a tensor name like 'x:0'", ref);
    const m = /^(.*):(\d+)$/.exec(ref);
    const opName = m ? m[1] : ref;
    const index = m ? Number(m[2]) : 0;
    if (!this.native.hasOperation(opName)) {
      throw new NotFoundError(`The tensor '${ref}' does not exist: the graph has no operation '${opName}'.`);
    }
    const op = new Operation(this, opName);
    const n = op.numOutputs;
    if (index >= n) throw new NotFoundError(`The tensor '${ref}' does not exist: operation '${opName}' has ${n} output(s).`);
    return new Output(op, index);
  }

  /** @internal */
  tensorName(ref: TensorRef, param: string): string {
    if (ref instanceof Output || ref instanceof Operation) {
      if (ref.graph !== this) throw new ArgumentError(param, `${param} (${ref.name}) belongs to another graph`);
      return ref instanceof Output ? ref.name : `${ref.name}:0`;
    }
    if (typeof ref !== 'string') throw invalidArgument(param, "a tensor name like 'x:0', an Output or an Operation", ref);
    return /:\d+$/.test(ref) ? ref : `${ref}:0`;
  }

  /** @internal */
  opName(ref: OpRef, param: string): string {
    if (ref instanceof Operation || ref instanceof Output) {
      const op = ref instanceof Output ? ref.op : ref;
      if (op.graph !== this) throw new ArgumentError(param, `${param} (${op.name}) belongs to another graph`);
      return op.name;
    }
    if (typeof ref !== 'string') throw invalidArgument(param, 'an operation name or an Operation', ref);
    return ref.replace(/^\^/, '');
  }

  /** A name not used yet: base, base_1, base_2, ... (Python's unique_name). */
  uniqueName(base: string): string {
    if (!this.native.hasOperation(base)) return base;
    for (let i = 1; ; i++) {
      const n = `${base}_${i}`;
      if (!this.native.hasOperation(n)) return n;
    }
  }

  /**
   * Adds an operation (the general op builder).
   * @example graph.addOp({ type: 'Const', name: 'c', attrs: { dtype: 'float32', value: [1, 2] } })
   */
  addOp(spec: AddOpSpec): Operation {
    if (spec === null || typeof spec !== 'object') throw invalidArgument('spec', 'an op description object', spec);
    if (typeof spec.type !== 'string' || !spec.type) throw invalidArgument('spec.type', 'an op type name', spec.type);
    const name = spec.name ?? this.uniqueName(spec.type.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
    this.checkNotFinalized(`adding operation '${name}' of type '${spec.type}'`);
    if (typeof name !== 'string' || !name) throw invalidArgument('spec.name', 'a non-empty operation name', name);
    const def = opDef(spec.type);
    if (!def) {
      throw new NotFoundError(`Op type '${spec.type}' (for operation '${name}') is not registered in the loaded libtensorflow ${tfVersion()}.`);
    }
    if (this.native.hasOperation(name)) {
      throw new InvalidArgumentError(`Duplicate node name in graph: '${name}'`);
    }
    const attrs: RawAttr[] = [];
    const given = spec.attrs ?? {};
    for (const [key, value] of Object.entries(given)) {
      if (value === undefined) continue;
      const attrDef = def.attr.find((a) => a.name === key);
      if (!attrDef) {
        const known = def.attr.map((a) => a.name).join(', ') || 'none';
        throw new InvalidArgumentError(`Op type '${spec.type}' has no attr named '${key}' (operation '${name}'; its attrs: ${known}).`);
      }
      attrs.push(convertAttr(attrDef, value, given, `${name}.${key}`));
    }
    const inputs = (spec.inputs ?? []).map((x, i) =>
      Array.isArray(x) ? x.map((y, j) => this.tensorName(y, `inputs[${i}][${j}]`)) : this.tensorName(x, `inputs[${i}]`));
    const created = this.native.addOperation({
      type: spec.type,
      name,
      device: spec.device,
      inputs,
      controlInputs: (spec.controlInputs ?? []).map((c, i) => this.opName(c, `controlInputs[${i}]`)),
      attrs,
    });
    return new Operation(this, created);
  }

  /** After this, adding ops is an error that names who tried (Python's Graph.finalize). */
  finalize(by = 'finalize()'): void {
    this.isFinalized = true;
    this.finalizedBy = by;
  }

  /** @internal Undo finalize (Python's _unsafe_unfinalize), used on session re-creation. */
  unfinalize(): void {
    this.isFinalized = false;
    this.finalizedBy = null;
  }

  get finalized(): boolean {
    return this.isFinalized;
  }

  private checkNotFinalized(what: string): void {
    if (this.isFinalized) {
      throw new RuntimeError(`Graph is finalized and cannot be modified. (${what}; finalized by ${this.finalizedBy})`);
    }
  }

  getCollection<T = unknown>(key: string): T[] {
    return (this.collections.get(key) ?? []).slice() as T[];
  }

  addToCollection(key: string, value: unknown): void {
    const list = this.collections.get(key) ?? [];
    list.push(value);
    this.collections.set(key, list);
  }
}

const utf8 = new TextEncoder();

function attrTypeOf(attrDef: OpDef_AttrDef): string {
  return attrDef.type;
}

function toDType(v: unknown, param: string): number {
  if (typeof v === 'number') return v;
  return dtypeToEnum(checkDType(param, v));
}

function convertAttr(attrDef: OpDef_AttrDef, value: unknown, all: Record<string, unknown>, param: string): RawAttr {
  const name = attrDef.name;
  if (value !== null && typeof value === 'object' && 'proto' in (value as object)) {
    const proto = (value as { proto: AttrValue | Uint8Array }).proto;
    const bytes = proto instanceof Uint8Array ? proto : toBinary(AttrValueSchema, create(AttrValueSchema, proto));
    return { name, kind: 'proto', value: bytes };
  }
  const type = attrTypeOf(attrDef);
  const one = (t: string, v: unknown, p: string): unknown => {
    switch (t) {
      case 'int':
        if (typeof v === 'bigint') return Number(v);
        if (!Number.isInteger(v)) throw invalidArgument(p, 'an integer', v);
        return v;
      case 'float':
        if (typeof v !== 'number') throw invalidArgument(p, 'a number', v);
        return v;
      case 'bool':
        if (typeof v !== 'boolean') throw invalidArgument(p, 'a boolean', v);
        return v;
      case 'string':
        if (typeof v === 'string') return utf8.encode(v);
        if (v instanceof Uint8Array) return v;
        throw invalidArgument(p, 'a string or Uint8Array', v);
      case 'type':
        return toDType(v, p);
      case 'shape':
        if (v === null) return null;
        if (!Array.isArray(v) || !v.every((d) => Number.isInteger(d) && d >= -1)) throw invalidArgument(p, 'a shape (array of integers, -1 = unknown) or null (unknown rank)', v);
        return v;
      case 'tensor': {
        const dt = isDType(all.dtype) ? (all.dtype as DType) : undefined;
        return Tensor.from(v as TensorLike, dt, p).toRaw();
      }
      case 'func':
        if (typeof v !== 'string') throw invalidArgument(p, 'a function name', v);
        return v;
      default:
        throw new ArgumentError(p, `Attr '${name}' has type ${t}, which the op builder cannot convert from a plain value; pass { proto: AttrValue }.`);
    }
  };
  const list = /^list\((.*)\)$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) throw invalidArgument(param, `an array for attr type ${type}`, value);
    const inner = list[1];
    if (inner === 'func') throw new ArgumentError(param, 'list(func) attrs need { proto: AttrValue }');
    return { name, kind: type, value: value.map((v, i) => one(inner, v, `${param}[${i}]`)) };
  }
  return { name, kind: type, value: one(type, value, param) };
}
