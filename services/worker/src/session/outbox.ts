// The durable send queue of one instance: a message is written here (fsynced) before the worker tells the
// gateway "queued", and removed only after its outcome event is published. After a crash, what is left is
// replayed in acceptance order with the same WhatsApp message id, except what WhatsApp had already
// acknowledged: that one is reported sent without being sent again (a second attempt could fail and report
// a delivered message as failed).
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type SendRequest, sendRequest } from '@whatisup/contracts';
import { ensureDir, fsyncDir, writeFileAtomic } from '../auth-state/atomic-file.ts';

export interface OutboxEntry {
  request: SendRequest;
  wa_message_id: string;
  accepted_at: string;
  /** WhatsApp acknowledged the message before the last stop (read from the entry's marker, not stored in it). */
  acked?: boolean;
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

  /**
   * Marks the entry acknowledged by WhatsApp. Not fsynced: the marker is for a process that dies (SIGKILL,
   * OOM), whose writes the kernel keeps; a machine that dies loses at most this, and the send is replayed
   * under its fixed id as before the marker existed.
   */
  async markAcked(messageId: string): Promise<void> {
    await writeFile(this.#markerPath(messageId), '');
  }

  async remove(messageId: string): Promise<void> {
    // marker first: a crash in between leaves an entry that is replayed, never a marker without its entry
    await rm(this.#markerPath(messageId), { force: true });
    await rm(this.#path(messageId), { force: true });
    await fsyncDir(this.#dir);
  }

  /** Entries left by a previous run, oldest first (message ids sort by acceptance time). */
  async pending(): Promise<OutboxEntry[]> {
    await ensureDir(this.#dir);
    const names = await readdir(this.#dir);
    const acked = new Set(names.filter((f) => f.endsWith('.acked')).map((f) => f.slice(0, -'.acked'.length)));
    const files = names.filter((f) => f.endsWith('.json')).sort();
    const entries: OutboxEntry[] = [];
    for (const file of files) {
      const raw = JSON.parse(await readFile(join(this.#dir, file), 'utf8')) as OutboxEntry;
      const request = sendRequest.parse(raw.request);
      entries.push({ ...raw, request, acked: acked.has(request.message_id) });
    }
    return entries;
  }

  #path(messageId: string): string {
    return join(this.#dir, `${checkedId(messageId)}.json`);
  }

  #markerPath(messageId: string): string {
    return join(this.#dir, `${checkedId(messageId)}.acked`);
  }
}

function checkedId(messageId: string): string {
  if (!/^msg_[0-9a-z]{26}$/.test(messageId)) throw new Error(`bad message id ${messageId}`);
  return messageId;
}
