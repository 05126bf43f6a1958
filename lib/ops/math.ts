/**
 * The most used ops under Python's names and with Python's default op names (`add` makes an
 * AddV2 named 'Add', `divide` a RealDiv named 'truediv', `maxPool` a MaxPool named 'MaxPool2d').
 * Inputs may be JS values: they become constants named after the argument inside the op's scope
 * ('Reshape/shape'), as Python's op wrappers convert them. Every other op: lib/ops/gen (`ops.raw`).
 */
import type { DType } from '../core/dtypes';
import { ArgumentError, invalidArgument } from '../core/errors';
import { Operation, Output } from '../core/graph';
import { asOutput, constant, isTensorLike, toTensor, type TensorInput } from './constant';
import { filledTensor } from './fill';
import { addScopedOp, nameScope } from './scope';

type In = [value: TensorInput | TensorInput[], dtype: DType | undefined, arg: string];

/**
 * Adds `type` named `name` (made unique); JS values among the inputs become Consts named after
 * their argument inside the op's own name scope, the op then taking the scope's name.
 */
function wrap(type: string, name: string, inputs: In[], attrs: Record<string, unknown> = {}): Operation {
  const isTensor = isTensorLike;
  const allTensors = inputs.every(([v]) => (Array.isArray(v) ? v.every(isTensor) : isTensor(v)));
  const asRef = (v: TensorInput) => asOutput(v as Output);
  if (allTensors) {
    return addScopedOp({ type, name, inputs: inputs.map(([v]) => (Array.isArray(v) ? v.map(asRef) : asRef(v as TensorInput))), attrs });
  }
  return nameScope(name, (scope) => {
    const converted = inputs.map(([v, dtype, arg]) =>
      Array.isArray(v) && v.some(isTensor)
        ? v.map((e, i) => toTensor(e, dtype, `${arg}_${i}`, arg))
        : toTensor(v as TensorInput, dtype, arg, arg),
    );
    return addScopedOp({ type, name: scope, inputs: converted, attrs });
  });
}

const one = (type: string, name: string, inputs: In[], attrs?: Record<string, unknown>) => wrap(type, name, inputs, attrs).output(0);
const dtypeOf = (...xs: unknown[]): DType | undefined => {
  for (const x of xs) if (isTensorLike(x)) return asOutput(x).dtype;
  return undefined;
};
const binary =
  (type: string, defaultName: string) =>
  (x: TensorInput, y: TensorInput, opts: { name?: string } = {}): Output => {
    const dt = dtypeOf(x, y);
    return one(type, opts.name ?? defaultName, [
      [x, dt, 'x'],
      [y, dt, 'y'],
    ]);
  };
const unary =
  (type: string) =>
  (x: TensorInput, opts: { name?: string } = {}): Output =>
    one(type, opts.name ?? type, [[x, undefined, 'x']]);

/** `tf.add` (AddV2 'Add'). */ export const add = binary('AddV2', 'Add');
/** `tf.subtract` (Sub 'Sub'). */ export const subtract = binary('Sub', 'Sub');
/** `tf.multiply` (Mul 'Mul'). */ export const multiply = binary('Mul', 'Mul');
/** `tf.divide` of floats (RealDiv 'truediv'). */ export const divide = binary('RealDiv', 'truediv');
/** `tf.maximum`. */ export const maximum = binary('Maximum', 'Maximum');
/** `tf.minimum`. */ export const minimum = binary('Minimum', 'Minimum');
/** `tf.pow`. */ export const pow = binary('Pow', 'Pow');
/** `tf.math.squared_difference`. */ export const squaredDifference = binary('SquaredDifference', 'SquaredDifference');
/** `tf.equal`. */ export const equal = binary('Equal', 'Equal');
/** `tf.not_equal`. */ export const notEqual = binary('NotEqual', 'NotEqual');
/** `tf.less`. */ export const less = binary('Less', 'Less');
/** `tf.greater`. */ export const greater = binary('Greater', 'Greater');
/** `tf.greater_equal`. */ export const greaterEqual = binary('GreaterEqual', 'GreaterEqual');
/** `tf.logical_and`. */ export const logicalAnd = binary('LogicalAnd', 'LogicalAnd');

/** `tf.nn.relu`. */ export const relu = unary('Relu');
/** `tf.sigmoid`. */ export const sigmoid = unary('Sigmoid');
/** `tf.tanh`. */ export const tanh = unary('Tanh');
/** `tf.nn.softmax`. */ export const softmax = unary('Softmax');
/** `tf.nn.log_softmax`. */ export const logSoftmax = unary('LogSoftmax');
/** `tf.square`. */ export const square = unary('Square');
/** `tf.sqrt`. */ export const sqrt = unary('Sqrt');
/** `tf.math.rsqrt`. */ export const rsqrt = unary('Rsqrt');
/** `tf.exp`. */ export const exp = unary('Exp');
/** `tf.math.log`. */ export const log = unary('Log');
/** `tf.negative` ('Neg'). */ export const negative = unary('Neg');
/** `tf.abs`. */ export const abs = unary('Abs');
/** `tf.identity`. */ export const identity = unary('Identity');
/** `tf.stop_gradient`. */ export const stopGradient = unary('StopGradient');
/** `tf.nn.l2_loss`. */ export const l2Loss = unary('L2Loss');

/** `tf.matmul(a, b, transpose_a, transpose_b)` ('MatMul'). */
export function matmul(a: TensorInput, b: TensorInput, opts: { transposeA?: boolean; transposeB?: boolean; name?: string } = {}): Output {
  const dt = dtypeOf(a, b);
  return one(
    'MatMul',
    opts.name ?? 'MatMul',
    [
      [a, dt, 'a'],
      [b, dt, 'b'],
    ],
    { transpose_a: opts.transposeA ?? false, transpose_b: opts.transposeB ?? false },
  );
}

/** `tf.nn.bias_add(value, bias)` ('BiasAdd'). */
export function biasAdd(value: TensorInput, bias: TensorInput, opts: { dataFormat?: 'NHWC' | 'NCHW'; name?: string } = {}): Output {
  const dt = dtypeOf(value, bias);
  return one(
    'BiasAdd',
    opts.name ?? 'BiasAdd',
    [
      [value, dt, 'value'],
      [bias, dt, 'bias'],
    ],
    { data_format: opts.dataFormat ?? 'NHWC' },
  );
}

/** `tf.reshape(tensor, shape)` ('Reshape', shape 'Reshape/shape'). */
export function reshape(tensor: TensorInput, shape: TensorInput, opts: { name?: string } = {}): Output {
  return one('Reshape', opts.name ?? 'Reshape', [
    [tensor, undefined, 'tensor'],
    [shape, 'int32', 'shape'],
  ]);
}

/** `tf.cast(x, dtype)` ('Cast'). */
export function cast(x: TensorInput, dtype: DType, opts: { name?: string } = {}): Output {
  return one('Cast', opts.name ?? 'Cast', [[x, undefined, 'x']], { DstT: dtype, Truncate: false });
}

/** `tf.argmax(input, axis=0, output_type=int64)` ('ArgMax', axis 'ArgMax/dimension'). */
export function argmax(input: TensorInput, axis: TensorInput = 0, opts: { outputType?: 'int32' | 'int64'; name?: string } = {}): Output {
  return one(
    'ArgMax',
    opts.name ?? 'ArgMax',
    [
      [input, undefined, 'input'],
      [axis, 'int32', 'dimension'],
    ],
    { output_type: opts.outputType ?? 'int64' },
  );
}

function reduction(type: string) {
  return (x: TensorInput, axis?: number | number[] | Output, opts: { keepdims?: boolean; name?: string } = {}): Output => {
    const attrs = { keep_dims: opts.keepdims ?? false };
    if (axis === undefined) {
      // Python reduces over every axis with a Const made before the op ('Const'), from the static rank.
      const xt = toTensor(x, undefined, 'x');
      const rank = xt.shape?.length;
      if (rank === undefined) throw new ArgumentError('axis', `${type}: the input's rank is unknown; give axis`);
      const all = constant(
        Array.from({ length: rank }, (_, i) => i),
        { dtype: 'int32' },
      );
      return one(
        type,
        opts.name ?? type,
        [
          [xt, undefined, 'input'],
          [all, 'int32', 'reduction_indices'],
        ],
        attrs,
      );
    }
    return one(
      type,
      opts.name ?? type,
      [
        [x, undefined, 'input'],
        [axis, 'int32', 'reduction_indices'],
      ],
      attrs,
    );
  };
}
/** `tf.reduce_mean(x, axis, keepdims)` ('Mean'). */ export const reduceMean = reduction('Mean');
/** `tf.reduce_sum`. */ export const reduceSum = reduction('Sum');
/** `tf.reduce_max`. */ export const reduceMax = reduction('Max');
/** `tf.reduce_min`. */ export const reduceMin = reduction('Min');

/**
 * `tf.nn.softmax_cross_entropy_with_logits(labels, logits)` for rank-2 inputs: the per-example
 * loss. The op is named 'softmax_cross_entropy_with_logits' (Python adds reshapes around it for
 * other ranks; for rank 2 they change nothing but names, so they are left out).
 */
export function softmaxCrossEntropyWithLogits(opts: { labels: TensorInput; logits: TensorInput; name?: string }): Output {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object { labels, logits }', opts);
  const dt = dtypeOf(opts.logits, opts.labels);
  return nameScope(opts.name ?? 'softmax_cross_entropy_with_logits', (scope) => {
    const logits = toTensor(opts.logits, dt, 'logits', 'logits');
    const labels = toTensor(opts.labels, dt, 'labels', 'labels');
    return addScopedOp({ type: 'SoftmaxCrossEntropyWithLogits', name: scope, inputs: [logits, labels] }).output(0);
  });
}

/**
 * `tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)`: the per-example loss, with
 * Python's ops under 'SparseSoftmaxCrossEntropyWithLogits/' (the labels' 'Shape', then the op).
 *
 * TF 2.21 has no C++ gradient for SparseSoftmaxCrossEntropyWithLogits, so by default a few ops
 * follow that give the loss a gradient TF can build: `stop(loss) + (z - stop(z))` with
 * `z = sum(logits * stop(backprop), -1)`, where `backprop` is the op's own second output (the
 * gradient Python's registered function uses). `z - stop(z)` is exactly 0, so the value is the op's
 * bit for bit (unless z overflows to inf/NaN), and the gradient is Python's `grad[..., None] * backprop`.
 * `differentiable: false` returns the op's output itself (no gradient through it).
 */
export function sparseSoftmaxCrossEntropyWithLogits(opts: {
  labels: TensorInput;
  logits: TensorInput;
  name?: string;
  differentiable?: boolean;
}): Output {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object { labels, logits }', opts);
  if (opts.differentiable !== undefined && typeof opts.differentiable !== 'boolean')
    throw invalidArgument('opts.differentiable', 'a boolean', opts.differentiable);
  return nameScope(opts.name ?? 'SparseSoftmaxCrossEntropyWithLogits', () => {
    const labels = toTensor(opts.labels, 'int32', 'labels', 'labels');
    const logits = toTensor(opts.logits, 'float32', 'logits', 'logits');
    const shape = labels.shape;
    if (shape && !shape.includes(-1)) constant(shape, { dtype: 'int32', name: 'Shape' });
    else addScopedOp({ type: 'Shape', name: 'Shape', inputs: [labels], attrs: { out_type: 'int32' } });
    const op = addScopedOp({ type: 'SparseSoftmaxCrossEntropyWithLogits', inputs: [logits, labels] });
    if (opts.differentiable === false) return op.output(0);
    return nameScope('with_gradient', (scope) => {
      const z = reduceSum(multiply(logits, stopGradient(op.output(1))), -1);
      return add(stopGradient(op.output(0)), subtract(z, stopGradient(z)), { name: scope });
    });
  });
}

const four = (v: number | number[], param: string): number[] => {
  if (typeof v === 'number') return [1, v, v, 1];
  if (Array.isArray(v) && v.length === 2) return [1, v[0], v[1], 1];
  if (Array.isArray(v) && v.length === 4) return v;
  throw invalidArgument(param, 'a number, [h, w] or [1, h, w, 1]', v);
};

/** `tf.nn.conv2d(input, filters, strides, padding)` (NHWC, 'Conv2D'). */
export function conv2d(
  input: TensorInput,
  filters: TensorInput,
  opts: { strides: number | number[]; padding: 'SAME' | 'VALID'; dilations?: number | number[]; name?: string },
): Output {
  if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object { strides, padding }', opts);
  const dt = dtypeOf(input, filters);
  return one(
    'Conv2D',
    opts.name ?? 'Conv2D',
    [
      [input, dt, 'input'],
      [filters, dt, 'filter'],
    ],
    {
      strides: four(opts.strides, 'opts.strides'),
      padding: opts.padding,
      use_cudnn_on_gpu: true,
      explicit_paddings: [],
      data_format: 'NHWC',
      dilations: four(opts.dilations ?? 1, 'opts.dilations'),
    },
  );
}

function pool(type: string, defaultName: string) {
  return (
    input: TensorInput,
    opts: { ksize: number | number[]; strides: number | number[]; padding: 'SAME' | 'VALID'; name?: string },
  ): Output => {
    if (opts === null || typeof opts !== 'object') throw invalidArgument('opts', 'an options object { ksize, strides, padding }', opts);
    return one(type, opts.name ?? defaultName, [[input, undefined, 'input']], {
      ksize: four(opts.ksize, 'opts.ksize'),
      strides: four(opts.strides, 'opts.strides'),
      padding: opts.padding,
      data_format: 'NHWC',
    });
  };
}
/** `tf.nn.max_pool2d` (MaxPool 'MaxPool2d'). */ export const maxPool = pool('MaxPool', 'MaxPool2d');
/** `tf.nn.avg_pool2d` (AvgPool 'AvgPool2D'). */ export const avgPool = pool('AvgPool', 'AvgPool2D');

/** `tf.concat(values, axis)` ('concat', axis 'concat/axis'). */
export function concat(values: TensorInput[], axis: number, opts: { name?: string } = {}): Output {
  if (!Array.isArray(values) || !values.length) throw invalidArgument('values', 'a non-empty array of tensors', values);
  return one('ConcatV2', opts.name ?? 'concat', [
    [values, dtypeOf(...values), 'values'],
    [axis, 'int32', 'axis'],
  ]);
}

/** `tf.expand_dims(input, axis)` ('ExpandDims', axis 'ExpandDims/dim'). */
export function expandDims(input: TensorInput, axis: number, opts: { name?: string } = {}): Output {
  return one('ExpandDims', opts.name ?? 'ExpandDims', [
    [input, undefined, 'input'],
    [axis, 'int32', 'dim'],
  ]);
}

/** `tf.squeeze(input, axis)` ('Squeeze'). */
export function squeeze(input: TensorInput, axis: number[] = [], opts: { name?: string } = {}): Output {
  return one('Squeeze', opts.name ?? 'Squeeze', [[input, undefined, 'input']], { squeeze_dims: axis });
}

/** `tf.transpose(a, perm)` ('transpose', perm 'transpose/perm'); `perm` is required here. */
export function transpose(a: TensorInput, perm: number[], opts: { name?: string } = {}): Output {
  if (!Array.isArray(perm)) throw invalidArgument('perm', 'an array of axes', perm);
  return one('Transpose', opts.name ?? 'transpose', [
    [a, undefined, 'x'],
    [perm, 'int32', 'perm'],
  ]);
}

/** `tf.shape(input, out_type=int32)` ('Shape'). */
export function shape(input: TensorInput, opts: { outType?: 'int32' | 'int64'; name?: string } = {}): Output {
  return one('Shape', opts.name ?? 'Shape', [[input, undefined, 'input']], { out_type: opts.outType ?? 'int32' });
}

/** `tf.gather(params, indices, axis=0)` ('GatherV2', axis 'GatherV2/axis'). */
export function gather(params: TensorInput, indices: TensorInput, axis = 0, opts: { name?: string } = {}): Output {
  return one(
    'GatherV2',
    opts.name ?? 'GatherV2',
    [
      [params, undefined, 'params'],
      [indices, 'int32', 'indices'],
      [axis, 'int32', 'axis'],
    ],
    { batch_dims: 0 },
  );
}

/** `tf.one_hot(indices, depth, on_value=1, off_value=0, axis=-1, dtype=float32)` ('one_hot'). */
export function oneHot(
  indices: TensorInput,
  depth: number,
  opts: { onValue?: number; offValue?: number; axis?: number; dtype?: DType; name?: string } = {},
): Output {
  const dtype = opts.dtype ?? 'float32';
  return nameScope(opts.name ?? 'one_hot', (scope) => {
    const on = constant(opts.onValue ?? 1, { dtype, name: 'on_value' });
    const off = constant(opts.offValue ?? 0, { dtype, name: 'off_value' });
    const d = constant(depth, { dtype: 'int32', name: 'depth' });
    const idx = toTensor(indices, 'int32', 'indices', 'indices');
    return addScopedOp({ type: 'OneHot', name: scope, inputs: [idx, d, on, off], attrs: { axis: opts.axis ?? -1 } }).output(0);
  });
}

/** `tf.zeros(shape, dtype)` ('zeros': a Const, or a Fill from 1000 elements, as Python's). */
export function zeros(shapeValue: number[], dtype: DType = 'float32', opts: { name?: string } = {}): Output {
  return filledTensor('zeros', shapeValue, dtype, opts.name);
}

/** `tf.ones(shape, dtype)` ('ones'). */
export function ones(shapeValue: number[], dtype: DType = 'float32', opts: { name?: string } = {}): Output {
  return filledTensor('ones', shapeValue, dtype, opts.name);
}

/** `tf.zeros_like(x)` ('zeros_like'). */
export function zerosLike(x: TensorInput, opts: { name?: string } = {}): Output {
  return one('ZerosLike', opts.name ?? 'zeros_like', [[x, undefined, 'x']]);
}

/** `tf.ones_like(x)` ('ones_like'). */
export function onesLike(x: TensorInput, opts: { name?: string } = {}): Output {
  return one('OnesLike', opts.name ?? 'ones_like', [[x, undefined, 'x']]);
}

/** `tf.no_op()` ('NoOp'). */
export function noOp(opts: { name?: string } = {}): Operation {
  return addScopedOp({ type: 'NoOp', name: opts.name ?? 'NoOp' });
}

/** `tf.group(*inputs)` ('group_deps'): a NoOp that runs after every input. */
export function group(inputs: Array<Operation | Output>, opts: { name?: string } = {}): Operation {
  if (!Array.isArray(inputs)) throw invalidArgument('inputs', 'an array of operations or tensors', inputs);
  const ops = inputs.map((x, i) => {
    if (x instanceof Output) return x.op;
    if (x instanceof Operation) return x;
    throw invalidArgument(`inputs[${i}]`, 'an Operation or an Output', x);
  });
  return addScopedOp({ type: 'NoOp', name: opts.name ?? 'group_deps', controlInputs: ops, graph: ops[0]?.graph });
}
