# Sourced by the setup scripts: installs the Debian packages that are missing.
# Needs the caller's say() and die().

# ensure_apt_packages PKG…: returns at once when every package is installed.
ensure_apt_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    say "$* present"
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "apt packages missing (${missing[*]}) and not root: run 'sudo apt-get install -y ${missing[*]}'"
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}
