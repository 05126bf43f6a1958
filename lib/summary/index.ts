/**
 * TensorBoard summaries: event files written through TF's own writer (FileWriter), one writer per
 * directory (FileWriterCache), Summary builders, and reading events back (summaryIterator).
 */
export { FileWriter, checkStep, metaGraphDefFromGraphDef, logdirKey, type FileWriterOptions, type GlobalStep } from './file-writer';
export { FileWriterCache, SummaryWriterCache, type FileWriterCacheGetOptions } from './file-writer-cache';
export {
  scalarSummary,
  stepsPerSecSummary,
  histogramSummary,
  histogramProto,
  textSummary,
  imageSummary,
  imageProto,
  encodePng,
  mergeSummaries,
  sessionLog,
  DEFAULT_BUCKET_LIMITS,
  type RawImage,
  type SessionStatusName,
} from './summary-builders';
export { summaryIterator, tfRecordIterator, readEvents, type SummaryIteratorOptions, type RawRecord } from './summary-iterator';
export { crc32c, maskCrc, maskedCrc32c } from '../core/crc32c';
