#!/usr/bin/env bash
# Prints pgbouncer.ini from the template beside it: the one renderer of scripts/services.sh (npm start,
# npm test, CI), docker-compose's entrypoint and the tests' throwaway poolers
# (libs/common/testing/throwaway-pgbouncer.ts). PGBOUNCER_SERVER_HOST, PGBOUNCER_PORT and PGBOUNCER_DIR
# are required; the rest default to the local values. A name left without a value stops it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${PGBOUNCER_SERVER_HOST:?}" "${PGBOUNCER_PORT:?}" "${PGBOUNCER_DIR:?}"
rendered=$(sed -e "s|@SERVER_HOST@|$PGBOUNCER_SERVER_HOST|g" \
  -e "s|@SERVER_PORT@|${PGBOUNCER_SERVER_PORT:-5432}|g" \
  -e "s|@LISTEN_ADDR@|${PGBOUNCER_LISTEN_ADDR:-127.0.0.1}|g" \
  -e "s|@PORT@|$PGBOUNCER_PORT|g" \
  -e "s|@LOGFILE@|${PGBOUNCER_LOGFILE-$PGBOUNCER_DIR/pgbouncer.log}|g" \
  -e "s|@DIR@|$PGBOUNCER_DIR|g" \
  -e "s|@MAX_CLIENT_CONN@|${PGBOUNCER_MAX_CLIENT_CONN:-1000}|g" \
  -e "s|@POOL_SIZE@|${PGBOUNCER_POOL_SIZE:-5}|g" \
  -e "s|@SERVER_IDLE_TIMEOUT@|${PGBOUNCER_SERVER_IDLE_TIMEOUT:-30}|g" \
  -e "s|@AUTODB_IDLE_TIMEOUT@|${PGBOUNCER_AUTODB_IDLE_TIMEOUT:-300}|g" "$here/pgbouncer.ini")
if missing=$(grep -o '@[A-Z_]*@' <<<"$rendered" | head -1) && [ -n "$missing" ]; then
  echo "pgbouncer.ini: no value for $missing" >&2
  exit 1
fi
printf '%s\n' "$rendered"
