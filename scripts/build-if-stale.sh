#!/usr/bin/env bash
# Builds only when a source changed since the last complete build (`npm run build` stamps dist when
# it finishes), so an operator's command starts at once after `npm start` or a deploy has built.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=dist/.build-complete
if [ -f "$stamp" ] && [ -z "$(find apps libs scripts tools tsconfig.base.json package-lock.json -newer "$stamp" -print -quit)" ]; then
  exit 0
fi
echo "[build] sources changed since the last build: building first" >&2
npm run --silent build
