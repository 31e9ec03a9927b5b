// JSON for auth-state values: Buffers and Uint8Arrays are stored as tagged base64, so a reload gives back
// Buffers with the same bytes. Only the exact tag shape is revived, nothing is guessed from key names.
type Tagged = { type: 'Buffer'; data: string };

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return {
      type: 'Buffer',
      data: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    };
  }
  // Buffer#toJSON runs before the replacer and yields { type: 'Buffer', data: number[] }
  if (isObject(value) && value.type === 'Buffer' && Array.isArray(value.data)) {
    return { type: 'Buffer', data: Buffer.from(value.data as number[]).toString('base64') };
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (isTagged(value)) return Buffer.from(value.data, 'base64');
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isTagged(value: unknown): value is Tagged {
  return (
    isObject(value) &&
    value.type === 'Buffer' &&
    typeof value.data === 'string' &&
    Object.keys(value).length === 2
  );
}

export function encodeValue(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, replacer), 'utf8');
}

/** Throws SyntaxError on malformed input. */
export function decodeValue(bytes: Buffer | string): unknown {
  return JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'), reviver);
}
