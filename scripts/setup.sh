#!/bin/sh
# One step from a fresh checkout to a built tfbench: system packages, pnpm, dependencies, build.
# Safe to re-run: each step is skipped or quick when already done.
set -eu
cd "$(dirname "$0")/.."

node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) {
    console.error(`tfbench needs Node >= 20.19 (this is ${process.version})`);
    process.exit(1);
  }'

sh scripts/setup-system.sh

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if ! command -v pnpm >/dev/null 2>&1; then
  echo "tfbench setup: installing pnpm@$pnpm_version (npm install -g)"
  if ! npm install -g --silent "pnpm@$pnpm_version" >/dev/null 2>&1; then
    echo "tfbench setup: 'npm install -g pnpm@$pnpm_version' failed; install pnpm yourself (e.g. with sudo)," >&2
    echo "  or enable it with: COREPACK_INTEGRITY_KEYS=0 corepack enable pnpm" >&2
    exit 1
  fi
fi

export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --reporter=silent
pnpm build --output-logs=errors-only
echo "tfbench setup: ready ($(pnpm --version | sed 's/^/pnpm /'), node $(node --version))"
