/**
 * TF's graph file formats: loading `.meta` / `.pb` / `.pbtxt` by content (`Graph.load`,
 * `Graph.fromGraphDef`, `Graph.fromMetaGraph`, `importMetaGraph`), exporting MetaGraphDefs
 * (`exportMetaGraph`) and writing graphs (`writeGraph`) that Python TF reads.
 */
export { GraphFormatError } from '../core/graph-errors';
export { detectGraphFormat, parseGraphBytes, type GraphFileFormat, type ParsedGraphFile } from './detect';
export {
  importMetaGraph,
  importGraphDefInto,
  removeDefaultAttrs,
  type GraphImportOptions,
  type FromGraphDefOptions,
  type FromMetaGraphOptions,
  type LoadGraphOptions,
} from './load';
export {
  exportMetaGraph,
  exportMetaGraphSync,
  buildMetaGraphDef,
  strippedOpListForGraph,
  stripDefaultValuedAttrs,
  type ExportMetaGraphOptions,
} from './export';
export { Graph } from './graph';
export { writeGraph, writeGraphSync, serializeGraph, atomicWrite, atomicWriteSync, type GraphLike } from './write-graph';
export { findVariables, findSaverDefs, type FoundVariables } from '../core/graph-variables';
export {
  GraphKeys,
  GraphCollections,
  VARIABLE_COLLECTION_KEYS,
  collectionProtoType,
  collectionDefsOf,
  importCollections,
  prependNameScope,
  rescopeVariableDef,
  rescopeSaverDef,
  rescopeQueueRunnerDef,
  type GraphElement,
  type ProtoConvertible,
  type ImportCollectionsOptions,
} from '../core/collections';
export {
  MissingOpsError,
  GraphVersionError,
  checkGraphDefSupported,
  opsUsedByGraphDef,
  libraryGraphDefVersion,
} from '../core/missing-ops';
