#!/usr/bin/env bash
# docker-compose's pgbouncer service: Debian's PgBouncer (the package services.sh installs) with the
# one template, rendered for the compose network. PGBOUNCER_ADMIN_PASSWORD is the admin console's.
set -euo pipefail
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
dir=/run/pgbouncer-tenantry
mkdir -p "$dir"
printf '"tenantry_pooler_admin" "%s"\n' "${PGBOUNCER_ADMIN_PASSWORD:?}" > "$dir/userlist.txt"
PGBOUNCER_SERVER_HOST=${PGBOUNCER_SERVER_HOST:-postgres} PGBOUNCER_PORT=6432 PGBOUNCER_DIR=$dir \
  PGBOUNCER_LISTEN_ADDR=0.0.0.0 PGBOUNCER_LOGFILE= bash /template/render.sh > "$dir/pgbouncer.ini"
chown -R postgres: "$dir"
exec runuser -u postgres -- pgbouncer "$dir/pgbouncer.ini"
