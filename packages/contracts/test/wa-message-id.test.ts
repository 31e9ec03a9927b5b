import { describe, expect, it } from 'vitest';
import { messageIdFromWa, newId, waMessageIdFor } from '../src/index.ts';

describe('WhatsApp message ids', () => {
  it('derive from our message id and map back', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newId('message');
      const wa = waMessageIdFor(id);
      expect(wa).toMatch(/^3EB0[0-9A-F]{33}$/);
      expect(messageIdFromWa(wa)).toBe(id);
    }
  });

  it('do not claim ids made by other clients', () => {
    expect(messageIdFromWa('3EB0C431C26A1916E07A')).toBeNull();
    expect(messageIdFromWa('ABCDEF')).toBeNull();
  });
});
