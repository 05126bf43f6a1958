/**
 * Real data for training (docs/data.md): numpy's `.npy`/`.npz` files read into Tensors, batches
 * over the first axis with a seeded shuffle per epoch, and a hook feeding them to a session.
 */
export { DataFormatError } from './errors';
export { parseNpy, readNpy, encodeNpy, writeNpy } from './npy';
export { parseNpz, readNpz } from './npz';
export { batches, type Batch, type BatchOptions, type BatchSource, type Example, type RecordSource } from './batches';
export { BatchFeedHook, feedFromBatches, type BatchIterable } from './feed-hook';
export { MT19937 } from './mt19937';
