#!/usr/bin/env bash
# Runs a command with the local settings `npm start` generated (the machine's dev encryption key),
# unless the caller already set them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-runtime.sh
dev_env=${TENANTRY_DEV_ENV:-${XDG_CONFIG_HOME:-$HOME/.config}/tenantry/dev.env}
if [ -f "$dev_env" ] && [ -z "${SECRETS_KEY:-}" ]; then
  set -a
  # shellcheck disable=SC1090
  . "$dev_env"
  set +a
fi
if [ -z "${TENANT_PG_POOLER_ADMIN_URL:-}" ] && [ -f .dev/pgbouncer/pooler.env ]; then
  set -a
  . .dev/pgbouncer/pooler.env
  set +a
fi
# The local processes npm start runs trust its local issuer (README, "Configuration": TENANTRY_MODE).
export TENANTRY_MODE=${TENANTRY_MODE:-development}
exec "$@"
