// TensorFlow's protobuf messages, generated from the descriptors embedded in the pinned TF wheel
// (scripts/gen-proto, `npm run gen:proto`), and the helpers the rest of the package uses to read and
// write them: binary (decodeBinary, toBinaryDeterministic) and text format (parseText, printText),
// both matching what Python TF reads and writes.
//
// Every generated schema and type is re-exported: `GraphDefSchema` / `GraphDef`,
// `MetaGraphDefSchema`, `EventSchema`, `SummarySchema`, `CheckpointStateSchema`, `ConfigProtoSchema`,
// `RunOptionsSchema`, `RunMetadataSchema`, `ServerDefSchema`, `ClusterDefSchema`, `SaverDefSchema`,
// `VariableDefSchema`, `CollectionDefSchema`, `QueueRunnerDefSchema`, `OpListSchema`,
// `TensorProtoSchema`, `HistogramProtoSchema`, `SessionLogSchema`, `DataType`, ...
export * from './gen';

export {
  create,
  clone,
  equals,
  isMessage,
  toBinary,
  fromBinary,
  toJson,
  fromJson,
  type DescMessage,
  type DescEnum,
  type DescField,
  type Message,
  type MessageShape,
  type MessageInitShape,
  type Registry,
} from '@bufbuild/protobuf';
export { anyPack, anyUnpack, anyIs, type Any } from '@bufbuild/protobuf/wkt';

export { registry, findMessageSchema } from './registry';
export { ProtoDecodeError, decodeBinary, toBinaryDeterministic } from './binary';
export {
  TextFormatError,
  parseText,
  printText,
  formatFloat32,
  formatDouble,
  cEscape,
  cEscapeUtf8,
  type ParseTextOptions,
  type PrintTextOptions,
} from './text-format';
