#!/usr/bin/env bash
# The whole test suite: type check, lint, then unit, integration and e2e tests against real PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-runtime.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/services.sh
echo "[test] type check"
npx tsc -p tsconfig.base.json --noEmit
echo "[test] lint: ESLint with type information, then Prettier (any warning fails)"
npm run --silent lint
echo "[test] build (e2e tests start the built processes)"
npm run --silent build
echo "[test] lint of tenant migrations (expand/contract)"
node dist/apps/migration-runner/src/cli/lint-migrations.js
echo "[test] jest"
npx jest --ci "$@"
