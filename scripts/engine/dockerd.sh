#!/usr/bin/env bash
# Start, stop or check the local Docker Engine (dockerd) on this project's machines,
# where no service manager starts it (see /work/shared/notes/engine.md).
#   bash scripts/engine/dockerd.sh start    start dockerd in the background unless it already answers; wait for /_ping
#   bash scripts/engine/dockerd.sh stop     stop the dockerd named in its pid file; wait until it has exited
#   bash scripts/engine/dockerd.sh status   exit 0 when the engine answers, 1 when not
# It only ever signals the process whose id dockerd wrote to its own pid file.
set -euo pipefail

sock=/var/run/docker.sock
pidfile=/var/run/docker.pid
log=${MASTERCOPY_DOCKERD_LOG:-/var/log/mastercopy-dockerd.log}
deadline_s=${MASTERCOPY_ENGINE_TIMEOUT:-60}

say() { echo "engine: $*"; }
die() { echo "engine: ERROR: $*" >&2; exit 1; }
log_tail() { [[ -f "$log" ]] && { echo "--- last lines of $log:" >&2; tail -n 25 "$log" >&2; } || true; }

# One request to the engine's /_ping; curl is cheap (~10 ms), a docker client is the fallback.
ping_engine() {
  if command -v curl >/dev/null 2>&1; then
    [[ "$(curl -fsS --max-time 2 --unix-socket "$sock" http://localhost/_ping 2>/dev/null)" == "OK" ]]
  else
    local docker=/usr/bin/docker
    [[ -x $docker ]] || docker=docker
    DOCKER_HOST="unix://$sock" timeout 5 "$docker" version >/dev/null 2>&1
  fi
}

# The pid in dockerd's pid file, if that process is alive and is a dockerd.
dockerd_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "dockerd" ]] || return 1
  echo "$pid"
}

now_ms() { date +%s%3N; }

start() {
  if ping_engine; then
    say "engine answers on $sock"
    return 0
  fi
  local pid
  if pid=$(dockerd_pid); then
    say "dockerd (pid $pid) is running but not answering yet; waiting"
  else
    command -v dockerd >/dev/null 2>&1 || die "dockerd not installed: run 'bash scripts/setup-engine.sh'"
    [[ $(id -u) -eq 0 ]] || die "starting dockerd needs root"
    mkdir -p "$(dirname "$log")"
    echo "=== $(date -Is) dockerd start" >>"$log"
    # setsid: its own session, so that it outlives the shell or test runner that started it.
    # env -i: a clean environment, whoever calls (a test inside VS Code has HOME and TMPDIR
    # in a scratch folder; an engine that kept them breaks `docker exec` once it is gone).
    setsid env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$(getent passwd "$(id -u)" | cut -d: -f6)" \
      dockerd >>"$log" 2>&1 </dev/null &
    pid=$!
    say "started dockerd (pid $pid), log $log"
  fi
  local until=$(($(now_ms) + deadline_s * 1000))
  until ping_engine; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail
      die "dockerd (pid $pid) exited before answering on $sock"
    fi
    if (($(now_ms) > until)); then
      log_tail
      die "dockerd (pid $pid) did not answer on $sock within ${deadline_s}s"
    fi
    sleep 0.1
  done
  say "engine answers on $sock"
}

stop() {
  local pid
  if ! pid=$(dockerd_pid); then
    ping_engine && die "an engine answers on $sock but no dockerd is named in $pidfile; not stopping it"
    say "dockerd is not running"
    return 0
  fi
  say "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  # dockerd stops its containers first (10 s grace each, in parallel), then exits.
  local until=$(($(now_ms) + deadline_s * 1000))
  while kill -0 "$pid" 2>/dev/null; do
    if (($(now_ms) > until)); then
      log_tail
      die "dockerd (pid $pid) did not exit within ${deadline_s}s of SIGTERM"
    fi
    sleep 0.1
  done
  say "dockerd stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ping_engine ;;
  *) die "usage: $0 start|stop|status" ;;
esac
