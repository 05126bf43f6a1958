/**
 * What the generated op functions (lib/ops/gen/) call: adds the op through addScopedOp (Python's
 * names and scopes) and shapes its outputs as the OpDef declares them — nothing for an op without
 * outputs, one Output, a list, or an object with one entry per output argument.
 */
import { Operation, Output, type TensorRef } from '../core/graph';
import { opDef } from '../core/op-defs';
import type { AttrValue } from '../proto/gen/tensorflow/core/framework/attr_value_pb';
import { ArgumentError } from '../core/errors';
import { addScopedOp } from './scope';

/** Options every op function takes: the op's name (before scoping and uniquing) and its device. */
export interface OpOptions {
  /** The op's name; defaults to the op type, as Python's op wrappers. Made unique under the current name scope. */
  name?: string;
  /** A device for this op only; the enclosing `device()` scope otherwise. */
  device?: string;
  /** More control inputs than the enclosing `controlDependencies()` scopes give. */
  controlInputs?: Array<Operation | Output | string>;
}

/** A variable as an op input: its `ref` for a reference input (Assign, Apply*), its `value()` otherwise. */
export interface VariableInput {
  value(): Output;
  readonly ref?: Output;
}

/** What a generated op function takes for a tensor input. */
export type OpInput = TensorRef | VariableInput;

/** An attr given as its AttrValue message (for kinds with no plain JS form, such as list(func)). */
export type AttrProto = { proto: AttrValue | Uint8Array };

/** How an output argument maps to outputs: one tensor, or a list whose length an attr gives. */
export type OutArg = [name: string, length: 1 | { number: string } | { types: string }];

const isVariable = (x: unknown): x is VariableInput =>
  x !== null &&
  typeof x === 'object' &&
  !(x instanceof Output) &&
  !(x instanceof Operation) &&
  typeof (x as VariableInput).value === 'function';

// Variables become their ref for the OpDef's reference inputs and their value for the others.
function resolveInputs(type: string, inputs: Array<OpInput | OpInput[]>): Array<TensorRef | TensorRef[]> {
  if (!inputs.some((x) => (Array.isArray(x) ? x.some(isVariable) : isVariable(x)))) return inputs as Array<TensorRef | TensorRef[]>;
  const args = opDef(type)?.inputArg ?? [];
  const one = (x: OpInput, isRef: boolean): TensorRef => {
    if (!isVariable(x)) return x;
    if (isRef) {
      if (!(x.ref instanceof Output))
        throw new ArgumentError('inputs', `${type}: a reference input needs a variable with a ref (a VariableV2's output)`);
      return x.ref;
    }
    return x.value();
  };
  return inputs.map((x, i) => (Array.isArray(x) ? x.map((e) => one(e, !!args[i]?.isRef)) : one(x, !!args[i]?.isRef)));
}

function add(type: string, inputs: Array<OpInput | OpInput[]>, attrs: Record<string, unknown>, opts: OpOptions | undefined): Operation {
  return addScopedOp({
    type,
    inputs: resolveInputs(type, inputs),
    attrs,
    name: opts?.name,
    device: opts?.device,
    controlInputs: opts?.controlInputs,
  });
}

/** An op without outputs: the Operation (to run as a target or use as a control input). */
export function opNone(type: string, inputs: Array<OpInput | OpInput[]>, attrs: Record<string, unknown>, opts?: OpOptions): Operation {
  return add(type, inputs, attrs, opts);
}

/** An op with one output. */
export function opOne(type: string, inputs: Array<OpInput | OpInput[]>, attrs: Record<string, unknown>, opts?: OpOptions): Output {
  return add(type, inputs, attrs, opts).output(0);
}

/** An op whose only output argument is a list: all its outputs. */
export function opList(type: string, inputs: Array<OpInput | OpInput[]>, attrs: Record<string, unknown>, opts?: OpOptions): Output[] {
  return add(type, inputs, attrs, opts).outputs;
}

/** An op with several output arguments: `{ [argument]: Output | Output[] }` in the OpDef's order. */
export function opMulti<T>(
  type: string,
  inputs: Array<OpInput | OpInput[]>,
  attrs: Record<string, unknown>,
  opts: OpOptions | undefined,
  outArgs: OutArg[],
): T {
  const op = add(type, inputs, attrs, opts);
  const outputs = op.outputs;
  const lists = outArgs.filter(([, n]) => n !== 1).length;
  const result: Record<string, Output | Output[]> = {};
  let at = 0;
  for (const [name, n] of outArgs) {
    if (n === 1) {
      result[name] = outputs[at++];
      continue;
    }
    // With one list argument its length is what the others leave; otherwise the attr tells.
    let len: number;
    if (lists === 1) len = outputs.length - (outArgs.length - 1);
    else if ('number' in n) len = Number(op.attr(n.number).value.value);
    else {
      const v = op.attr(n.types).value;
      len = v.case === 'list' ? v.value.type.length : 0;
    }
    result[name] = outputs.slice(at, at + len);
    at += len;
  }
  return result as T;
}
