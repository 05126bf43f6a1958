/**
 * Building TF1 graphs in TypeScript (the `ops` namespace of the package): scopes, constants and
 * placeholders, the most used ops under Python's names, gradients, variables and initializers,
 * random seeds, and every op of the registry as a typed function in `raw`. docs/model-building.md.
 */
export {
  asDefault,
  defaultGraph,
  nameScope,
  controlDependencies,
  device,
  uniqueName,
  currentNameScope,
  addScopedOp,
  type ScopedOpSpec,
} from './scope';
export { constant, placeholder, toTensor, type ConstantOptions, type PlaceholderOptions, type TensorInput } from './constant';
export * from './math';
export { gradients, GradientNotFoundError, type GradientsOptions } from './gradients';
export {
  Variable,
  variableScope,
  currentVariableScope,
  getVariable,
  globalVariables,
  trainableVariables,
  localVariables,
  variablesInitializer,
  globalVariablesInitializer,
  localVariablesInitializer,
  createGlobalStep,
  getGlobalStep,
  getOrCreateGlobalStep,
  type GetVariableOptions,
  type VariableScope,
  type Reuse,
} from './variables';
export {
  zerosInitializer,
  onesInitializer,
  constantInitializer,
  randomNormalInitializer,
  truncatedNormalInitializer,
  randomUniformInitializer,
  glorotUniformInitializer,
  computeFans,
  type Initializer,
  type RandomOptions,
} from './initializers';
export { setRandomSeed, graphSeed, getSeed, DEFAULT_GRAPH_SEED } from './random-seed';
export type { OpOptions, OpInput, VariableInput } from './op-call';
export * as raw from './gen';
