// The durable send queue of one instance: a message is written here (fsynced) before the worker tells the
// gateway "queued", and removed only after its outcome event is published. After a crash, what is left is
// replayed in acceptance order with the same WhatsApp message id.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type SendRequest, sendRequest } from '@whatisup/contracts';
import { ensureDir, fsyncDir, writeFileAtomic } from '../auth-state/atomic-file.ts';

export interface OutboxEntry {
  request: SendRequest;
  wa_message_id: string;
  accepted_at: string;
}

export class Outbox {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async put(entry: OutboxEntry): Promise<void> {
    await ensureDir(this.#dir);
    await writeFileAtomic(this.#path(entry.request.message_id), JSON.stringify(entry));
  }

  async remove(messageId: string): Promise<void> {
    await rm(this.#path(messageId), { force: true });
    await fsyncDir(this.#dir);
  }

  /** Entries left by a previous run, oldest first (message ids sort by acceptance time). */
  async pending(): Promise<OutboxEntry[]> {
    await ensureDir(this.#dir);
    const files = (await readdir(this.#dir)).filter((f) => f.endsWith('.json')).sort();
    const entries: OutboxEntry[] = [];
    for (const file of files) {
      const raw = JSON.parse(await readFile(join(this.#dir, file), 'utf8')) as OutboxEntry;
      entries.push({ ...raw, request: sendRequest.parse(raw.request) });
    }
    return entries;
  }

  #path(messageId: string): string {
    if (!/^msg_[0-9a-z]{26}$/.test(messageId)) throw new Error(`bad message id ${messageId}`);
    return join(this.#dir, `${messageId}.json`);
  }
}
