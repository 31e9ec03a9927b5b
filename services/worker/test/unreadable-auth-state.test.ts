// The seed's "Restarting the backend lost my sessions": a volume owned by another uid must surface as
// auth_state_unreadable, never as a silent fresh pairing. The restarted worker runs as a non-root user.
import { chmod, chown, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { childWorld, spawnChild, world } from './child-worker.ts';
import { linkInstance } from './harness.ts';

const NOBODY = 65534;
childWorld();

async function chownTree(path: string, uid: number): Promise<void> {
  await chown(path, uid, uid);
  if ((await stat(path)).isDirectory()) {
    for (const entry of await readdir(path)) await chownTree(join(path, entry), uid);
  }
}

describe('an auth-state the worker cannot read', () => {
  it('puts the instance in auth_state_unreadable with the path and OS error, fails /readyz, and never shows a new QR', async () => {
    const workerId = 'worker-perm';
    const first = await world.startWorker({ WORKER_ID: workerId });
    world.sim.createAccount('4915600000001');
    const { instanceId } = await linkInstance(world, workerId, '4915600000001');
    await first.stop();

    // The volume now belongs to the worker's (non-root) user, except this session, which another uid owns.
    const dataDir = join(world.dataDir, workerId);
    await chmod(world.dataDir, 0o755);
    await chownTree(dataDir, NOBODY);
    const authDir = join(dataDir, 'sessions', instanceId);
    await chownTree(authDir, 0);
    await chmod(authDir, 0o700);
    const killedAt = world.events.length;

    const second = await spawnChild(workerId, {}, NOBODY);

    const event = await world.waitForEvent(
      (e) =>
        e.type === 'instance.disconnected' &&
        e.instance_id === instanceId &&
        world.events.indexOf(e) >= killedAt,
    );
    expect(event.data).toMatchObject({
      status: 'auth_state_unreadable',
      reason: 'auth_state_unreadable',
      will_reconnect: false,
    });
    expect(String(event.data.message)).toContain(authDir);
    expect(String(event.data.message)).toMatch(/EACCES/);

    const status = await world.command<{ status: string; last_error: { code: string; message: string } }>(
      world.bus.subjects.command(instanceId, 'status'),
    );
    expect(status).toMatchObject({
      ok: true,
      data: { status: 'auth_state_unreadable', last_error: { code: 'auth_state_unreadable' } },
    });
    const qr = await world.command(world.bus.subjects.command(instanceId, 'qr'));
    expect(qr).toMatchObject({ ok: false, error: { code: 'qr_unavailable' } });

    const port = /"port":(\d+)/.exec(second.output())![1];
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as {
      checks: { baileys: { auth_state_unreadable: Array<{ instance_id: string }> } };
    };
    expect(body.checks.baileys.auth_state_unreadable.map((u) => u.instance_id)).toEqual([instanceId]);

    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = world.events.slice(killedAt).filter((e) => e.instance_id === instanceId);
    expect(after.map((e) => e.type)).not.toContain('qr.updated');
    expect(after.map((e) => e.type)).not.toContain('instance.connecting');
  });
});
