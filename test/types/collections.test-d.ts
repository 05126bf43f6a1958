/** Type tests: the typed collection accessors return TF's messages. */
import { describe, expectTypeOf, it } from 'vitest';
import type { Graph } from '../../lib';
import type { SaverDef } from '../../lib/proto/gen/tensorflow/core/protobuf/saver_pb';
import type { VariableDef } from '../../lib/proto/gen/tensorflow/core/framework/variable_pb';

declare const graph: Graph;

describe('graph.collections accessors', () => {
  it('variables() and trainableVariables() give VariableDefs, savers() SaverDefs', () => {
    expectTypeOf(graph.collections.variables()).toEqualTypeOf<VariableDef[]>();
    expectTypeOf(graph.collections.trainableVariables()).toEqualTypeOf<VariableDef[]>();
    expectTypeOf(graph.collections.savers()).toEqualTypeOf<SaverDef[]>();
  });
});
