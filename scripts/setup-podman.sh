#!/usr/bin/env bash
# Makes Podman's Docker-compatible API answer on /run/mastercopy-podman.sock, with the
# images the tests need (busybox:stable, the keeper's Node base), for the Podman suite
# (test/podman) and for trying Master Copy on Podman (DOCKER_HOST=unix:///run/mastercopy-podman.sock).
#   bash scripts/setup-podman.sh [start]   install, configure, start the service, load the images
#   bash scripts/setup-podman.sh stop      stop the service named in its pid file; wait until it has exited
#   bash scripts/setup-podman.sh status    exit 0 when the service answers, 1 when not
# A second service beside it (the full-disk test): MASTERCOPY_PODMAN_SOCK names its socket,
# MASTERCOPY_PODMAN_STORE a folder for its own image store and run root, and with
# MASTERCOPY_PODMAN_STORE_SIZE (e.g. 48m) that folder is a tmpfs of that size — a small disk —
# unmounted again by `stop`; MASTERCOPY_PODMAN_IMAGES lists the images to move (space-separated).
# Idempotent and fast when everything is already there (one ping, two image inspects).
# See /work/shared/notes/engine.md: Debian's podman (4.3) needs default_ulimits below the
# sandbox's hard limits, and its image store is separate from Docker's: no registry is
# reachable, so the images are moved from Docker with `docker save | podman load`.
# It only ever signals the process whose id it wrote to its own pid file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sock=${MASTERCOPY_PODMAN_SOCK:-/run/mastercopy-podman.sock}
pidfile=${sock%.sock}.pid
log=${MASTERCOPY_PODMAN_LOG:-/var/log/mastercopy-podman.log}
conf=/etc/containers/containers.conf
deadline_s=${MASTERCOPY_ENGINE_TIMEOUT:-60}
# What the tests print and the keeper runs on (see scripts/setup-engine.sh).
read -r -a images <<<"${MASTERCOPY_PODMAN_IMAGES:-busybox:stable mastercopy-node-base:local}"
store=${MASTERCOPY_PODMAN_STORE:-}
store_size=${MASTERCOPY_PODMAN_STORE_SIZE:-}
store_args=()
[[ -z $store ]] || store_args=(--root "$store/storage" --runroot "$store/run")

say() { echo "setup-podman: $*"; }
die() { echo "setup-podman: ERROR: $*" >&2; exit 1; }
log_tail() { [[ -f "$log" ]] && { echo "--- last lines of $log:" >&2; tail -n 25 "$log" >&2; } || true; }
now_ms() { date +%s%3N; }
# A clean environment for podman, whoever calls (a test inside VS Code has HOME and TMPDIR in a
# scratch folder; an engine that kept them breaks exec and builds once that folder is gone).
clean_env=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$(getent passwd "$(id -u)" | cut -d: -f6)")
podman_cmd() { "${clean_env[@]}" podman "${store_args[@]}" "$@"; }
# shellcheck source=lib/apt.sh
source "$root/scripts/lib/apt.sh"

ping_service() {
  [[ "$(curl -fsS --max-time 2 --unix-socket "$sock" http://localhost/_ping 2>/dev/null)" == "OK" ]]
}

# The pid in our pid file, if that process is alive and is a podman.
service_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "podman" ]] || return 1
  echo "$pid"
}

# default_ulimits in [containers], leaving every other setting of the file as it is: the
# sandbox's hard limits are below Podman's defaults, and a container then fails to start
# ("error setting rlimit … operation not permitted").
ulimits='default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]'
conf_changed=0
configure_ulimits() {
  if [[ -f $conf ]] && awk -v want="$ulimits" '
      /^[[:space:]]*\[/ { section = $0; gsub(/[[:space:]]/, "", section) }
      section == "[containers]" && $0 == want { found = 1 }
      END { exit found ? 0 : 1 }' "$conf"; then
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "$conf lacks '$ulimits' under [containers] and not root"
  mkdir -p "$(dirname "$conf")"
  local tmp
  tmp=$(mktemp "$conf.XXXXXX")
  if [[ -f $conf ]]; then
    # Replace a default_ulimits of [containers] (one line or a multi-line list), or add ours
    # right under the section header, or add the section at the end.
    awk -v want="$ulimits" '
      /^[[:space:]]*\[/ && !skipping {
        if (section == "[containers]" && !done) { print want; done = 1 }
        section = $0; gsub(/[[:space:]]/, "", section)
        print; next
      }
      skipping { if ($0 ~ /\]/) skipping = 0; next }
      section == "[containers]" && $0 ~ /^[[:space:]]*default_ulimits[[:space:]]*=/ {
        if (!done) { print want; done = 1 }
        if ($0 !~ /\]/) skipping = 1
        next
      }
      { print }
      END {
        if (section == "[containers]" && !done) { print want; done = 1 }
        if (!done) { print ""; print "[containers]"; print want }
      }' "$conf" >"$tmp"
    say "set $ulimits in $conf (other settings kept)"
  else
    printf '[containers]\n%s\n' "$ulimits" >"$tmp"
    say "wrote $conf with $ulimits"
  fi
  chmod 644 "$tmp"
  mv "$tmp" "$conf"
  conf_changed=1
}

start_service() {
  if ping_service; then
    say "Podman answers on $sock"
    return 0
  fi
  local pid
  if pid=$(service_pid); then
    say "podman system service (pid $pid) is running but not answering yet; waiting"
  else
    [[ $(id -u) -eq 0 ]] || die "starting the Podman service here needs root"
    mkdir -p "$(dirname "$log")"
    rm -f "$sock"
    echo "=== $(date -Is) podman system service start" >>"$log"
    # setsid: its own session, so that it outlives the shell or test runner that started it;
    # env -i (clean_env): none of the caller's environment.
    mount_store
    setsid "${clean_env[@]}" podman "${store_args[@]}" system service --time=0 "unix://$sock" >>"$log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$pidfile"
    say "started podman system service (pid $pid), log $log"
  fi
  local until=$(($(now_ms) + deadline_s * 1000))
  until ping_service; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail
      die "podman system service (pid $pid) exited before answering on $sock"
    fi
    if (($(now_ms) > until)); then
      log_tail
      die "podman system service (pid $pid) did not answer on $sock within ${deadline_s}s"
    fi
    sleep 0.1
  done
  say "Podman answers on $sock"
}

# The small disk of a second service: a tmpfs of MASTERCOPY_PODMAN_STORE_SIZE at its store.
mount_store() {
  [[ -n $store ]] || return 0
  mkdir -p "$store"
  [[ -n $store_size ]] || return 0
  mountpoint -q "$store" && return 0
  mount -t tmpfs -o "size=$store_size" tmpfs "$store" || die "could not mount a ${store_size} tmpfs at $store"
  say "a ${store_size} tmpfs at $store holds this service's images"
}

unmount_store() {
  [[ -n $store && -n $store_size ]] || return 0
  mountpoint -q "$store" || return 0
  # (Podman bind-mounts its overlay folder inside the store: -R takes those too.)
  umount -R "$store" && rmdir "$store" 2>/dev/null || true
  say "unmounted $store"
}

stop_service() {
  local pid
  if ! pid=$(service_pid); then
    ping_service && die "something answers on $sock but no podman is named in $pidfile; not stopping it"
    say "the Podman service is not running"
    unmount_store
    return 0
  fi
  say "stopping podman system service (pid $pid)"
  kill -TERM "$pid"
  local until=$(($(now_ms) + deadline_s * 1000))
  while kill -0 "$pid" 2>/dev/null; do
    if (($(now_ms) > until)); then
      log_tail
      die "podman system service (pid $pid) did not exit within ${deadline_s}s of SIGTERM"
    fi
    sleep 0.1
  done
  rm -f "$pidfile"
  say "the Podman service stopped"
  unmount_store
}

# Each image the tests need, from Docker's store into Podman's (`docker save | podman load`:
# no registry is reachable); Docker's engine and images first if it lacks them.
load_images() {
  local missing=() image
  for image in "${images[@]}"; do
    podman_cmd image exists "$image" || missing+=("$image")
  done
  if ((${#missing[@]} == 0)); then
    say "${images[*]} present in Podman"
    return 0
  fi
  local docker=/usr/bin/docker need_docker=0
  [[ -x $docker ]] || docker=$(command -v docker) || need_docker=1
  if ((need_docker == 0)); then
    for image in "${missing[@]}"; do
      DOCKER_HOST=unix:///var/run/docker.sock "$docker" image inspect "$image" >/dev/null 2>&1 || need_docker=1
    done
  fi
  if ((need_docker == 1)); then
    say "Docker lacks ${missing[*]} (or does not run): running scripts/setup-engine.sh"
    bash "$root/scripts/setup-engine.sh"
    docker=/usr/bin/docker
    [[ -x $docker ]] || docker=$(command -v docker) || die "no docker client found after scripts/setup-engine.sh"
  fi
  for image in "${missing[@]}"; do
    say "docker save $image | podman load"
    # pipefail: a failing save fails the pipe too.
    DOCKER_HOST=unix:///var/run/docker.sock "$docker" save "$image" | podman_cmd load --quiet >/dev/null ||
      die "moving $image from Docker into Podman failed"
    podman_cmd image exists "$image" || die "$image is not in Podman after podman load"
  done
}

setup() {
  if command -v podman >/dev/null 2>&1 && ping_service; then
    # The fast path: only the images can be missing.
    say "Podman answers on $sock"
    # The service reads containers.conf when it starts.
    configure_ulimits
    ((conf_changed == 0)) || { stop_service; start_service; }
  else
    ensure_apt_packages podman catatonit curl
    configure_ulimits
    start_service
  fi
  load_images
}

case "${1:-start}" in
  start) setup ;;
  stop) stop_service ;;
  status) ping_service ;;
  *) die "usage: $0 [start|stop|status]" ;;
esac
