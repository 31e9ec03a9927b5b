#!/bin/sh
# Starts a session worker. With WA_SIM_URL set (the compose `demo` profile only) it first reads the simulator's
# root key and media CA from its control API and starts Baileys trusting that simulator; otherwise it is exactly
# `node src/main.ts` and Baileys talks to WhatsApp.
set -eu
cd "$(dirname "$0")/../../services/worker"
if [ -z "${WA_SIM_URL:-}" ]; then
  exec node src/main.ts
fi
trust=$(node --input-type=module -e '
  const url = process.env.WA_SIM_URL + "/control";
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(url);
      const c = await r.json();
      process.stdout.write(c.rootPublicKey + "\n" + Buffer.from(c.mediaCaPem ?? "").toString("base64"));
      break;
    } catch (error) {
      if (i === 30) { console.error(`wa-sim control API ${url} unreachable: ${error.message}`); process.exit(1); }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }')
WA_SIM_ROOT_PUBLIC_KEY=$(printf '%s\n' "$trust" | sed -n 1p)
WA_SIM_CA_PEM=$(printf '%s\n' "$trust" | sed -n 2p | base64 -d)
WA_WEBSOCKET_URL="$(printf '%s' "$WA_SIM_URL" | sed 's|^http|ws|')/ws/chat"
WA_SIM_ALLOW_PRODUCTION=true
export WA_SIM_ROOT_PUBLIC_KEY WA_SIM_CA_PEM WA_WEBSOCKET_URL WA_SIM_ALLOW_PRODUCTION
exec node --import @whatisup/wa-sim/trust src/main.ts
