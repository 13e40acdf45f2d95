#!/usr/bin/env bash
# docker-compose only (run once by the postgres image's entrypoint, at initdb): PgBouncer's lookup
# role signs in without a password from the compose network, ahead of the image's scram-sha-256
# line. It can only call tenantry_pooler.login_secret; a real deployment gives it a password
# instead and puts that in PgBouncer's auth file (README, "Connection budget").
set -euo pipefail
sed -i '1i host all tenantry_pooler_lookup samenet trust' "$PGDATA/pg_hba.conf"
