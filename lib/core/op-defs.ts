/**
 * The op registry of the loaded libtensorflow (TF_GetAllOpList), decoded once. The op builder
 * uses it to name unknown ops and attrs clearly and to turn JS attr values into the right kind.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { OpListSchema, type OpDef } from '../proto/gen/tensorflow/core/framework/op_def_pb';
import { native } from '../native';

let registry: Map<string, OpDef> | null = null;

export function opDefs(): Map<string, OpDef> {
  if (!registry) {
    const list = fromBinary(OpListSchema, native().allOpList());
    registry = new Map(list.op.map((op) => [op.name, op]));
  }
  return registry;
}

export function opDef(type: string): OpDef | undefined {
  return opDefs().get(type);
}
