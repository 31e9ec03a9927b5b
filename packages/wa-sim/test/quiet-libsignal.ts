// libsignal narrates its session bookkeeping with console.info ("Closing session: …"); tests do not need it.
const info = console.info.bind(console);
console.info = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && /^(Closing|Opening|Removing old closed) session/.test(args[0])) return;
  info(...args);
};
