// The product end to end, every part a real process: the API creates an instance, the QR comes through the
// API, a simulated phone scans it, a message reaches the contact's phone, statuses and the reply come back
// as signed webhooks.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type System, startSystem } from './system.ts';

let system: System;
beforeAll(async () => {
  system = await startSystem();
}, 120_000);
afterAll(() => system?.close());

function verifySignature(secret: string, hook: System['webhooks'][number]): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = String(hook.headers['webhook-id']);
  const timestamp = String(hook.headers['webhook-timestamp']);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${hook.raw}`).digest('base64');
  return String(hook.headers['webhook-signature'])
    .split(' ')
    .some((signature) => signature === `v1,${expected}`);
}

describe('WhatsApp flow through the API', () => {
  it('create → QR (JSON and PNG) → scan → connected → send → delivered/read → reply, all as signed webhooks', async () => {
    const { sim, api } = system;
    sim.createAccount('4917000000001', { pushName: 'Corner Shop' });
    sim.createAccount('4917000000002', { pushName: 'Dana' });

    const endpoint = (await (
      await api('/v1/webhook-endpoints', { method: 'POST', json: { url: system.receiverUrl } })
    ).json()) as { id: string; secret: string };
    expect(endpoint.secret).toMatch(/^whsec_/);

    const createdRes = await api('/v1/instances', { method: 'POST', json: { name: 'shop' } });
    expect(createdRes.status).toBe(201);
    const instance = (await createdRes.json()) as { id: string };

    const qr = await system.waitFor(async () => {
      const res = await api(`/v1/instances/${instance.id}/qr`);
      if (res.status === 200) return (await res.json()) as { qr: string; expires_at: string };
      expect(res.status).toBe(409);
      return undefined;
    }, 'a QR code');
    expect(Date.parse(qr.expires_at)).toBeGreaterThan(Date.now());
    const png = await api(`/v1/instances/${instance.id}/qr`, { headers: { Accept: 'image/png' } });
    expect(png.status).toBe(200);
    expect(png.headers.get('Content-Type')).toBe('image/png');
    expect(Buffer.from(await png.arrayBuffer()).subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );

    sim.scanQr('4917000000001', qr.qr);
    const connected = await system.waitFor(async () => {
      const body = (await (await api(`/v1/instances/${instance.id}`)).json()) as {
        status: string;
        phone: string;
      };
      return body.status === 'connected' ? body : undefined;
    }, 'the instance to be connected');
    expect(connected.phone).toBe('4917000000001');
    const noQr = await api(`/v1/instances/${instance.id}/qr`);
    expect(noQr.status).toBe(409);

    const sendRes = await api(`/v1/instances/${instance.id}/messages`, {
      method: 'POST',
      json: { to: '4917000000002', type: 'text', text: 'Your order is ready 🛍️' },
      headers: { 'Idempotency-Key': 'order-42-ready' },
    });
    expect(sendRes.status).toBe(202);
    const message = (await sendRes.json()) as { id: string; status: string };
    expect(message.status).toBe('queued');

    await system.waitFor(
      () => sim.inbox('4917000000002').find((m) => !m.ownDeviceCopy && m.text === 'Your order is ready 🛍️'),
      'the text on the contact phone',
    );
    const read = await system.waitFor(async () => {
      const body = (await (await api(`/v1/instances/${instance.id}/messages/${message.id}`)).json()) as {
        status: string;
      };
      return body.status === 'read' ? body : undefined;
    }, 'the message to be read');
    expect(read.status).toBe('read');

    await sim.sendText('4917000000002', '4917000000001', 'Thanks, on my way!');
    const received = await system.waitFor(
      () => system.webhooks.find((w) => w.body.type === 'message.received'),
      'the message.received webhook',
    );
    expect(received.body.data).toMatchObject({
      from: '4917000000002',
      text: 'Thanks, on my way!',
      push_name: 'Dana',
    });

    const types = () =>
      system.webhooks.filter((w) => w.body.instance_id === instance.id).map((w) => w.body.type);
    await system
      .waitFor(
        () =>
          ['qr.updated', 'instance.connected', 'message.sent', 'message.delivered', 'message.read'].every(
            (t) => types().includes(t),
          ),
        'every lifecycle webhook',
      )
      .catch((error: Error) => {
        throw new Error(`${error.message}; received: ${types().join(', ')}`);
      });
    for (const hook of system.webhooks) {
      expect(verifySignature(endpoint.secret, hook)).toBe(true);
      expect(hook.headers['x-whatisup-endpoint-id']).toBe(endpoint.id);
      expect(hook.headers['webhook-id']).toBe(hook.body.id);
    }

    const audit = (await (await api(`/v1/audit-events?target_id=${message.id}`)).json()) as {
      data: Array<{ action: string }>;
    };
    expect(audit.data.map((a) => a.action)).toContain('message.send');
  });

  it('two workers with MAX_SESSIONS_PER_WORKER=3: six instances spread 3/3, the seventh is 503 no_capacity', async () => {
    const small = await startSystem({
      workers: { 'cap-a': { MAX_SESSIONS_PER_WORKER: '3' }, 'cap-b': { MAX_SESSIONS_PER_WORKER: '3' } },
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await small.api('/v1/instances', { method: 'POST', json: { name: `cap-${i}` } });
        expect(res.status).toBe(201);
        ids.push(((await res.json()) as { id: string }).id);
      }
      const seventh = await small.api('/v1/instances', { method: 'POST', json: { name: 'cap-6' } });
      expect(seventh.status).toBe(503);
      expect(((await seventh.json()) as { error: { code: string } }).error.code).toBe('no_capacity');
      expect(seventh.headers.get('Retry-After')).toBeTruthy();
      // Registry entries refresh on the workers' heartbeat.
      await small.waitFor(async () => {
        const ready = (await (await fetch(`${small.gatewayUrl}/readyz`)).json()) as {
          workers: Array<{ worker_id: string; sessions: number; capacity: number }>;
        };
        const sessions = Object.fromEntries(ready.workers.map((w) => [w.worker_id, w.sessions]));
        return sessions['cap-a'] === 3 && sessions['cap-b'] === 3 ? sessions : undefined;
      }, '/readyz to list 3 sessions on each worker');
      const listed = (await (await small.api('/v1/instances?limit=100')).json()) as {
        data: Array<{ id: string }>;
      };
      expect(listed.data.map((i) => i.id).sort()).toEqual([...ids].sort());
    } finally {
      await small.close();
    }
  });
});
