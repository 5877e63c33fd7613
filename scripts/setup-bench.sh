#!/usr/bin/env bash
# What the benchmarks need beyond the engine, from Debian: HAProxy, the peer proxy
# the deploy benchmark measures the endpoint against, and wrk, its load generator. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "setup-bench: $*"; }
die() { echo "setup-bench: ERROR: $*" >&2; exit 1; }
# shellcheck source=lib/apt.sh
source "$root/scripts/lib/apt.sh"
ensure_apt_packages haproxy wrk
