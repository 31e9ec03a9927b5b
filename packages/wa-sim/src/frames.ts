// Frame codec: the client's one-time intro (optionally behind an ED routing prefix), then 3-byte big-endian length-prefixed frames.

const INTRO_LENGTH = 4;
const ROUTING_HEADER_LENGTH = 7;
const MAX_FRAME = 0xffffff;

/** Intros we accept: WA 6.3 (Baileys 7.x) and WA 6.2 (Baileys 6.x). */
function isKnownIntro(intro: Buffer): boolean {
  return intro[0] === 0x57 && intro[1] === 0x41 && intro[2] === 6 && (intro[3] === 3 || intro[3] === 2);
}

export class FrameDecoder {
  #buffer: Buffer = Buffer.alloc(0);
  #intro: Buffer | undefined;

  /** The intro bytes the client sent; part of the noise prologue. */
  get intro(): Buffer | undefined {
    return this.#intro;
  }

  /** Appends bytes and returns every complete frame; throws on a malformed intro. */
  push(chunk: Buffer): Buffer[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (!this.#intro && !this.#readIntro()) return [];
    const frames: Buffer[] = [];
    while (this.#buffer.length >= 3) {
      const size = (this.#buffer[0]! << 16) | (this.#buffer[1]! << 8) | this.#buffer[2]!;
      if (this.#buffer.length < size + 3) break;
      frames.push(this.#buffer.subarray(3, size + 3));
      this.#buffer = this.#buffer.subarray(size + 3);
    }
    return frames;
  }

  #readIntro(): boolean {
    let offset = 0;
    if (this.#buffer[0] === 0x45 && this.#buffer[1] === 0x44) {
      if (this.#buffer.length < ROUTING_HEADER_LENGTH) return false;
      const routingLength = (this.#buffer[4]! << 16) | this.#buffer.readUInt16BE(5);
      offset = ROUTING_HEADER_LENGTH + routingLength;
    }
    if (this.#buffer.length < offset + INTRO_LENGTH) return false;
    const intro = Buffer.from(this.#buffer.subarray(offset, offset + INTRO_LENGTH));
    if (!isKnownIntro(intro)) throw new Error(`unknown intro ${intro.toString('hex')}`);
    this.#intro = intro;
    this.#buffer = this.#buffer.subarray(offset + INTRO_LENGTH);
    return true;
  }
}

export function encodeFrame(payload: Uint8Array): Buffer {
  if (payload.length > MAX_FRAME) throw new Error(`frame too large: ${payload.length}`);
  const frame = Buffer.allocUnsafe(payload.length + 3);
  frame[0] = (payload.length >>> 16) & 0xff;
  frame[1] = (payload.length >>> 8) & 0xff;
  frame[2] = payload.length & 0xff;
  frame.set(payload, 3);
  return frame;
}
