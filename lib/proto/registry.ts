// One registry of every message and enum type generated from TF's schema, plus the well-known types
// TF imports. Used to expand google.protobuf.Any in text format and for toJson/fromJson of messages
// that hold an Any (MetaInfoDef.any_info, CollectionDef.any_list).
import { createRegistry, type DescMessage, type Registry } from '@bufbuild/protobuf';
import { file_google_protobuf_any, file_google_protobuf_wrappers } from '@bufbuild/protobuf/wkt';
import { GENERATED_FILES } from './gen/files';

export const registry: Registry = createRegistry(file_google_protobuf_any, file_google_protobuf_wrappers, ...GENERATED_FILES);

/** The schema of a message type by its full name (`tensorflow.GraphDef`), or undefined. */
export function findMessageSchema(typeName: string): DescMessage | undefined {
  return registry.getMessage(typeName.startsWith('.') ? typeName.slice(1) : typeName);
}
