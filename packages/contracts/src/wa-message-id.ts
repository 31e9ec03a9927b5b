// The WhatsApp message id of an outbound message is derived from our message id, so it is fixed at
// acceptance (a replay after a crash reuses it and cannot deliver twice) and receipts map back to our id
// without any lookup table. Shape: "3EB0" + 33 upper-case hex digits (the 130 bits of the id's body).
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const PREFIX = '3EB0';

export function waMessageIdFor(messageId: string): string {
  const body = messageId.slice('msg_'.length);
  let bits = '';
  for (const ch of body) bits += ALPHABET.indexOf(ch).toString(2).padStart(5, '0');
  bits += '00';
  let hex = '';
  for (let i = 0; i < bits.length; i += 4) hex += Number.parseInt(bits.slice(i, i + 4), 2).toString(16);
  return `${PREFIX}${hex.toUpperCase()}`;
}

/** Our message id for a WhatsApp id we generated, or null for ids made by anyone else. */
export function messageIdFromWa(waMessageId: string): string | null {
  if (!/^3EB0[0-9A-F]{33}$/.test(waMessageId)) return null;
  let bits = '';
  for (const ch of waMessageId.slice(PREFIX.length))
    bits += Number.parseInt(ch, 16).toString(2).padStart(4, '0');
  if (!bits.endsWith('00')) return null;
  let body = '';
  for (let i = 0; i < 130; i += 5) body += ALPHABET[Number.parseInt(bits.slice(i, i + 5), 2)];
  return `msg_${body}`;
}
