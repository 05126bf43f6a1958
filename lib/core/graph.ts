/**
 * Graph, Operation and Output: TS facades over the addon's NativeGraph. An Operation or Output
 * holds its Graph (so the graph stays alive while they are used); lookups go by name. The op
 * builder (`graph.addOp`) converts plain JS attrs using the op's OpDef from the loaded library, so
 * unknown ops and attrs are reported by name before TF sees them.
 */
import { create, fromBinary, isMessage, toBinary } from '@bufbuild/protobuf';
import { AttrValueSchema, type AttrValue } from '../proto/gen/tensorflow/core/framework/attr_value_pb';
import { GraphDefSchema, type GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import type { OpDef_AttrDef } from '../proto/gen/tensorflow/core/framework/op_def_pb';
import { TensorShapeProtoSchema } from '../proto/gen/tensorflow/core/framework/tensor_shape_pb';
import type { MetaGraphDef_MetaInfoDef } from '../proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import type { SaverDef } from '../proto/gen/tensorflow/core/protobuf/saver_pb';
import { ProtoDecodeError, decodeBinary } from '../proto/binary';
import { ArgumentError, InvalidArgumentError, NotFoundError, RuntimeError, TFError, errorForCode, invalidArgument } from './errors';
import { GraphCollections } from './collections';
import { checkGraphDefSupported } from './missing-ops';
import { GraphFormatError } from './graph-errors';
import { type DType, checkDType, dtypeToEnum, isDType } from './dtypes';
import { Tensor, type TensorLike, checkShape } from './tensor';
import { opDef } from './op-defs';
import { native, type NativeGraph, type RawAttr, tfVersion } from '../native';
import { Operation, Output, type OpRef, type TensorRef } from './operation';

export { Operation, Output, type OpRef, type TensorRef };

const INT32_MAX = 2 ** 31 - 1;

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
  /** Where the GraphDef came from (a file name), named in errors. */
  source?: string;
}

export interface AsGraphDefOptions {
  /** Add `_output_shapes` to every node with outputs, as Python's `as_graph_def(add_shapes=True)`. */
  addShapes?: boolean;
}

/**
 * A TF graph. Reading graph files is the graph-io layer's: its Graph (this class plus `Graph.load`,
 * `Graph.fromGraphDef`, `Graph.fromMetaGraph`; the one the package exports) keeps core free of
 * the file formats. A graph keeps its collections (`graph.collections`, typed accessors in
 * collections.ts) and the SaverDef of the MetaGraphDef it came from (`graph.saverDef`).
 */
export class Graph {
  /** @internal */
  readonly native: NativeGraph;
  private isFinalized = false;
  private finalizedBy: string | null = null;
  private changes = 0;
  /**
   * Collections as in Python's tf.Graph (keys like 'variables', 'train_op'): a Map from key to
   * members, with typed accessors (`graph.collections.variables()`, `.trainOp()`, `.savers()`, ...).
   */
  readonly collections: GraphCollections;
  /**
   * The SaverDef of the MetaGraphDef this graph was loaded from (re-scoped under the import scope),
   * or of the one saver found in a loaded GraphDef; what `exportMetaGraph` writes by default.
   */
  saverDef: SaverDef | undefined = undefined;
  /** The MetaInfoDef of the MetaGraphDef this graph was loaded from (TF version, stripped op list, tags). */
  metaInfoDef: MetaGraphDef_MetaInfoDef | undefined = undefined;

  constructor() {
    this.native = new (native().NativeGraph)();
    this.collections = new GraphCollections(this);
  }

  /** A new graph holding a binary GraphDef (no collections; see {@link Graph.fromGraphDef}). */
  static fromGraphDefBytes(bytes: Uint8Array, opts: ImportOptions = {}): Graph {
    const g = new Graph();
    g.importGraphDef(bytes, opts);
    return g;
  }

  /**
   * Imports a GraphDef (a message or its binary serialization) into this graph. The ops are checked
   * against the loaded libtensorflow first (MissingOpsError naming every missing op).
   */
  importGraphDef(graphDef: Uint8Array | GraphDef, opts: ImportOptions = {}): void {
    this.checkNotFinalized('importGraphDef');
    if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object', opts);
    let bytes: Uint8Array;
    let message: GraphDef;
    if (graphDef instanceof Uint8Array) {
      bytes = graphDef;
      try {
        message = decodeBinary(GraphDefSchema, bytes, { file: opts.source });
      } catch (e) {
        const reason = e instanceof ProtoDecodeError ? e.reason : String(e);
        throw new GraphFormatError(`not a serialized tensorflow.GraphDef: ${reason}`, { file: opts.source, cause: e });
      }
    } else if (isMessage(graphDef) && graphDef.$typeName === 'tensorflow.GraphDef') {
      message = graphDef;
      bytes = toBinary(GraphDefSchema, graphDef);
    } else {
      throw invalidArgument('graphDef', 'a Uint8Array of a serialized GraphDef', graphDef);
    }
    checkGraphDefSupported(message, { file: opts.source });
    const prefix = opts.prefix ?? undefined;
    if (prefix !== undefined && (typeof prefix !== 'string' || prefix.includes('\0')))
      throw invalidArgument('prefix', 'a name scope (a string without NUL)', prefix);
    const rawMap = opts.inputMap ?? {};
    if (typeof rawMap !== 'object' || Array.isArray(rawMap))
      throw invalidArgument('inputMap', "an object of tensor names ({ 'x:0': Output or name })", rawMap);
    const inputMap = Object.entries(rawMap).map(([key, dst]) => {
      const m = /^(.+):(\d+)$/.exec(key);
      if ((m ? Number(m[2]) > INT32_MAX : key.includes(':')) || !key) {
        throw new ArgumentError(`inputMap['${key}']`, `Expected a tensor name like 'x:0' as a key of inputMap but received '${key}'`);
      }
      return [m ? m[1] : key, m ? Number(m[2]) : 0, this.tensorName(dst, `inputMap['${key}']`)] as [string, number, string];
    });
    const deps = opts.controlDependencies ?? [];
    if (!Array.isArray(deps)) throw invalidArgument('controlDependencies', 'an array of operations or operation names', deps);
    const controlDependencies: string[] = [];
    for (let i = 0; i < deps.length; i++) controlDependencies.push(this.opName(deps[i], `controlDependencies[${i}]`));
    let unused: string[];
    try {
      this.changes++;
      unused = this.native.importGraphDef(bytes, { prefix, inputMap, controlDependencies });
    } catch (e) {
      // TF's import errors (a node with a missing input, a bad attr, ...) name the file too.
      if (opts.source && e instanceof TFError) throw errorForCode(e.code, `${opts.source}: ${e.message}`);
      throw e;
    }
    if (unused.length) {
      throw new InvalidArgumentError(`Attempted to map inputs that were not found in graph_def: [${unused.join(', ')}]`);
    }
  }

  /** Serialized GraphDef of the whole graph, as TF writes it. */
  toGraphDef(): Uint8Array {
    return this.native.toGraphDef();
  }

  /**
   * The graph as a GraphDef message, as Python's `graph.as_graph_def()`: without an empty
   * `library`, and with `_output_shapes` (TF's static shapes) when `addShapes` is set.
   */
  asGraphDef(opts: AsGraphDefOptions = {}): GraphDef {
    const gd = fromBinary(GraphDefSchema, this.native.toGraphDef());
    const lib = gd.library;
    if (lib && !lib.function.length && !lib.gradient.length && !lib.registeredGradients.length) gd.library = undefined;
    if (opts.addShapes) {
      for (const node of gd.node) {
        const n = this.native.operationInfo(node.name)?.outputTypes.length ?? 0;
        if (!n) continue;
        const shape = [];
        for (let i = 0; i < n; i++) {
          const dims = this.native.outputShape(`${node.name}:${i}`);
          shape.push(
            create(TensorShapeProtoSchema, dims === null ? { unknownRank: true } : { dim: dims.map((d) => ({ size: BigInt(d) })) }),
          );
        }
        node.attr._output_shapes = create(AttrValueSchema, { value: { case: 'list', value: { shape } } });
      }
    }
    return gd;
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
    if (typeof base !== 'string' || base === '') throw invalidArgument('base', 'an operation name', base);
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
    // TF's C API takes C strings: a NUL would cut the name TF stores.
    if (typeof name !== 'string' || !name || name.includes('\0'))
      throw invalidArgument('spec.name', 'a non-empty operation name without NUL', name);
    const def = opDef(spec.type);
    if (!def) {
      throw new NotFoundError(
        `Op type '${spec.type}' (for operation '${name}') is not registered in the loaded libtensorflow ${tfVersion()}.`,
      );
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
    // Index loops, not map(): holes are errors (map skips them), and a sparse array claiming
    // 2^32-1 elements fails at its first hole instead of being walked.
    const specInputs = spec.inputs ?? [];
    if (!Array.isArray(specInputs))
      throw invalidArgument('inputs', 'an array of tensors (or arrays of tensors for list inputs)', specInputs);
    const inputs: Array<string | string[]> = [];
    for (let i = 0; i < specInputs.length; i++) {
      const x = specInputs[i];
      if (Array.isArray(x)) {
        const list: string[] = [];
        for (let j = 0; j < x.length; j++) list.push(this.tensorName(x[j], `inputs[${i}][${j}]`));
        inputs.push(list);
      } else {
        inputs.push(this.tensorName(x, `inputs[${i}]`));
      }
    }
    const specControls = spec.controlInputs ?? [];
    if (!Array.isArray(specControls)) throw invalidArgument('controlInputs', 'an array of operations', specControls);
    const controlInputs: string[] = [];
    for (let i = 0; i < specControls.length; i++) controlInputs.push(this.opName(specControls[i], `controlInputs[${i}]`));
    this.changes++;
    const created = this.native.addOperation({ type: spec.type, name, device: spec.device, inputs, controlInputs, attrs });
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

  /**
   * @internal Counts the changes made to the TF graph (ops added, GraphDefs imported): what was
   * derived from the graph at one revision (its serialized GraphDef) holds while it is unchanged.
   * TF graphs only grow, and only through those two calls.
   */
  get revision(): number {
    return this.changes;
  }

  private checkNotFinalized(what: string): void {
    if (this.isFinalized) {
      throw new RuntimeError(`Graph is finalized and cannot be modified. (${what}; finalized by ${this.finalizedBy})`);
    }
  }

  /**
   * A copy of a collection's members (Python's `get_collection`). With `scope`, only the members
   * whose name matches it from the start (a regular expression, as in Python); members without a
   * name are left out then.
   */
  getCollection<T = unknown>(key: string, scope?: string): T[] {
    const list = (this.collections.get(key) ?? []).slice();
    if (scope === undefined || scope === null) return list as T[];
    if (typeof scope !== 'string') throw invalidArgument('scope', 'a name scope (a regular expression, as in Python)', scope);
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${scope})`);
    } catch (e) {
      throw new ArgumentError('scope', `scope is not a valid regular expression: ${(e as Error).message}`);
    }
    return list.filter((m) => {
      const name = memberName(m);
      return name !== undefined && re.test(name);
    }) as T[];
  }

  addToCollection(key: string, value: unknown): void {
    this.collections.add(key, value);
  }

  /** Python's `add_to_collections`: the value into each collection. */
  addToCollections(keys: string[], value: unknown): void {
    for (const k of new Set(keys)) this.collections.add(k, value);
  }

  /** Python's `clear_collection`. */
  clearCollection(key: string): void {
    this.collections.delete(key);
  }

  /** Python's `get_all_collection_keys`. */
  getAllCollectionKeys(): string[] {
    return [...this.collections.keys()];
  }
}

// The name Python's get_collection(scope) matches: an element's, a variable's, or a `name` field.
function memberName(m: unknown): string | undefined {
  if (m instanceof Operation || m instanceof Output) return m.name;
  if (m !== null && typeof m === 'object') {
    const o = m as { $typeName?: string; variableName?: unknown; name?: unknown };
    if (o.$typeName === 'tensorflow.VariableDef') return o.variableName as string;
    if (typeof o.name === 'string') return o.name;
  }
  return undefined;
}

const utf8 = new TextEncoder();

function attrTypeOf(attrDef: OpDef_AttrDef): string {
  return attrDef.type;
}

function toDType(v: unknown, param: string): number {
  // A DataType enum value (what a GraphDef holds) is a small positive integer; 1.5 was taken as 1.
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v <= 0 || v > 2 ** 31 - 1) throw invalidArgument(param, 'a dtype name or a DataType enum value', v);
    return v;
  }
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
        return checkShape(p, v, true);
      case 'tensor': {
        const dt = isDType(all.dtype) ? (all.dtype as DType) : undefined;
        return Tensor.from(v as TensorLike, dt, p).toRaw();
      }
      case 'func':
        if (typeof v !== 'string') throw invalidArgument(p, 'a function name', v);
        return v;
      default:
        throw new ArgumentError(
          p,
          `Attr '${name}' has type ${t}, which the op builder cannot convert from a plain value; pass { proto: AttrValue }.`,
        );
    }
  };
  const list = /^list\((.*)\)$/.exec(type);
  if (list) {
    if (!Array.isArray(value)) throw invalidArgument(param, `an array for attr type ${type}`, value);
    const inner = list[1];
    if (inner === 'func') throw new ArgumentError(param, 'list(func) attrs need { proto: AttrValue }');
    // An index loop: holes are errors (map() skips them), and a sparse array claiming 2^32-1
    // elements fails at its first hole.
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(one(inner, value[i], `${param}[${i}]`));
    return { name, kind: type, value: out };
  }
  return { name, kind: type, value: one(type, value, param) };
}
