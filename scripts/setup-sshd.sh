#!/usr/bin/env bash
# An sshd on loopback for the engine test of ssh:// engines (test/engine/remote.test.ts), the
# way users reach a remote engine: DOCKER_HOST=ssh://USER@127.0.0.1:PORT.
#   bash scripts/setup-sshd.sh        make sure it runs and its user reaches the engine (idempotent)
#   bash scripts/setup-sshd.sh stop   stop it (only the process in its own pid file)
# It listens on 127.0.0.1 only (MASTERCOPY_SSHD_PORT; else the port kept in .tools/sshd/port,
# first 2222 or the next free one up to 2299, so that two checkouts each have theirs; the tests
# read that file) and runs as the current
# user, with a host key and one authorized key of its own, generated into its state folder
# (.tools/sshd: never ~/.ssh); the key may only run commands (`restrict`). docker-modem's ssh
# runs `docker system dial-stdio` there, so that user needs the docker client on its PATH and
# access to /var/run/docker.sock: checked here with `docker version` through the sshd.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$root/.tools/sshd"
port_file="$state/port"
user=$(id -un)
config="$state/sshd_config"
pidfile="$state/sshd.pid"
log="$state/sshd.log"

say() { echo "setup-sshd: $*"; }
die() { echo "setup-sshd: ERROR: $*" >&2; exit 1; }
# shellcheck source=lib/apt.sh
source "$root/scripts/lib/apt.sh"

# The pid in our sshd's pid file, if that process is alive and is an sshd.
sshd_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "sshd" ]] || return 1
  echo "$pid"
}

stop() {
  local pid
  if pid=$(sshd_pid); then
    kill "$pid"
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    say "stopped sshd (pid $pid)"
  fi
  rm -f "$pidfile"
}

# One command through the sshd with the test key, checking the host key we generated.
through_ssh() {
  ssh -q -i "$state/client_ed25519" -p "$port" \
    -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -o ConnectTimeout=3 \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$state/known_hosts" \
    "$user@127.0.0.1" "$@"
}

answers() { through_ssh docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; }

if [[ ${1:-} == stop ]]; then
  stop
  exit 0
fi
[[ -z ${1:-} ]] || die "unknown command '$1' (none, or stop)"

ensure_apt_packages openssh-server openssh-client
sshd=/usr/sbin/sshd
[[ -x $sshd ]] || die "$sshd not found (package openssh-server)"

mkdir -p "$state"
chmod 700 "$state"
taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -n ${MASTERCOPY_SSHD_PORT:-} ]]; then
  port=$MASTERCOPY_SSHD_PORT
elif [[ -f $port_file ]] && [[ $(cat "$port_file") =~ ^[0-9]+$ ]]; then
  port=$(cat "$port_file")
else
  port=""
  for candidate in $(seq 2222 2299); do
    taken "$candidate" || { port=$candidate; break; }
  done
  [[ -n $port ]] || die "no free port from 2222 to 2299 on 127.0.0.1; choose one with MASTERCOPY_SSHD_PORT"
fi
echo "$port" >"$port_file"
[[ -f $state/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C "mastercopy test sshd" -f "$state/host_ed25519"
[[ -f $state/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C "mastercopy test client" -f "$state/client_ed25519"
printf 'restrict %s\n' "$(cat "$state/client_ed25519.pub")" >"$state/authorized_keys"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$state/host_ed25519.pub")" >"$state/known_hosts"
chmod 600 "$state/authorized_keys"
# Many engine requests at once each open a connection of their own (docker-modem): room for them.
# StrictModes no: sshd would refuse the key when any folder above the checkout is group- or
# world-writable (a clone under /tmp); the key's own folder is ours, 0700, its files 0600.
cat >"$config.new" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $state/host_ed25519
PidFile $pidfile
AuthorizedKeysFile $state/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
MaxStartups 100:30:200
StrictModes no
LogLevel INFO
EOF

if pid=$(sshd_pid) && cmp -s "$config.new" "$config" && answers; then
  rm -f "$config.new"
  say "sshd (pid $pid) answers on 127.0.0.1:$port as $user"
  exit 0
fi
stop
# Something else listening there (another checkout's sshd, another service) would answer instead.
if taken "$port"; then
  rm -f "$config.new"
  die "127.0.0.1:$port is taken by another process (an sshd another checkout started? its" \
    "'bash scripts/setup-sshd.sh stop' ends it), or choose another port with MASTERCOPY_SSHD_PORT"
fi
mv "$config.new" "$config"
# Run as root, sshd needs its privilege separation folder.
[[ $(id -u) -ne 0 ]] || mkdir -p /run/sshd
"$sshd" -t -f "$config" || die "sshd refuses its configuration $config"
# setsid and a clean environment: it outlives the shell or test runner that started it, and
# keeps nothing of theirs (see scripts/engine/dockerd.sh).
setsid env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME" \
  "$sshd" -f "$config" -E "$log" </dev/null >/dev/null 2>&1 ||
  die "sshd did not start; see $log"
for _ in $(seq 100); do
  answers && break
  sleep 0.1
done
if ! answers; then
  out=$(through_ssh docker version 2>&1 || true)
  tail -n 5 "$log" >&2 || true
  stop # not left listening for nothing
  die "the sshd on 127.0.0.1:$port does not let $user reach the engine: ${out:-no answer}" \
    "(the docker client must be on that user's PATH, with access to /var/run/docker.sock)"
fi
say "sshd (pid $(sshd_pid)) answers on 127.0.0.1:$port as $user; key $state/client_ed25519"
