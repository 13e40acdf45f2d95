#!/usr/bin/env bash
# Runs a command with the settings `npm start` generated in .dev/env (the local encryption key),
# unless the caller already set them.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .dev/env ] && [ -z "${SECRETS_KEY:-}" ]; then
  set -a
  # shellcheck disable=SC1091
  . .dev/env
  set +a
fi
exec "$@"
