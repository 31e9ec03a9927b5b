// Two ways Baileys 7 (rc14) with libsignal 6 loses a Signal session when a contact's message and ours cross,
// after which the contact's phone fails our messages with "Bad MAC". Both are closed here, from the outside,
// through the key store and the signal repository Baileys lets the socket configure.
//
// 1. Transactions: Baileys runs each under a mutex named by its caller. A send is one transaction keyed by our
//    own jid (encrypt, send the stanza, then commit), a decrypt one keyed by the sender's jid. Both read the
//    contact's session record at their start and write it at their commit, so when they overlap the record
//    written last wins and one side's ratchet step is lost. serializeSignalTransactions runs a socket's
//    top-level transactions one after the other (nested ones run at once, as Baileys intends).
//    Work a transaction left running after its commit is moved out of it (see below).
// 2. Trial decryption: a record holds the open session and older ones (two exist when both sides started a
//    session at once). libsignal tries each in turn and advances a session's ratchet before checking the MAC,
//    so the sessions that did not match are stored changed too. When that is the open session, our next
//    message goes out on a ratchet the contact's phone cannot follow. guardTrialDecryption keeps, of what a
//    decrypt writes, only the session that decrypted (the one libsignal stamps `used`); the others stay as read.
import { AsyncLocalStorage } from 'node:async_hooks';
import { keepDecryptingSession, type StoredRecord } from '@whatisup/libsignal-record';
import type {
  SignalDataSet,
  SignalKeyStoreWithTransaction,
  SignalRepositoryWithLIDStore,
} from '@whiskeysockets/baileys';

/** The scope of one top-level transaction; a class so that tests can count the live ones (v8.queryObjects). */
export class TransactionScope {
  /** Set once the transaction's work is done. */
  finished = false;
}

export function serializeSignalTransactions(keys: SignalKeyStoreWithTransaction): void {
  const transaction = keys.transaction.bind(keys);
  const get = keys.get.bind(keys);
  const set = keys.set.bind(keys);
  // Work a transaction starts without awaiting it (Baileys issues the contact's privacy token after a send
  // that way) still runs in the transaction's context after the transaction's work is done: Baileys would
  // keep serving it that transaction's cache and collect its writes after the commit has taken them (the
  // token's timestamp was never stored, so every message sent issued a new token). Such late work is run outside any
  // transaction, in the context captured here (the socket is made outside every one of its transactions).
  const outside = AsyncLocalStorage.snapshot();
  const scopes = new AsyncLocalStorage<TransactionScope>();
  const late = () => scopes.getStore()?.finished === true;
  let tail: Promise<unknown> = Promise.resolve();
  keys.transaction = <T>(work: () => Promise<T>, key: string): Promise<T> => {
    if (late()) return outside(() => keys.transaction(work, key));
    if (keys.isInTransaction()) return transaction(work, key);
    const scope = new TransactionScope();
    // finished once the work is done: what runs after it, even while the commit is being written, is late
    const scoped = async () => {
      try {
        return await scopes.run(scope, work);
      } finally {
        scope.finished = true;
      }
    };
    const run = tail.then(() => transaction(scoped, key));
    tail = run.catch(() => {});
    return run;
  };
  keys.get = (type, ids) => (late() ? outside(() => get(type, ids)) : get(type, ids));
  keys.set = (data) => (late() ? outside(() => set(data)) : set(data));
}

export function guardTrialDecryption(
  keys: SignalKeyStoreWithTransaction,
  repository: SignalRepositoryWithLIDStore,
): void {
  /** Session records as first read by the decrypt in progress, by id. */
  const decrypting = new AsyncLocalStorage<Map<string, StoredRecord>>();
  const get = keys.get.bind(keys);
  const set = keys.set.bind(keys);
  keys.get = async (type, ids) => {
    const values = await get(type, ids);
    const read = decrypting.getStore();
    if (read && type === 'session') {
      for (const [id, value] of Object.entries(values))
        if (!read.has(id)) read.set(id, structuredClone(value) as StoredRecord);
    }
    return values;
  };
  keys.set = (data: SignalDataSet) => {
    const read = decrypting.getStore();
    if (read && data.session) {
      const session = { ...data.session };
      for (const [id, written] of Object.entries(session)) {
        const before = read.get(id);
        if (before && written) session[id] = keepDecryptingSession(before, written as StoredRecord) as never;
      }
      data = { ...data, session };
    }
    return set(data);
  };
  const decryptMessage = repository.decryptMessage.bind(repository);
  repository.decryptMessage = (input) =>
    input.type === 'msg' ? decrypting.run(new Map(), () => decryptMessage(input)) : decryptMessage(input);
}
