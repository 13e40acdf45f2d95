# Sourced by the scripts (and .ci/run) from the repository root: puts the Node.js LTS the project
# declares first on PATH, so every node, npm and npx after it runs on that LTS. The running Node
# serves when it is that LTS line at the pinned release or later; otherwise the pinned release is
# installed once into .dev/node from the npm registry's Node packages, by `npm ci` against
# scripts/node-runtime/package-lock.json (which holds each package's sha512 integrity).

node_runtime_log() { printf '[node] %s\n' "$*" >&2; }

# True when version $1 (x.y.z) is at least $2.
node_version_at_least() {
  local IFS=.
  local -a have=($1) want=($2)
  local i
  for i in 0 1 2; do
    [ "${have[i]:-0}" -gt "${want[i]:-0}" ] && return 0
    [ "${have[i]:-0}" -lt "${want[i]:-0}" ] && return 1
  done
  return 0
}

use_project_node() {
  local want have dir=.dev/node
  want=$(sed -n 's/^  "version": "\([0-9.]*\)",$/\1/p' scripts/node-runtime/package.json)
  have=$(node -p 'process.versions.node' 2>/dev/null || true)
  if [ -n "$have" ] && [ "${have%%.*}" = "${want%%.*}" ] && node_version_at_least "$have" "$want"; then
    return 0
  fi
  if [ "$("$dir/node_modules/.bin/node" -p 'process.versions.node' 2>/dev/null || true)" != "$want" ]; then
    node_runtime_log "Node ${have:-(none)} is not the project's LTS line (${want%%.*}, at least $want): installing Node $want into $dir"
    command -v npm >/dev/null || { node_runtime_log "npm is needed to fetch Node $want; install Node $want yourself"; return 1; }
    rm -rf "$dir" && mkdir -p "$dir"
    cp scripts/node-runtime/package.json scripts/node-runtime/package-lock.json "$dir/"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || {
      node_runtime_log "could not install Node $want from the npm registry"
      return 1
    }
    [ -x "$dir/node_modules/.bin/node" ] || {
      node_runtime_log "the npm registry has no Node $want build for $(uname -s) $(uname -m); install Node $want yourself"
      return 1
    }
  fi
  PATH="$PWD/$dir/node_modules/.bin:$PATH"
  export PATH
  node_runtime_log "using Node $(node -p 'process.versions.node') from $dir"
}

use_project_node
