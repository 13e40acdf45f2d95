#!/usr/bin/env bash
# One command from a fresh clone: services, build, admin migrations, the four processes and a local
# token issuer, then a demo of two tenants end to end. Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n\033[1m[start] %s\033[0m\n' "$*"; }

. scripts/node-runtime.sh
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
# The local PgBouncer's admin console, for the worker to close a changed login's pooled connections.
if [ -z "${TENANT_PG_POOLER_ADMIN_URL:-}" ] && [ -f .dev/pgbouncer/pooler.env ]; then . .dev/pgbouncer/pooler.env; fi
set +a
# The local issuer below mints tokens for any client: development mode needs no AUTH_CLIENTS / AUTH_AUDIENCES.
export TENANTRY_MODE=${TENANTRY_MODE:-development}
export ADMIN_API_PORT=${ADMIN_API_PORT:-3000} BUSINESS_API_PORT=${BUSINESS_API_PORT:-3001} DEV_ISSUER_PORT=${DEV_ISSUER_PORT:-8081}
export AUTH_ISSUER=${AUTH_ISSUER:-http://127.0.0.1:$DEV_ISSUER_PORT/realms/tenantry}
export WORKER_METRICS_PORT=${WORKER_METRICS_PORT:-9464}

listening() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Every port a process will listen on (0 lets the system choose one: nothing to check).
for setting in ADMIN_API_PORT BUSINESS_API_PORT DEV_ISSUER_PORT WORKER_METRICS_PORT; do
  port=${!setting}
  if [ "$port" != 0 ] && listening "$port"; then
    echo "port $port ($setting) is already in use (another 'npm start' running?); stop what holds it or set $setting" >&2
    exit 1
  fi
done

log "building"
npm run --silent build

log "migrating the admin database"
node dist/apps/admin-api/src/cli/migrate-admin.js

names=()
pids=()
stop_all() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
# Ctrl-C (or a TERM) is the way to stop: say it went as asked.
stopped() {
  echo
  echo "[start] stopping the processes (Ctrl-C)"
  stop_all
  echo "[start] stopped; logs are in .dev/logs/"
  exit 0
}
trap stopped INT TERM
trap stop_all EXIT

run() {
  local name=$1; shift
  node "$@" >".dev/logs/$name.log" 2>&1 &
  names+=("$name")
  pids+=($!)
  echo "  $name (pid $!) -> .dev/logs/$name.log"
}

# The name of the process with this pid.
name_of() {
  local i
  for i in "${!pids[@]}"; do [ "${pids[$i]}" = "$1" ] && echo "${names[$i]}"; done
}

# Says which process died, with what status and where its log is; stops the others and fails.
died() {
  local name=$1 status=$2 how
  if [ "$status" -gt 128 ]; then how="was killed (SIG$(kill -l "$status"))"; else how="exited with status $status"; fi
  echo "[start] $name $how while the others were running; its log, .dev/logs/$name.log, ends with:" >&2
  tail -n 10 ".dev/logs/$name.log" | sed 's/^/    /' >&2
  exit 1
}

# Fails with died() for the first started process that is no longer running.
check_alive() {
  local i status
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      status=0
      wait "${pids[$i]}" || status=$?
      died "${names[$i]}" "$status"
    fi
  done
}

# Waits until a process answers (`check` succeeds), failing as soon as any process died.
wait_ready() {
  local name=$1 check=$2 deadline=$((SECONDS + 120))
  until eval "$check"; do
    check_alive
    if [ $SECONDS -ge $deadline ]; then
      echo "[start] $name is running but not ready after 120 s; see .dev/logs/$name.log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

log "starting processes"
run dev-issuer dist/tools/dev-issuer/main.js
run admin-api dist/apps/admin-api/src/main.js
run provisioning-worker dist/apps/provisioning-worker/src/main.js
run sample-business-api dist/apps/sample-business-api/src/main.js
wait_ready dev-issuer "listening $DEV_ISSUER_PORT"
wait_ready admin-api "listening $ADMIN_API_PORT"
wait_ready provisioning-worker "grep -q 'consuming tenant-operations' .dev/logs/provisioning-worker.log"
wait_ready sample-business-api "listening $BUSINESS_API_PORT"

log "demo: two tenants, one order each, and a cross-tenant attempt"
if ! node dist/scripts/demo.js; then
  check_alive
  exit 1
fi
check_alive

cat <<TXT

Tenantry is running (Ctrl-C stops it):
  admin API            http://127.0.0.1:$ADMIN_API_PORT        (Swagger UI: http://127.0.0.1:$ADMIN_API_PORT/docs, metrics: /metrics)
  queue (Bull Board)   http://127.0.0.1:$ADMIN_API_PORT/queues  (user admin, password ${BULL_BOARD_PASSWORD:-unset: see $dev_env})
  worker metrics       http://127.0.0.1:$WORKER_METRICS_PORT/metrics
  sample business API  http://127.0.0.1:$BUSINESS_API_PORT     (Swagger UI: http://127.0.0.1:$BUSINESS_API_PORT/docs)
  local token issuer   $AUTH_ISSUER
  logs                 .dev/logs/
Tokens: node dist/scripts/mint-token.js --admin   |   node dist/scripts/mint-token.js --tenant <tenant code>   (--help says more)
TXT
status=0
wait -n -p exited "${pids[@]}" || status=$?
died "$(name_of "$exited")" "$status"
