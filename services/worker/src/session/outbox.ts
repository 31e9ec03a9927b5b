// The durable send queue of one instance: a message is written here (fsynced) before the worker tells the
// gateway "queued", and removed only after its outcome event is published. After a crash, what is left is
// replayed in acceptance order with the same WhatsApp message id.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SendRequest, sendRequest } from '@whatisup/contracts';
import { removeDurably, writeFileDurably } from './durable-file.ts';

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
    await writeFileDurably(this.#path(entry.request.message_id), JSON.stringify(entry));
  }

  async remove(messageId: string): Promise<void> {
    await removeDurably(this.#path(messageId));
  }

  /** Entries left by a previous run, oldest first (message ids sort by acceptance time). */
  async pending(): Promise<OutboxEntry[]> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
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
