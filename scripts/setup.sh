#!/usr/bin/env bash
# One-time setup: Node 24 + pnpm (from the npm registry when the system lacks them) and the workspace's
# dependencies from the lockfile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ -n "${CI:-}" ]; then frozen=--frozen-lockfile; else frozen=--prefer-frozen-lockfile; fi
scripts/node24 pnpm install $frozen
scripts/node24 node -e 'console.log(`setup: node ${process.version}, ready`)'
if [ ! -f .env ]; then
  key="$(scripts/node24 node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64"))')"
  sed "s|^SECRETS_KEY=.*|SECRETS_KEY=$key|" .env.example > .env
  echo "setup: wrote .env with a fresh SECRETS_KEY (keep it: it decrypts the stored webhook secrets)"
fi
