// Inbound messages between Baileys' receipt to WhatsApp and our event being durable on the stream. Baileys
// decrypts a message, sends WhatsApp the receipt (WhatsApp then counts it delivered and never sends it again)
// and only then emits it; our event is durable once the stream acks it. So the decrypted message is written
// here, fsynced, before Baileys gets the plaintext back (before the receipt), removed once its event is
// acked, and what a crash leaves is replayed at start with the same event id (the stream drops the copy).
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BinaryNode,
  jidNormalizedUser,
  proto,
  unpadRandomMax16,
  type WAMessage,
} from '@whiskeysockets/baileys';
import { ensureDir, fsyncDir, writeFileAtomic } from '../auth-state/atomic-file.ts';

/** The stanza attributes a message.received event is built from. */
const KEPT_ATTRS = ['id', 'from', 't', 'notify', 'sender_lid', 'sender_pn', 'type'] as const;

export interface SpooledInbound {
  attrs: Partial<Record<(typeof KEPT_ATTRS)[number], string>>;
  /** The decrypted (still padded) message bytes, base64. */
  plaintext: string;
}

export class InboundSpool {
  readonly #dir: string;
  /** WhatsApp ids written by this process and not yet removed (skips a directory fsync for the rest). */
  readonly #held = new Set<string>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  async put(stanza: BinaryNode, plaintext: Uint8Array): Promise<void> {
    const id = stanza.attrs.id;
    if (!id) return;
    const attrs: SpooledInbound['attrs'] = {};
    for (const name of KEPT_ATTRS) if (stanza.attrs[name] !== undefined) attrs[name] = stanza.attrs[name];
    const entry: SpooledInbound = { attrs, plaintext: Buffer.from(plaintext).toString('base64') };
    await ensureDir(this.#dir);
    await writeFileAtomic(this.#path(id), JSON.stringify(entry));
    this.#held.add(id);
  }

  async remove(waMessageId: string): Promise<void> {
    if (!this.#held.delete(waMessageId)) return;
    await rm(this.#path(waMessageId), { force: true });
    await fsyncDir(this.#dir);
  }

  /**
   * Messages a previous run spooled but did not see published, oldest first. A file that cannot be parsed
   * (not one this code wrote: writes are atomic) is renamed to `.unreadable` and reported, not replayed.
   */
  async pending(): Promise<{ entries: SpooledInbound[]; unreadable: string[] }> {
    const files = await readdir(this.#dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const entries: SpooledInbound[] = [];
    const unreadable: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.json'))) {
      const path = join(this.#dir, file);
      let entry: SpooledInbound;
      try {
        entry = JSON.parse(await readFile(path, 'utf8')) as SpooledInbound;
        if (typeof entry.attrs?.id !== 'string' || typeof entry.plaintext !== 'string')
          throw new Error('not a spooled message');
      } catch {
        await rename(path, `${path}.unreadable`);
        unreadable.push(`${path}.unreadable`);
        continue;
      }
      this.#held.add(entry.attrs.id);
      entries.push(entry);
    }
    entries.sort((a, b) => Number(a.attrs.t ?? 0) - Number(b.attrs.t ?? 0));
    return { entries, unreadable };
  }

  #path(waMessageId: string): string {
    const name = createHash('sha256').update(waMessageId).digest('hex').slice(0, 40);
    return join(this.#dir, `${name}.json`);
  }
}

/** The message as Baileys would have emitted it (1:1 message from a contact). */
export function spooledMessage(entry: SpooledInbound): WAMessage {
  const { attrs } = entry;
  const from = jidNormalizedUser(attrs.from ?? '');
  const alt = attrs.sender_pn ?? attrs.sender_lid;
  const bytes = unpadRandomMax16(Buffer.from(entry.plaintext, 'base64'));
  return {
    key: {
      remoteJid: from,
      ...(alt ? { remoteJidAlt: jidNormalizedUser(alt) } : {}),
      fromMe: false,
      id: attrs.id ?? null,
    },
    message: proto.Message.decode(bytes),
    messageTimestamp: Number(attrs.t ?? 0),
    pushName: attrs.notify ?? null,
  };
}
