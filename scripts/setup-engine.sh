#!/usr/bin/env bash
# Makes a Docker Engine answer on /var/run/docker.sock and makes sure the local base
# image `busybox:stable` exists, for the engine tests and for building examples.
# Idempotent and fast when everything is already there (one ping, one image inspect).
# See /work/shared/notes/engine.md: Debian's docker.io is installed but its service is
# not started, and no registry is reachable, so the base image is built locally.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dockerd_sh="$root/scripts/engine/dockerd.sh"
base_image=busybox:stable
base_label=io.mastercopy.base
base_label_value=busybox-static

say() { echo "setup-engine: $*"; }
die() { echo "setup-engine: ERROR: $*" >&2; exit 1; }
# shellcheck source=lib/apt.sh
source "$root/scripts/lib/apt.sh"

node_base_image=mastercopy-node-base:local

# 1. The engine: install and start it unless one already answers.
if bash "$dockerd_sh" status; then
  say "engine answers on /var/run/docker.sock"
else
  ensure_apt_packages docker.io busybox-static
  bash "$dockerd_sh" start
fi

# openssl makes the certificates of the engine tests' TLS endpoint (test/support/tlsEngine.ts).
ensure_apt_packages openssl

# The Debian package's client; an older or newer one may sit earlier on PATH.
docker=/usr/bin/docker
[[ -x $docker ]] || docker=$(command -v docker) || die "no docker client found"
export DOCKER_HOST=unix:///var/run/docker.sock

# 2. The base image, built by us (labelled) unless some busybox:stable is already there.
label=$("$docker" image inspect --format "{{ index .Config.Labels \"$base_label\" }}" "$base_image" 2>/dev/null) || label=missing
if [[ $label == missing ]]; then
  dpkg -s busybox-static >/dev/null 2>&1 || {
    [[ $(id -u) -eq 0 ]] || die "busybox-static missing and not root: run 'sudo apt-get install -y busybox-static'"
    say "apt-get install busybox-static"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq busybox-static >/dev/null || die "apt-get install busybox-static failed"
  }
  [[ -x /bin/busybox ]] || die "/bin/busybox not found (package busybox-static)"
  say "building $base_image FROM scratch with /bin/busybox"
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  cp /bin/busybox "$ctx/busybox"
  cp "$root/scripts/engine/busybox.Dockerfile" "$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 "$docker" build --quiet --tag "$base_image" "$ctx" >/dev/null ||
    die "building $base_image failed"
  say "$base_image built"
elif [[ $label == "$base_label_value" ]]; then
  say "$base_image present (built here from busybox-static)"
else
  say "$base_image present (not built by us; using it as is)"
fi

# 3. The keeper's Node base image (see /work/shared/notes/engine.md): FROM scratch with this
# machine's own node binary and every shared library ldd names, each at its own path.
# Rebuilt when the machine's Node version changes. Where a registry is reachable an
# official Node image does the same job (the keeper base image setting).
node_bin=$(command -v node) || die "no node on PATH: the keeper's base image is built from it"
node_version=$("$node_bin" --version)
have=$("$docker" image inspect --format '{{ index .Config.Labels "io.mastercopy.node-version" }}' "$node_base_image" 2>/dev/null) || have=missing
if [[ $have == "$node_version" ]]; then
  say "$node_base_image present (node $node_version)"
else
  say "building $node_base_image FROM scratch with $node_bin ($node_version)"
  nctx=$(mktemp -d)
  trap 'rm -rf "${ctx:-}" "$nctx"' EXIT
  mkdir -p "$nctx/root/usr/local/bin"
  cp -L "$node_bin" "$nctx/root/usr/local/bin/node"
  # ldd lines: "libX.so => /path (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)".
  while read -r lib; do
    [[ -n $lib && -e $lib ]] || continue
    mkdir -p "$nctx/root$(dirname "$lib")"
    cp -L "$lib" "$nctx/root$lib"
  done < <(ldd "$node_bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
  printf 'FROM scratch\nCOPY root/ /\nENV PATH=/usr/local/bin\nLABEL io.mastercopy.base="node-local" io.mastercopy.node-version="%s"\nENTRYPOINT ["/usr/local/bin/node"]\n' "$node_version" >"$nctx/Dockerfile"
  DOCKER_BUILDKIT=0 "$docker" build --quiet --tag "$node_base_image" "$nctx" >/dev/null || die "building $node_base_image failed"
  "$docker" run --rm --read-only --cap-drop ALL --security-opt no-new-privileges "$node_base_image" -e 'process.exit(0)' ||
    die "$node_base_image was built but its node does not run"
  say "$node_base_image built"
fi

# 4. Single-node swarm mode, for the Swarm target (services, rolling updates, rollbacks).
# Only when the engine is no member of a swarm yet: an engine that already is one (a
# manager or a worker of a real cluster) is left exactly as it is. Containers outside the
# swarm are unaffected; `docker swarm leave --force` undoes it. The ingress routing mesh
# does not work on these machines (no IPVS, see notes/engine.md): tests publish in host mode.
swarm_state=$("$docker" info --format '{{ .Swarm.LocalNodeState }}' 2>/dev/null) || swarm_state=unknown
if [[ $swarm_state == inactive ]]; then
  "$docker" swarm init --advertise-addr 127.0.0.1 >/dev/null || die "docker swarm init failed"
  say "engine is now a single-node swarm (manager on 127.0.0.1)"
else
  say "swarm: $swarm_state (left as it is)"
fi
