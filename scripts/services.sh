#!/usr/bin/env bash
# Makes sure PostgreSQL, Redis and PgBouncer answer before anything else runs. Uses DATABASE_URL /
# REDIS_URL when given; otherwise starts the local servers, installing them from Debian packages if
# absent. PgBouncer (in front of the tenant databases, README "Connection budget") is a process of this
# clone's own: its configuration, auth file and log live in .dev/pgbouncer, and it listens where
# TENANCY_PG_POOLER_URL says (default 127.0.0.1:6432).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[services] %s\n' "$*"; }

url_host() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; echo "${rest%%:*}"; }
url_port() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; [[ $rest == *:* ]] && echo "${rest##*:}" || echo "$2"; }

reachable() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

wait_for() {
  local name=$1 host=$2 port=$3
  for _ in $(seq 1 60); do
    reachable "$host" "$port" && return 0
    sleep 0.5
  done
  log "$name did not come up on $host:$port"
  return 1
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  command -v apt-get >/dev/null || { log "no apt-get here: install $* yourself or set DATABASE_URL / REDIS_URL"; exit 1; }
  log "installing $* from Debian packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

start_postgres() {
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  local hba=/etc/postgresql/$version/main/pg_hba.conf
  # The local default is a passwordless superuser on loopback, as on the CI machines.
  if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    log "allowing passwordless loopback connections in $hba (local development only)"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all postgres trust' "$hba"
  fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || as_root pg_ctlcluster "$version" main restart
}

start_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  log "starting Redis (nothing kept on disk, noeviction as BullMQ needs)"
  as_root mkdir -p /var/lib/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --maxmemory-policy noeviction --dir /var/lib/redis
}

# Rendered from scripts/pgbouncer/pgbouncer.ini, the template the tests' poolers use too; the admin
# console's password is made once and kept in .dev/pgbouncer/pooler.env (start.sh reads it).
start_pgbouncer() {
  command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || apt_install pgbouncer
  local dir=$PWD/.dev/pgbouncer server_url=${TENANT_PG_URL:-$pg_url}
  mkdir -p "$dir"
  if [ ! -f "$dir/pooler.env" ]; then
    local password
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '"tenantry_pooler_admin" "%s"\n' "$password" > "$dir/userlist.txt"
    printf 'TENANT_PG_POOLER_ADMIN_URL=postgres://tenantry_pooler_admin:%s@%s:%s/pgbouncer\n' "$password" "$pooler_host" "$pooler_port" > "$dir/pooler.env"
    chmod 600 "$dir/userlist.txt" "$dir/pooler.env"
  fi
  # PGBOUNCER_MAX_CLIENT_CONN, PGBOUNCER_POOL_SIZE and PGBOUNCER_SERVER_IDLE_TIMEOUT, when set, pass through.
  PGBOUNCER_SERVER_HOST=$(url_host "$server_url") PGBOUNCER_SERVER_PORT=$(url_port "$server_url" 5432) \
    PGBOUNCER_PORT=$pooler_port PGBOUNCER_DIR=$dir scripts/pgbouncer/render.sh > "$dir/pgbouncer.ini"
  log "starting PgBouncer on $pooler_host:$pooler_port in front of $(url_host "$server_url"):$(url_port "$server_url" 5432) (config in $dir)"
  if [ "$(id -u)" -eq 0 ]; then
    # PgBouncer refuses to run as root: it runs as the postgres user, which must reach and read its files.
    chown -R postgres: "$dir"
    chmod o+x "$PWD/.dev"
    pgbouncer -d -u postgres "$dir/pgbouncer.ini"
  else
    pgbouncer -d "$dir/pgbouncer.ini"
  fi
}

pg_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
pg_host=$(url_host "$pg_url"); pg_port=$(url_port "$pg_url" 5432)
redis_host=$(url_host "$redis_url"); redis_port=$(url_port "$redis_url" 6379)
pooler_url=${TENANCY_PG_POOLER_URL:-postgres://127.0.0.1:6432}
pooler_host=$(url_host "$pooler_url"); pooler_port=$(url_port "$pooler_url" 6432)

if reachable "$pg_host" "$pg_port"; then
  log "PostgreSQL reachable at $pg_host:$pg_port"
elif [ -n "${DATABASE_URL:-}" ]; then
  log "DATABASE_URL is set but $pg_host:$pg_port does not answer"; exit 1
else
  start_postgres
  wait_for PostgreSQL "$pg_host" "$pg_port"
fi

if reachable "$redis_host" "$redis_port"; then
  log "Redis reachable at $redis_host:$redis_port"
elif [ -n "${REDIS_URL:-}" ]; then
  log "REDIS_URL is set but $redis_host:$redis_port does not answer"; exit 1
else
  start_redis
  wait_for Redis "$redis_host" "$redis_port"
fi

# Tests start PostgreSQL clusters of their own (a second and third server, restarts, outages) from
# the machine's server binaries, whatever server DATABASE_URL names: initdb and pg_ctl must be here.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

if [ "${TENANCY_PG_ROUTE:-pooler}" = direct ]; then
  log "TENANCY_PG_ROUTE=direct: no PgBouncer needed"
elif reachable "$pooler_host" "$pooler_port"; then
  log "PgBouncer reachable at $pooler_host:$pooler_port"
  # Another clone's pooler, say: tenants are served through it, but without its console password the
  # worker cannot close pooled connections on rotation, suspension or offboarding.
  if [ -z "${TENANT_PG_POOLER_ADMIN_URL:-}" ] && [ ! -f .dev/pgbouncer/pooler.env ]; then
    log "warning: this clone did not start that PgBouncer and has no TENANT_PG_POOLER_ADMIN_URL: rotation, suspension and offboarding will not close its pooled connections (stop it, or set TENANT_PG_POOLER_ADMIN_URL)"
  fi
else
  start_pgbouncer
  wait_for PgBouncer "$pooler_host" "$pooler_port"
fi
