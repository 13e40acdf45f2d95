#!/usr/bin/env bash
# One command from a fresh clone: services, build, admin migrations, the four processes and a local
# token issuer, then a demo of two tenants end to end. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n\033[1m[start] %s\033[0m\n' "$*"; }

[ -d node_modules ] || { log "installing dependencies"; npm ci --no-audit --no-fund; }
bash scripts/services.sh

mkdir -p .dev/logs
# The local admin database is per machine, so its encryption key is too (shared by every clone, never committed).
dev_env=${TENANTRY_DEV_ENV:-${XDG_CONFIG_HOME:-$HOME/.config}/tenantry/dev.env}
if [ ! -f "$dev_env" ]; then
  mkdir -p "$(dirname "$dev_env")"
  printf 'SECRETS_KEY=%s\n' "$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64'))")" > "$dev_env"
  chmod 600 "$dev_env"
  echo "[start] generated a local encryption key in $dev_env"
fi
if ! grep -q '^BULL_BOARD_PASSWORD=' "$dev_env"; then
  printf 'BULL_BOARD_PASSWORD=%s\n' "$(node -e "process.stdout.write(require('crypto').randomBytes(12).toString('hex'))")" >> "$dev_env"
fi
set -a
# shellcheck disable=SC1090
. "$dev_env"
set +a
export AUTH_ISSUER=${AUTH_ISSUER:-http://127.0.0.1:8081/realms/tenantry}
export ADMIN_API_PORT=${ADMIN_API_PORT:-3000} BUSINESS_API_PORT=${BUSINESS_API_PORT:-3001} DEV_ISSUER_PORT=${DEV_ISSUER_PORT:-8081}

for port in "$ADMIN_API_PORT" "$BUSINESS_API_PORT" "$DEV_ISSUER_PORT"; do
  if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    echo "port $port is already in use (another 'npm start' running?); stop it or set ADMIN_API_PORT / BUSINESS_API_PORT / DEV_ISSUER_PORT" >&2
    exit 1
  fi
done

log "building"
npm run --silent build

log "migrating the admin database"
node dist/apps/admin-api/src/cli/migrate-admin.js

pids=()
stop_all() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

run() {
  local name=$1; shift
  node "$@" >".dev/logs/$name.log" 2>&1 &
  pids+=($!)
  echo "  $name (pid $!) -> .dev/logs/$name.log"
}

log "starting processes"
run dev-issuer dist/scripts/dev-issuer.js
run admin-api dist/apps/admin-api/src/main.js
run provisioning-worker dist/apps/provisioning-worker/src/main.js
run sample-business-api dist/apps/sample-business-api/src/main.js

log "demo: two tenants, one order each, and a cross-tenant attempt"
node dist/scripts/demo.js

cat <<TXT

Tenantry is running (Ctrl-C stops it):
  admin API            http://127.0.0.1:$ADMIN_API_PORT        (Swagger UI: http://127.0.0.1:$ADMIN_API_PORT/docs, metrics: /metrics)
  queue (Bull Board)   http://127.0.0.1:$ADMIN_API_PORT/queues  (user admin, password ${BULL_BOARD_PASSWORD:-unset: see $dev_env})
  worker metrics       http://127.0.0.1:${WORKER_METRICS_PORT:-9464}/metrics
  sample business API  http://127.0.0.1:$BUSINESS_API_PORT     (Swagger UI: http://127.0.0.1:$BUSINESS_API_PORT/docs)
  local token issuer   $AUTH_ISSUER
  logs                 .dev/logs/
Tokens: node dist/scripts/mint-token.js --admin   |   node dist/scripts/mint-token.js --tenant <tenant id>
TXT
wait -n "${pids[@]}" || true
echo "a process exited; see .dev/logs/" >&2
