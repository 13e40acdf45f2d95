#!/usr/bin/env bash
# docker-compose's pgbouncer service: Debian's PgBouncer (the package services.sh installs) with the
# one template, rendered for the compose network. PGBOUNCER_ADMIN_PASSWORD is the admin console's.
set -euo pipefail
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
dir=/run/pgbouncer-tenantry
mkdir -p "$dir"
printf '"tenantry_pooler_admin" "%s"\n' "${PGBOUNCER_ADMIN_PASSWORD:?}" > "$dir/userlist.txt"
sed -e "s|@SERVER_HOST@|${PGBOUNCER_SERVER_HOST:-postgres}|" -e "s|@SERVER_PORT@|${PGBOUNCER_SERVER_PORT:-5432}|" \
  -e "s|@PORT@|6432|" -e "s|@DIR@|$dir|" -e "s|@MAX_CLIENT_CONN@|1000|" -e "s|@POOL_SIZE@|5|" \
  -e "s|@SERVER_IDLE_TIMEOUT@|30|" -e "s|@AUTODB_IDLE_TIMEOUT@|300|" -e "s|^listen_addr = .*|listen_addr = 0.0.0.0|" \
  -e "s|^logfile = .*|logfile =|" /template/pgbouncer.ini > "$dir/pgbouncer.ini"
chown -R postgres: "$dir"
exec runuser -u postgres -- pgbouncer "$dir/pgbouncer.ini"
