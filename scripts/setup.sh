#!/usr/bin/env bash
# One-time setup: Node 24 + pnpm (from the npm registry when the system lacks them) and the workspace's
# dependencies from the lockfile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ -n "${CI:-}" ]; then frozen=--frozen-lockfile; else frozen=--prefer-frozen-lockfile; fi
scripts/node24 pnpm install $frozen
scripts/node24 node -e 'console.log(`setup: node ${process.version}, ready`)'
echo "setup: done. Run the product with: scripts/node24 pnpm start"
