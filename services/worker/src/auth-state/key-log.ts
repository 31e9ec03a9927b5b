// The key half of one session's auth-state: an append-only, checksummed log (keys.log) in which every durable
// commit is one batch. An in-memory index maps each live key to where its value sits; values are read back
// with positional reads, so memory holds offsets, not values. A crash mid-append leaves a torn last batch,
// which the next open recognises by its checksum and cuts off: every key keeps its old or its new value.
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { FILE_MODE, fsyncDir, TEMP_MARKER } from './atomic-file.ts';

const MAGIC = 0x57494b31; // "WIK1"
const MAGIC_BYTES = Buffer.from([0x57, 0x49, 0x4b, 0x31]);
/** magic u32 | body length u32 | crc32(body) u32, big endian */
const HEADER = 12;
const OP_PUT = 1;
const OP_DELETE = 2;
const OP_CLEAR = 3;
const MAX_KEY_BYTES = 0xffff;
/** Batches written by compaction stay below this body size. */
const COMPACT_BATCH_BYTES = 1 << 20;

export type KeyOp =
  | { op: 'put'; key: string; value: Buffer }
  | { op: 'delete'; key: string }
  | { op: 'clear' };

interface Slot {
  offset: number;
  length: number;
}

/** Reads in flight keep a replaced (compacted-away) file open until they finish. */
class Handle {
  readers = 0;
  retired = false;
  readonly file: FileHandle;
  constructor(file: FileHandle) {
    this.file = file;
  }

  async retire(): Promise<void> {
    this.retired = true;
    if (this.readers === 0) await this.file.close();
  }
}

/** The log is damaged somewhere other than a torn tail: refuse it rather than guess. */
export class CorruptLogError extends Error {
  override readonly name = 'CorruptLogError';
  readonly offset: number;
  constructor(offset: number, detail: string) {
    super(`keys.log corrupt at byte ${offset}: ${detail}`);
    this.offset = offset;
  }
}

export interface KeyLogOptions {
  /** Compaction starts once the file is larger than this and more than twice the live data. */
  compactMinBytes: number;
}

export class KeyLog {
  readonly path: string;
  readonly #options: KeyLogOptions;
  #handle: Handle;
  #index = new Map<string, Slot>();
  #end = 0;
  #liveBytes = 0;

  private constructor(path: string, handle: Handle, options: KeyLogOptions) {
    this.path = path;
    this.#handle = handle;
    this.#options = options;
  }

  /** Creates an empty log; the caller makes the directory entry durable. */
  static async create(path: string, options: KeyLogOptions): Promise<KeyLog> {
    const file = await open(path, 'wx+', FILE_MODE);
    await file.sync();
    return new KeyLog(path, new Handle(file), options);
  }

  /** Opens and replays an existing log; throws the OS error or CorruptLogError. */
  static async open(path: string, options: KeyLogOptions): Promise<KeyLog> {
    const file = await open(path, 'r+');
    const log = new KeyLog(path, new Handle(file), options);
    try {
      await log.#replay();
    } catch (error) {
      await file.close();
      throw error;
    }
    return log;
  }

  get size(): number {
    return this.#end;
  }

  get keyCount(): number {
    return this.#index.size;
  }

  async read(key: string): Promise<Buffer | undefined> {
    const slot = this.#index.get(key);
    if (!slot) return undefined;
    const handle = this.#handle;
    handle.readers++;
    try {
      const bytes = Buffer.allocUnsafe(slot.length);
      await readFully(handle.file, bytes, slot.offset);
      return bytes;
    } finally {
      handle.readers--;
      if (handle.retired && handle.readers === 0) await handle.file.close();
    }
  }

  /** Appends one batch and waits until it is on stable storage; only then does the index see it. */
  async append(ops: readonly KeyOp[]): Promise<void> {
    if (ops.length === 0) return;
    const { bytes, slots } = encodeBatch(ops, this.#end);
    await writeFully(this.#handle.file, bytes, this.#end);
    await this.#handle.file.datasync();
    this.#end += bytes.length;
    for (const [i, op] of ops.entries()) this.#apply(op, slots[i]);
    if (this.#end > this.#options.compactMinBytes && this.#end > 2 * this.#liveBytes) await this.compact();
  }

  /** Rewrites the live entries into a new file (temp + fsync + rename + fsync of the directory). */
  async compact(): Promise<void> {
    const temp = `${this.path}${TEMP_MARKER}compact`;
    await unlink(temp).catch(() => {});
    const file = await open(temp, 'wx+', FILE_MODE);
    const index = new Map<string, Slot>();
    let end = 0;
    try {
      const live = [...this.#index].sort((a, b) => a[1].offset - b[1].offset);
      let chunk: Extract<KeyOp, { op: 'put' }>[] = [];
      let chunkBytes = 0;
      const writeChunk = async () => {
        const { bytes, slots } = encodeBatch(chunk, end);
        await writeFully(file, bytes, end);
        for (const [i, op] of chunk.entries()) index.set(op.key, slots[i]!);
        end += bytes.length;
        chunk = [];
        chunkBytes = 0;
      };
      for (const [key, slot] of live) {
        const value = Buffer.allocUnsafe(slot.length);
        await readFully(this.#handle.file, value, slot.offset);
        chunk.push({ op: 'put', key, value });
        chunkBytes += slot.length + key.length;
        if (chunkBytes >= COMPACT_BATCH_BYTES) await writeChunk();
      }
      if (chunk.length > 0) await writeChunk();
      await file.sync();
      await rename(temp, this.path);
    } catch (error) {
      await file.close();
      await unlink(temp).catch(() => {});
      throw error;
    }
    const old = this.#handle;
    this.#handle = new Handle(file);
    this.#index = index;
    this.#end = end;
    await old.retire();
    await fsyncDir(dirname(this.path));
  }

  async close(): Promise<void> {
    await this.#handle.retire();
  }

  #apply(op: KeyOp, slot: Slot | undefined): void {
    if (op.op === 'clear') {
      this.#index.clear();
      this.#liveBytes = 0;
      return;
    }
    const previous = this.#index.get(op.key);
    if (previous) {
      this.#index.delete(op.key);
      this.#liveBytes -= entrySize(op.key, previous.length);
    }
    if (op.op === 'put' && slot) {
      this.#index.set(op.key, slot);
      this.#liveBytes += entrySize(op.key, slot.length);
    }
  }

  async #replay(): Promise<void> {
    const file = this.#handle.file;
    const { size } = await file.stat();
    const bytes = Buffer.allocUnsafe(size);
    await readFully(file, bytes, 0);
    let pos = 0;
    for (let length = batchLengthAt(bytes, pos); length >= 0; length = batchLengthAt(bytes, pos)) {
      decodeBody(bytes, pos + HEADER, length, (op, slot) => this.#apply(op, slot));
      pos += HEADER + length;
    }
    this.#end = pos;
    if (pos === size) return;
    // An invalid batch is a torn tail only if no complete batch follows it.
    for (let at = bytes.indexOf(MAGIC_BYTES, pos + 1); at !== -1; at = bytes.indexOf(MAGIC_BYTES, at + 1)) {
      if (batchLengthAt(bytes, at) >= 0) {
        throw new CorruptLogError(pos, `damaged batch followed by a complete one at byte ${at}`);
      }
    }
    await file.truncate(pos);
    await file.datasync();
  }
}

function entrySize(key: string, valueLength: number): number {
  return 7 + Buffer.byteLength(key) + valueLength;
}

/** Length of the body of a complete, checksummed batch at `pos`, or -1. */
function batchLengthAt(bytes: Buffer, pos: number): number {
  if (bytes.length - pos < HEADER || bytes.readUInt32BE(pos) !== MAGIC) return -1;
  const length = bytes.readUInt32BE(pos + 4);
  if (pos + HEADER + length > bytes.length) return -1;
  const body = bytes.subarray(pos + HEADER, pos + HEADER + length);
  return crc32(body) === bytes.readUInt32BE(pos + 8) ? length : -1;
}

/** Body entries: op u8, then for put/delete key length u16 + key, then for put value length u32 + value. */
function encodeBatch(ops: readonly KeyOp[], at: number): { bytes: Buffer; slots: (Slot | undefined)[] } {
  const keys = ops.map((op) => (op.op === 'clear' ? undefined : Buffer.from(op.key, 'utf8')));
  let length = 0;
  for (const [i, op] of ops.entries()) {
    const key = keys[i];
    if (key && key.length > MAX_KEY_BYTES)
      throw new RangeError(`auth-state key too long: ${key.length} bytes`);
    length += 1 + (key ? 2 + key.length : 0) + (op.op === 'put' ? 4 + op.value.length : 0);
  }
  const bytes = Buffer.allocUnsafe(HEADER + length);
  const slots: (Slot | undefined)[] = [];
  let pos = HEADER;
  for (const [i, op] of ops.entries()) {
    bytes[pos++] = op.op === 'put' ? OP_PUT : op.op === 'delete' ? OP_DELETE : OP_CLEAR;
    const key = keys[i];
    if (key) {
      pos = bytes.writeUInt16BE(key.length, pos);
      pos += key.copy(bytes, pos);
    }
    if (op.op === 'put') {
      pos = bytes.writeUInt32BE(op.value.length, pos);
      slots.push({ offset: at + pos, length: op.value.length });
      pos += op.value.copy(bytes, pos);
    } else {
      slots.push(undefined);
    }
  }
  bytes.writeUInt32BE(MAGIC, 0);
  bytes.writeUInt32BE(length, 4);
  bytes.writeUInt32BE(crc32(bytes.subarray(HEADER)), 8);
  return { bytes, slots };
}

function decodeBody(
  bytes: Buffer,
  start: number,
  length: number,
  apply: (op: KeyOp, slot: Slot | undefined) => void,
): void {
  const end = start + length;
  let pos = start;
  const need = (n: number) => {
    if (pos + n > end) throw new CorruptLogError(pos, 'entry runs past its batch');
  };
  while (pos < end) {
    const op = bytes[pos++];
    if (op === OP_CLEAR) {
      apply({ op: 'clear' }, undefined);
      continue;
    }
    if (op !== OP_PUT && op !== OP_DELETE) throw new CorruptLogError(pos - 1, `unknown entry type ${op}`);
    need(2);
    const keyLength = bytes.readUInt16BE(pos);
    pos += 2;
    need(keyLength);
    const key = bytes.toString('utf8', pos, pos + keyLength);
    pos += keyLength;
    if (op === OP_DELETE) {
      apply({ op: 'delete', key }, undefined);
      continue;
    }
    need(4);
    const valueLength = bytes.readUInt32BE(pos);
    pos += 4;
    need(valueLength);
    apply({ op: 'put', key, value: Buffer.alloc(0) }, { offset: pos, length: valueLength });
    pos += valueLength;
  }
}

async function readFully(file: FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await file.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new CorruptLogError(position + done, 'unexpected end of file');
    done += bytesRead;
  }
}

async function writeFully(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
