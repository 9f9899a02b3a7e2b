#!/usr/bin/env bash
# Prepares Podman for berth's engine tests (BERTH_TEST_ENGINE=podman), the way CI does it.
# Idempotent, run as root (scripts/test.sh calls it):  sudo bash scripts/podman.sh
#   1. installs podman (Debian's 4.3) and catatonit (its `init: true`) if missing;
#   2. sets default_ulimits in /etc/containers/containers.conf: without it every container start
#      fails with "error setting rlimit type 7: operation not permitted" where the host's hard
#      limits are lower than Podman's defaults (../shared/research/rust-stack.md §2.3);
#   3. starts the Docker-compatible API service on the rootful socket /run/podman/podman.sock
#      (no systemd here: `podman system service --time=0`, log in /var/log/berth-podman.log);
#   4. loads the offline test image berth-test/busybox:1 into Podman's store.
set -euo pipefail

say() { printf 'podman: %s\n' "$*"; }
die() { printf 'podman: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo bash scripts/podman.sh)"

sock=/run/podman/podman.sock
conf=/etc/containers/containers.conf
log=/var/log/berth-podman.log
pidfile=/run/podman/berth-service.pid
image=berth-test/busybox:1

# 1. The packages: podman, and catatonit, Podman's init for `init: true` (without it:
#    "container-init binary not found on the host: stat /usr/libexec/podman/catatonit").
missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
[ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
say "$(podman --version)"

# 2. default_ulimits under [containers], keeping whatever else the file holds.
want='default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]'
restart=0
mkdir -p "$(dirname "$conf")"
touch "$conf"
if ! grep -qxF "$want" "$conf"; then
  say "setting default_ulimits in $conf"
  tmp=$(mktemp)
  awk -v want="$want" '
    # Drop an older default_ulimits (one line or a bracketed list over several lines).
    skip && /\]/ { skip = 0; next }
    skip { next }
    /^[[:space:]]*default_ulimits[[:space:]]*=/ { if ($0 !~ /\]/) skip = 1; next }
    /^\[containers\][[:space:]]*$/ { print; print want; done = 1; next }
    { print }
    END { if (!done) { print ""; print "[containers]"; print want } }
  ' "$conf" >"$tmp"
  cat "$tmp" >"$conf"
  rm -f "$tmp"
  restart=1
fi

# 3. The API service. A running one is restarted when the configuration changed.
answers() { curl -sf --max-time 5 --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; }
command -v curl >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null
if [ "$restart" -eq 1 ] && answers; then
  say "restarting the service to apply $conf"
  if [ -s "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
  for _ in $(seq 1 50); do answers || break; sleep 0.1; done
fi
if ! answers; then
  say "starting podman system service on unix://$sock (log: $log)"
  mkdir -p "$(dirname "$sock")"
  rm -f "$sock"
  # From /: the service and its conmons keep this directory as theirs, and a checkout can go.
  (
    cd /
    nohup podman system service --time=0 "unix://$sock" >>"$log" 2>&1 </dev/null &
    echo $! >"$pidfile"
  )
  for _ in $(seq 1 100); do answers && break; sleep 0.1; done
  answers || die "the Podman service does not answer on $sock (see $log)"
fi
# Non-root test runners reach the rootful socket the way they reach Docker's: group docker.
if getent group docker >/dev/null 2>&1; then
  chgrp docker "$sock" "$(dirname "$sock")" && chmod g+rw "$sock" && chmod g+x "$(dirname "$sock")"
fi
say "service answers on unix://$sock"

# 4. The test image: copied from Docker when it has it, else built from /bin/busybox.
if ! podman image exists "$image"; then
  if docker image inspect "$image" >/dev/null 2>&1; then
    say "loading $image from Docker"
    docker save "$image" | podman load -q >/dev/null
  else
    [ -x /bin/busybox ] || die "/bin/busybox is missing (apt-get install busybox-static)"
    say "building $image from /bin/busybox"
    ctx=$(mktemp -d)
    cp /bin/busybox "$ctx/busybox"
    printf '%s\n' 'FROM scratch' 'COPY busybox /bin/busybox' \
      'RUN ["/bin/busybox", "--install", "-s", "/bin"]' 'CMD ["sh"]' >"$ctx/Dockerfile"
    podman build -q -t "$image" "$ctx" >/dev/null
    rm -rf "$ctx"
  fi
fi
say "image $image ready"
