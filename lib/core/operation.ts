/**
 * Operation and Output: handles on a graph's ops and their outputs, by name. They hold their
 * graph (so it stays alive while they are used) and ask it for everything else. Apart from
 * graph.ts so that modules the Graph itself needs (collections) can recognise them.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { AttrValueSchema, type AttrValue } from '../proto/gen/tensorflow/core/framework/attr_value_pb';
import { dtypeFromEnum, isRefType, type DType } from './dtypes';
import { ArgumentError, NotFoundError, invalidArgument } from './errors';
import type { Graph } from './graph';

const INT32_MAX = 2 ** 31 - 1;

export class Output {
  readonly op: Operation;
  readonly index: number;
  constructor(op: Operation, index: number) {
    if (!(op instanceof Operation)) throw invalidArgument('op', 'an Operation', op);
    if (!Number.isInteger(index) || index < 0 || index > INT32_MAX) throw invalidArgument('index', 'an output index (integer >= 0)', index);
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
  /** The dtype; for a reference output (a VariableV2) the referenced type, see `isRef`. */
  get dtype(): DType {
    return dtypeFromEnum(this.outputType());
  }
  /** Whether this output is a reference (Python's `float32_ref`). */
  get isRef(): boolean {
    return isRefType(this.outputType());
  }
  private outputType(): number {
    const types = this.op.info().outputTypes;
    if (this.index >= types.length) {
      throw new ArgumentError('index', `Operation '${this.op.name}' has ${types.length} output(s); index ${this.index} is out of range`);
    }
    return types[this.index];
  }
  /** Static shape: null when the rank is unknown, -1 for an unknown dimension. */
  get shape(): number[] | null {
    return this.op.graph.native.outputShape(this.name);
  }
  toString(): string {
    return `Output(${this.name})`;
  }
  /** In JSON (and so in a session's fetch-structure cache key) an Output is its name. */
  toJSON(): { '\u0000tensor': string } {
    return { '\u0000tensor': this.name };
  }
}

export class Operation {
  readonly graph: Graph;
  readonly name: string;
  constructor(graph: Graph, name: string) {
    if (graph === null || typeof graph !== 'object' || !('native' in graph)) throw invalidArgument('graph', 'a Graph', graph);
    if (typeof name !== 'string' || name === '') throw invalidArgument('name', 'an operation name', name);
    this.graph = graph;
    this.name = name;
  }
  /** @internal */
  info() {
    const i = this.graph.native.operationInfo(this.name);
    if (!i) throw new NotFoundError(`The operation '${this.name}' does not exist in the graph.`);
    return i;
  }
  get type(): string {
    return this.info().type;
  }
  get device(): string {
    return this.info().device;
  }
  get numOutputs(): number {
    return this.info().outputTypes.length;
  }
  get outputs(): Output[] {
    return this.info().outputTypes.map((_, i) => new Output(this, i));
  }
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
    if (typeof name !== 'string' || name === '') throw invalidArgument('name', 'an attribute name', name);
    return fromBinary(AttrValueSchema, this.graph.native.attrValue(this.name, name));
  }
  toString(): string {
    return `Operation(${this.name})`;
  }
  /** In JSON (and so in a session's fetch-structure cache key) an Operation is its name. */
  toJSON(): { '\u0000operation': string } {
    return { '\u0000operation': this.name };
  }
}

/** Anything that names a tensor: 'x:0', 'x' (output 0), an Output, an Operation (output 0). */
export type TensorRef = string | Output | Operation;
/** Anything that names an operation. */
export type OpRef = string | Operation | Output;
