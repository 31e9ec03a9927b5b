import { describe, expect, it } from 'vitest';
import { isId, seededId } from '../src/ids.ts';

describe('seededId', () => {
  it('is the same id for the same seed and time, a valid id of its kind', () => {
    const at = Date.parse('2026-11-28T03:00:00Z');
    const id = seededId('event', at, 'ins_x|4915100000002|3EB0ABC');
    expect(id).toBe(seededId('event', at, 'ins_x|4915100000002|3EB0ABC'));
    expect(isId('event', id)).toBe(true);
    expect(isId('message', seededId('message', at, 'seed'))).toBe(true);
  });

  it('differs for another seed, and sorts by its time', () => {
    const at = Date.parse('2026-11-28T03:00:00Z');
    expect(seededId('event', at, 'a')).not.toBe(seededId('event', at, 'b'));
    expect(seededId('event', at, 'z') < seededId('event', at + 1000, 'a')).toBe(true);
  });
});
