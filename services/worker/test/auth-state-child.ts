// Child process for auth-state.test.ts: `writer <dir>` writes in a loop until killed, printing each
// acknowledged step; `open <dir>` opens a store (possibly as another uid) and prints what happened.
import { AuthStateUnreadableError, openAuthStore } from '../src/auth-state/index.ts';

const [mode, dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: auth-state-child.ts writer|open <dir>');

if (mode === 'open') {
  try {
    const store = await openAuthStore(dir);
    console.log(JSON.stringify({ ok: true, exists: store.exists, registered: store.state.creds.registered }));
    await store.close();
  } catch (error) {
    if (!(error instanceof AuthStateUnreadableError)) throw error;
    console.log(
      JSON.stringify({
        ok: false,
        name: error.name,
        code: error.code,
        path: error.path,
        osError: error.osError,
      }),
    );
  }
} else if (mode === 'writer') {
  // a small compaction threshold so that kills also land inside compactions
  const store = await openAuthStore(dir, { compactMinBytes: 64 * 1024 });
  const { keys } = store.state;
  const last = (await keys.get('session', ['a'])).a;
  let step = last ? Number(Buffer.from(last).toString()) : 0;
  for (;;) {
    step++;
    const counter = Buffer.from(String(step));
    await keys.set({
      session: { a: counter, b: counter },
      'sender-key': { [`group-${step % 50}`]: Buffer.alloc(500 + (step % 7) * 700, step % 256) },
      'pre-key': {
        [String(step - 1)]: null,
        [String(step)]: { public: Buffer.alloc(32, step % 256), private: Buffer.alloc(32, (step * 3) % 256) },
      },
    });
    if (step % 10 === 0) {
      store.state.creds.nextPreKeyId = step;
      await store.saveCreds();
    }
    process.stdout.write(`${step}\n`);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
