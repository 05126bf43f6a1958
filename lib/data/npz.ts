/**
 * numpy's `.npz` (`np.savez`, `np.savez_compressed`): a zip archive of `.npy` members, stored or
 * deflated. The archive is read by yauzl; each member's CRC-32 is checked (yauzl leaves that to
 * its caller) so a corrupted archive is an error rather than wrong numbers.
 */
import { crc32 } from 'node:zlib';
import { fromBufferPromise, type Entry, type ZipFile } from 'yauzl';
import { readFile } from '../core/file-io';
import { invalidArgument } from '../core/errors';
import type { Tensor } from '../core/tensor';
import { DataFormatError } from './errors';
import { parseNpy } from './npy';

/**
 * The arrays of `.npz` bytes, keyed as numpy's `NpzFile` keys them (the member name without
 * `.npy`: `np.savez(f, images=a)` → `images`). Members not ending in `.npy` are skipped.
 * @throws DataFormatError naming `name` (and the member) for a bad archive or a bad member.
 */
export async function parseNpz(bytes: Uint8Array, name = '<bytes>'): Promise<Record<string, Tensor>> {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument('bytes', 'a Uint8Array (the contents of a .npz file)', bytes);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zip: ZipFile;
  try {
    zip = await fromBufferPromise(buffer, { lazyEntries: true, strictFileNames: false });
  } catch (e) {
    throw new DataFormatError(name, `not a readable zip archive (.npz): ${(e as Error).message}`, { cause: e });
  }
  const out: Record<string, Tensor> = Object.create(null);
  try {
    for await (const entry of zip.eachEntry()) {
      if (!entry.fileName.endsWith('.npy')) continue;
      const member = `${name}[${entry.fileName}]`;
      const data = await readMember(zip, entry, member);
      out[entry.fileName.slice(0, -'.npy'.length)] = parseNpy(data, member);
    }
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    throw new DataFormatError(name, `corrupted zip archive (.npz): ${(e as Error).message}`, { cause: e });
  } finally {
    zip.close();
  }
  return out;
}

async function readMember(zip: ZipFile, entry: Entry, member: string): Promise<Uint8Array> {
  if (entry.isEncrypted()) throw new DataFormatError(member, 'encrypted zip member');
  const chunks: Buffer[] = [];
  try {
    const stream = await zip.openReadStreamPromise(entry);
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (e) {
    throw new DataFormatError(member, `corrupted zip member: ${(e as Error).message}`, { cause: e });
  }
  const data = Buffer.concat(chunks);
  const sum = crc32(data);
  if (sum !== entry.crc32) {
    throw new DataFormatError(member, `corrupted zip member: CRC-32 ${hex(sum)} of the contents, ${hex(entry.crc32)} recorded`);
  }
  return data;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** The arrays of a `.npz` file (local, or any scheme TF's filesystem knows); see {@link parseNpz}. */
export async function readNpz(path: string): Promise<Record<string, Tensor>> {
  if (typeof path !== 'string' || path === '') throw invalidArgument('path', 'a .npz file path', path);
  return parseNpz(await readFile(path), path);
}
