// libsignal's serialized session record and the correction that keeps a failed trial decryption from changing
// it, shared by the session worker and wa-sim's simulated phones (both hit the same libsignal behaviour).

/** libsignal's serialized SessionRecord (its typings call it bytes; it is a plain object). */
export interface StoredRecord {
  _sessions?: Record<string, { indexInfo?: { used?: number } }>;
  version?: unknown;
}

/**
 * libsignal tries a message on each session of the record and advances a session's ratchet before checking
 * the MAC, so sessions that did not match are stored changed too (a wrong open session then sends on a
 * ratchet the peer cannot follow: "Bad MAC" there). Returns `before` with the sessions that decrypted (the one
 * libsignal stamps `used`) or appeared taken from `after`; the others stay as in `before`.
 */
export function keepDecryptingSession(before: StoredRecord, after: StoredRecord): StoredRecord {
  const sessions = { ...before._sessions };
  let changed = false;
  for (const [baseKey, entry] of Object.entries(after._sessions ?? {})) {
    const old = sessions[baseKey];
    if (!old || old.indexInfo?.used !== entry.indexInfo?.used) {
      sessions[baseKey] = entry;
      changed = true;
    }
  }
  // no session stamped (two decrypts in one millisecond): libsignal's result is all there is to go on
  return changed ? { ...after, _sessions: sessions } : after;
}
