import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../src/frames.ts';

const WA63 = Buffer.from([0x57, 0x41, 6, 3]);
const WA62 = Buffer.from([0x57, 0x41, 6, 2]);

function routingPrefix(routingInfo: Buffer): Buffer {
  const header = Buffer.alloc(7);
  header.write('ED', 0);
  header[2] = 0;
  header[3] = 1;
  header[4] = routingInfo.length >> 16;
  header.writeUInt16BE(routingInfo.length & 0xffff, 5);
  return Buffer.concat([header, routingInfo]);
}

describe('frame codec', () => {
  it('reads the WA 6.3 intro and frames split across chunks', () => {
    const decoder = new FrameDecoder();
    const bytes = Buffer.concat([WA63, encodeFrame(Buffer.from('hello')), encodeFrame(Buffer.alloc(300, 7))]);
    const frames = [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)].flatMap((c) =>
      decoder.push(c),
    );
    expect(decoder.intro).toEqual(WA63);
    expect(frames.map((f) => f.length)).toEqual([5, 300]);
    expect(frames[0]!.toString()).toBe('hello');
  });

  it('accepts the WA 6.2 intro of Baileys 6.x and the ED routing prefix', () => {
    const decoder = new FrameDecoder();
    const frames = decoder.push(
      Buffer.concat([routingPrefix(Buffer.from('route-me')), WA62, encodeFrame(Buffer.from('x'))]),
    );
    expect(decoder.intro).toEqual(WA62);
    expect(frames.map((f) => f.toString())).toEqual(['x']);
  });

  it('rejects an unknown intro', () => {
    expect(() => new FrameDecoder().push(Buffer.from([0x47, 0x45, 0x54, 0x20, 0, 0, 0]))).toThrow(
      /unknown intro/,
    );
  });
});
