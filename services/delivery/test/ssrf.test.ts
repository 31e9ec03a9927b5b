// SSRF at send time: with private targets not allowed, a name that resolves to loopback at send time (DNS
// rebinding: it was public when the endpoint was created) and a literal private IP are refused before any
// request is sent, and the attempt says why.
import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { attemptRows, deliveryRows, freshWorldEachTest, receiver, waitFor, world } from './fixture.ts';

freshWorldEachTest();

async function failedRow() {
  return waitFor(async () => {
    const [row] = await deliveryRows(world);
    return row?.status === 'failed' ? row : null;
  });
}

describe('send-time SSRF guard', () => {
  it('refuses a hostname that resolves to 127.0.0.1 at send time (DNS rebinding)', async () => {
    const lookups: string[] = [];
    const resolve = async (hostname: string): Promise<LookupAddress[]> => {
      lookups.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const customer = await world.customer();
    await world.endpoint(customer.id, `http://hooks.example.com:${receiver.port}/hook`);
    await world.start({ allowPrivateTargets: false, scheduleMs: [0, 50] }, { resolve });
    await world.publish(customer);
    const row = await failedRow();
    expect(lookups).toContain('hooks.example.com');
    expect(receiver.received).toHaveLength(0);
    expect(row.last_error).toMatch(/not a public address/);
    const attempts = await attemptRows(world, row.id);
    expect(attempts.map((a) => a.error_class)).toEqual(['ssrf_blocked', 'ssrf_blocked']);
  });

  it('refuses a name mixing public and private records', async () => {
    const resolve = async (): Promise<LookupAddress[]> => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    const customer = await world.customer();
    await world.endpoint(customer.id, `http://mixed.example.com:${receiver.port}/hook`);
    await world.start({ allowPrivateTargets: false, scheduleMs: [0] }, { resolve });
    await world.publish(customer);
    const row = await failedRow();
    expect((await attemptRows(world, row.id))[0]!.error_class).toBe('ssrf_blocked');
  });

  it('refuses literal loopback addresses and localhost by name', async () => {
    const customer = await world.customer();
    await world.endpoint(customer.id, receiver.url);
    await world.endpoint(customer.id, `http://localhost:${receiver.port}/hook`);
    await world.endpoint(customer.id, `http://[::ffff:127.0.0.1]:${receiver.port}/hook`);
    await world.start({ allowPrivateTargets: false, scheduleMs: [0] });
    await world.publish(customer);
    const rows = await waitFor(async () => {
      const all = await deliveryRows(world);
      return all.length === 3 && all.every((r) => r.status === 'failed') ? all : null;
    });
    expect(receiver.received).toHaveLength(0);
    for (const row of rows) expect((await attemptRows(world, row.id))[0]!.error_class).toBe('ssrf_blocked');
  });

  it('delivers to the same receiver when private targets are allowed (development setting)', async () => {
    const customer = await world.customer();
    await world.endpoint(customer.id, `http://localhost:${receiver.port}/hook`);
    await world.start({ allowPrivateTargets: true });
    await world.publish(customer);
    await waitFor(() => receiver.received.length === 1);
  });
});
