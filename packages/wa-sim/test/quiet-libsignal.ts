// libsignal narrates its session bookkeeping on the console ("Closing session: …", "Closing open session in favor
// of incoming prekey bundle"); tests do not need it.
const CHATTER = /^(Closing|Opening|Removing old closed) (open )?session/;

for (const level of ['info', 'warn'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && CHATTER.test(args[0])) return;
    original(...args);
  };
}
