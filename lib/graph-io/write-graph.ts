/**
 * Python's `tf.io.write_graph` (alias `tf.compat.v1.train.write_graph`): a GraphDef (or any graph
 * message) to `<logdir>/<name>`, as text (`text_format.MessageToString`, byte-identical) or binary
 * (`SerializeToString(deterministic=True)`, byte-identical), creating `logdir` as needed and
 * writing atomically (a temporary file in the same folder, then a rename), as Python's
 * `atomic_write_string_to_file`.
 */
import path from 'node:path';
import * as io from '../core/file-io';
import { joinPath, schemeOf } from '../core/tf-filesystem';
import { isMessage } from '@bufbuild/protobuf';
import { GraphDefSchema, type GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import { MetaGraphDefSchema, type MetaGraphDef } from '../proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { ProtoDecodeError, decodeBinary, toBinaryDeterministic } from '../proto/binary';
import { printText } from '../proto/text-format';
import { Graph } from '../core/graph';
import { invalidArgument } from '../core/errors';
import { ioError } from '../core/io-errors';
import { checkPath } from '../core/options';
import { GraphFormatError } from '../core/graph-errors';

/** What writeGraph writes: a Graph (its GraphDef, without shapes, as Python), a GraphDef or MetaGraphDef message, or GraphDef bytes. */
export type GraphLike = Graph | GraphDef | MetaGraphDef | Uint8Array;

/** The file content Python would write for `graphOrGraphDef`. */
export function serializeGraph(graphOrGraphDef: GraphLike, asText: boolean, param = 'graphOrGraphDef'): Uint8Array | string {
  let msg: GraphDef | MetaGraphDef;
  if (graphOrGraphDef instanceof Graph) msg = graphOrGraphDef.asGraphDef();
  else if (graphOrGraphDef instanceof Uint8Array) {
    try {
      msg = decodeBinary(GraphDefSchema, graphOrGraphDef);
    } catch (e) {
      throw new GraphFormatError(
        `${param} is not a serialized tensorflow.GraphDef: ${e instanceof ProtoDecodeError ? e.reason : String(e)}`,
        { cause: e },
      );
    }
  } else if (
    isMessage(graphOrGraphDef) &&
    (graphOrGraphDef.$typeName === 'tensorflow.GraphDef' || graphOrGraphDef.$typeName === 'tensorflow.MetaGraphDef')
  ) {
    msg = graphOrGraphDef;
  } else {
    throw invalidArgument(param, 'a Graph, a GraphDef or MetaGraphDef message, or GraphDef bytes', graphOrGraphDef);
  }
  if (msg.$typeName === 'tensorflow.MetaGraphDef') {
    return asText ? printText(MetaGraphDefSchema, msg) : toBinaryDeterministic(MetaGraphDefSchema, msg);
  }
  return asText ? printText(GraphDefSchema, msg) : toBinaryDeterministic(GraphDefSchema, msg);
}

function check(logdir: unknown, name: unknown, asText: unknown): void {
  checkPath(logdir, 'logdir');
  checkPath(name, 'name');
  if (typeof asText !== 'boolean') throw invalidArgument('asText', 'a boolean', asText);
}

/** Python's atomic_write_string_to_file (lib/core/file-io.ts): a temp file and a rename, in place where TF has no atomic move. */
export const atomicWrite = (file: string, data: Uint8Array | string): Promise<void> => io.atomicWrite(file, data);

/** Synchronous {@link atomicWrite}. */
export const atomicWriteSync = (file: string, data: Uint8Array | string): void => io.atomicWriteSync(file, data);

/** `<logdir>/<name>`: normalised for a local path (as before), as given after a scheme. */
function fileIn(logdir: string, name: string): string {
  return schemeOf(logdir) === null ? path.join(logdir, name) : joinPath(logdir, name);
}

/**
 * Python's `tf.io.write_graph(graph_or_graph_def, logdir, name, as_text=True)`: writes the graph to
 * `<logdir>/<name>` and resolves to that path. A Graph is written without `_output_shapes`, as
 * Python's does; pass `graph.asGraphDef({ addShapes: true })` for what CheckpointSaverHook writes.
 * @example await writeGraph(graph, 'runs/a', 'graph.pbtxt');
 */
export async function writeGraph(graphOrGraphDef: GraphLike, logdir: string, name: string, asText = true): Promise<string> {
  check(logdir, name, asText);
  const data = serializeGraph(graphOrGraphDef, asText);
  io.usesTfFilesystem(logdir, 'logdir');
  const file = fileIn(logdir, name);
  try {
    await io.mkdirp(logdir);
    await atomicWrite(file, data);
  } catch (e) {
    throw ioError(e, file); // a typed error naming the file (a full disk was a bare ENOSPC)
  }
  return file;
}

/** Synchronous {@link writeGraph}. */
export function writeGraphSync(graphOrGraphDef: GraphLike, logdir: string, name: string, asText = true): string {
  check(logdir, name, asText);
  const data = serializeGraph(graphOrGraphDef, asText);
  io.usesTfFilesystem(logdir, 'logdir');
  const file = fileIn(logdir, name);
  try {
    io.mkdirpSync(logdir);
    atomicWriteSync(file, data);
  } catch (e) {
    throw ioError(e, file);
  }
  return file;
}
