/**
 * Recognises a graph file by its content, whatever its name: a binary MetaGraphDef (`.meta`), a
 * binary GraphDef (`.pb`), or either one in text format (`graph.pbtxt`, a text `.meta`). Anything
 * else, and anything malformed, is a {@link GraphFormatError} that names the file and the problem
 * (a known non-graph file type, truncated bytes, a text syntax error with line and column, ...).
 */
import { fromBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import { GraphDefSchema, type GraphDef } from '../proto/gen/tensorflow/core/framework/graph_pb';
import { MetaGraphDefSchema, type MetaGraphDef } from '../proto/gen/tensorflow/core/protobuf/meta_graph_pb';
import { SavedModelSchema } from '../proto/gen/tensorflow/core/protobuf/saved_model_pb';
import { EventSchema } from '../proto/gen/tensorflow/core/util/event_pb';
import { TextFormatError, parseText } from '../proto/text-format';
import { maskedCrc32c } from '../core/crc32c';
import { GraphFormatError } from '../core/graph-errors';

export type GraphFileFormat = 'meta_graph' | 'graph_def' | 'meta_graph_text' | 'graph_def_text';

export interface ParsedGraphFile {
  format: GraphFileFormat;
  /** Set when the input is a GraphDef. */
  graphDef?: GraphDef;
  /** Set when the input is a MetaGraphDef. */
  metaGraphDef?: MetaGraphDef;
}

const GRAPH_DEF_FIELDS = new Set(['node', 'versions', 'version', 'library', 'debug_info']);
const META_GRAPH_FIELDS = new Set([
  'meta_info_def',
  'graph_def',
  'saver_def',
  'collection_def',
  'signature_def',
  'asset_file_def',
  'object_graph_def',
]);

/** TF's node name rule (`[A-Za-z0-9.][A-Za-z0-9_.\-/>]*`). */
const NODE_NAME = /^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$/;
/** Op and function names: printable names without spaces. */
const OP_NAME = /^[A-Za-z0-9_.\-/>]+$/;

/**
 * Parses a graph file's bytes (see the module comment for what it accepts).
 *
 * How binary input is told apart: both messages start with field 1 (a NodeDef in a GraphDef, the
 * MetaInfoDef in a MetaGraphDef), so the bytes are decoded as both and each reading is checked for
 * plausibility: no unknown fields where the schema is complete, node names and op names that are
 * valid TF names. Only one reading survives for real files.
 */
export function parseGraphBytes(bytes: Uint8Array, opts: { file?: string } = {}): ParsedGraphFile {
  const fail = (reason: string, extra: { line?: number; column?: number; cause?: unknown } = {}) =>
    new GraphFormatError(reason, { file: opts.file, ...extra });
  if (!(bytes instanceof Uint8Array)) throw fail('expected the bytes of a graph file (a Uint8Array)');
  if (bytes.length === 0) throw fail('the file is empty; expected a MetaGraphDef or a GraphDef (binary or text)');

  const text = asText(bytes);
  if (text !== null) return parseTextGraph(text, opts.file, fail);

  const other = knownNonGraph(bytes);
  if (other) throw fail(`not a graph: this is ${other}; expected a MetaGraphDef (.meta) or a GraphDef (.pb, .pbtxt)`);

  const meta = tryDecode(MetaGraphDefSchema, bytes);
  const graph = tryDecode(GraphDefSchema, bytes);
  const metaOk = meta.message !== undefined && plausibleMetaGraphDef(meta.message);
  const graphOk = graph.message !== undefined && plausibleGraphDef(graph.message, true);
  if (metaOk && (!graphOk || (meta.message!.graphDef?.node.length ?? 0) > 0)) return { format: 'meta_graph', metaGraphDef: meta.message };
  if (graphOk) return { format: 'graph_def', graphDef: graph.message };
  // Files written by a newer TF may carry fields this schema does not know: accept them when the
  // names still make sense.
  if (graph.message !== undefined && graph.message.node.length > 0 && plausibleGraphDef(graph.message, false)) {
    return { format: 'graph_def', graphDef: graph.message };
  }
  if (meta.message !== undefined && lenientMeta(meta.message)) return { format: 'meta_graph', metaGraphDef: meta.message };

  if (meta.error && graph.error) {
    const eof = (e: string) => /EOF|premature|truncat/i.test(e);
    // The reading that only ran out of bytes is the likely one: name it first.
    const readings = [`as a tensorflow.MetaGraphDef (${meta.error})`, `as a tensorflow.GraphDef (${graph.error})`];
    if (eof(graph.error) && !eof(meta.error)) readings.reverse();
    throw fail(
      `${eof(meta.error) || eof(graph.error) ? 'truncated or corrupted' : 'corrupted, or not a graph'}: ` +
        `cannot decode it ${readings.join(' or ')}`,
    );
  }
  throw fail(
    'not a graph: the bytes are a valid protobuf message, but neither a tensorflow.MetaGraphDef nor a tensorflow.GraphDef ' +
      '(unknown fields, or node and op names that are not TF names)',
  );
}

/** The format of a graph file's bytes (see {@link parseGraphBytes}). */
export function detectGraphFormat(bytes: Uint8Array, opts: { file?: string } = {}): GraphFileFormat {
  return parseGraphBytes(bytes, opts).format;
}

// ---------------------------------------------------------------------------------------------
// Text

function asText(bytes: Uint8Array): string | null {
  let s: string;
  try {
    s = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
  // Binary protos are full of control bytes (tags 0x12, 0x1a, lengths): text has none but whitespace.
  return /[\x00-\x08\x0e-\x1f\x7f]/.test(s) ? null : s;
}

type Fail = (reason: string, extra?: { line?: number; column?: number; cause?: unknown }) => GraphFormatError;

function parseTextGraph(text: string, file: string | undefined, fail: Fail): ParsedGraphFile {
  const first = firstToken(text);
  if (!first) throw fail('the text file holds no fields; expected a text GraphDef or MetaGraphDef');
  let schema: typeof GraphDefSchema | typeof MetaGraphDefSchema;
  if (GRAPH_DEF_FIELDS.has(first.token)) schema = GraphDefSchema;
  else if (META_GRAPH_FIELDS.has(first.token)) schema = MetaGraphDefSchema;
  else {
    throw fail(
      `not a graph: text whose first field is '${first.token}' is neither a tensorflow.GraphDef ` +
        `(fields ${[...GRAPH_DEF_FIELDS].join(', ')}) nor a tensorflow.MetaGraphDef`,
      { line: first.line, column: first.column },
    );
  }
  try {
    const message = parseText(schema, text, { file });
    return schema === GraphDefSchema
      ? { format: 'graph_def_text', graphDef: message as GraphDef }
      : { format: 'meta_graph_text', metaGraphDef: message as MetaGraphDef };
  } catch (e) {
    if (e instanceof TextFormatError) {
      throw fail(`invalid text ${schema.typeName}: ${e.reason}`, { line: e.line, column: e.column, cause: e });
    }
    throw e;
  }
}

// The first token after whitespace and '#' comments, with its 1-based position.
function firstToken(text: string): { token: string; line: number; column: number } | null {
  let line = 1;
  let col = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      line++;
      col = 1;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      col++;
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 200));
      return { token: m ? m[0] : c, line, column: col };
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Binary

function tryDecode<Desc extends DescMessage>(
  schema: Desc,
  bytes: Uint8Array,
): { message?: ReturnType<typeof fromBinary<Desc>>; error?: string } {
  try {
    return { message: fromBinary(schema, bytes) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

const hasUnknown = (m: Message | undefined): boolean => !!m && !!m.$unknown?.length;

function plausibleGraphDef(g: GraphDef, strict: boolean): boolean {
  if (strict && (hasUnknown(g) || hasUnknown(g.versions) || hasUnknown(g.library))) return false;
  for (const n of g.node) {
    if (strict && hasUnknown(n)) return false;
    if (!NODE_NAME.test(n.name) || !OP_NAME.test(n.op)) return false;
  }
  for (const f of g.library?.function ?? []) {
    if (strict && hasUnknown(f)) return false;
    if (!f.signature || !OP_NAME.test(f.signature.name)) return false;
  }
  return true;
}

function plausibleMetaGraphDef(m: MetaGraphDef): boolean {
  if (hasUnknown(m) || hasUnknown(m.metaInfoDef) || hasUnknown(m.saverDef)) return false;
  if (!m.graphDef && !m.metaInfoDef && !m.saverDef) return false;
  if (m.graphDef && !plausibleGraphDef(m.graphDef, true)) return false;
  return plausibleMetaInfo(m);
}

function lenientMeta(m: MetaGraphDef): boolean {
  return !!m.graphDef && m.graphDef.node.length > 0 && plausibleGraphDef(m.graphDef, false) && plausibleMetaInfo(m);
}

function plausibleMetaInfo(m: MetaGraphDef): boolean {
  const info = m.metaInfoDef;
  if (!info) return true;
  if (info.strippedOpList && !info.strippedOpList.op.every((op) => OP_NAME.test(op.name))) return false;
  return /^[\x20-\x7e]*$/.test(info.tensorflowVersion) && /^[\x20-\x7e]*$/.test(info.tensorflowGitVersion);
}

// Names common files that are not graphs, from their magic numbers and framing.
function knownNonGraph(b: Uint8Array): string | null {
  const starts = (...sig: number[]) => sig.every((x, i) => b[i] === x);
  if (starts(0xff, 0xd8, 0xff)) return 'a JPEG image';
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'a PNG image';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'a GIF image';
  if (starts(0x1f, 0x8b)) return 'gzip-compressed data (decompress it first)';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'a ZIP archive';
  if (starts(0x7f, 0x45, 0x4c, 0x46)) return 'an ELF binary (a program or shared library)';
  if (b.length >= 16) {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (maskedCrc32c(b, 0, 8) === view.getUint32(8, true)) {
      const len = Number(view.getBigUint64(0, true));
      if (len <= b.length - 16) {
        try {
          const ev = fromBinary(EventSchema, b.subarray(12, 12 + len));
          if (ev.wallTime > 0 && !ev.$unknown?.length)
            return 'an event file (TFRecord of tensorflow.Event records, as summary writers write)';
        } catch {
          /* a TFRecord of something else */
        }
      }
      return 'a TFRecord file';
    }
    // The footer magic of TF's table format (tensorflow/core/lib/io/format.h): a checkpoint .index.
    const tail = b.subarray(b.length - 8);
    if ([0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb].every((x, i) => tail[i] === x)) {
      return "a checkpoint index (.index; a checkpoint's graph is in its .meta file)";
    }
  }
  if (b[0] === 0x08) {
    // field 1 varint: not a GraphDef or MetaGraphDef, but SavedModel's saved_model_schema_version.
    try {
      const sm = fromBinary(SavedModelSchema, b);
      if (sm.metaGraphs.length && !sm.$unknown?.length) {
        const tags = sm.metaGraphs.map((m) => `[${m.metaInfoDef?.tags.join(', ') ?? ''}]`).join(', ');
        return (
          `a SavedModel (saved_model.pb) holding ${sm.metaGraphs.length} MetaGraphDef(s) with tags ${tags}; ` +
          'decode it with SavedModelSchema and pass one of its metaGraphs to Graph.fromMetaGraph'
        );
      }
    } catch {
      /* not a SavedModel */
    }
  }
  return null;
}
