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
