#!/usr/bin/env bash
# Prepares a Debian machine for berth: system packages, a running Docker engine, a release
# build, and the offline sample images. Idempotent: each step checks before it acts.
# Run as root or with sudo:  sudo bash scripts/setup.sh
#
# Sample images: every directory under compose-samples/ with a Dockerfile is a build context.
# Its image tag is berth-samples/<path below compose-samples, '/' -> '-'>:1.0
# (compose-samples/web-cache/web -> berth-samples/web-cache-web:1.0), the same tag the
# sample's compose.yaml pins, built with the engine's own `docker build`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  die "run as root or install sudo (packages and the Docker engine need root)"
fi

# Under sudo, build as the invoking user so target/ stays theirs; find their cargo too.
build_user=""
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "${SUDO_USER}" != root ]; then
  build_user=$SUDO_USER
fi
find_cargo() {
  local home
  if [ -n "$build_user" ]; then
    home=$(getent passwd "$build_user" | cut -d: -f6)
    if [ -x "$home/.cargo/bin/cargo" ]; then echo "$home/.cargo/bin/cargo"; return; fi
  fi
  if command -v cargo >/dev/null 2>&1; then command -v cargo; return; fi
  if [ -x "${HOME:-/root}/.cargo/bin/cargo" ]; then echo "${HOME:-/root}/.cargo/bin/cargo"; return; fi
  return 1
}
as_builder() {
  if [ -n "$build_user" ]; then
    runuser -u "$build_user" -- env "PATH=$(dirname "$cargo"):$PATH" "$@"
  else
    env "PATH=$(dirname "$cargo"):$PATH" "$@"
  fi
}

# 1. Rust: rustup cannot be fetched here, so a toolchain must already exist.
cargo=$(find_cargo) || die "cargo not found. Install a Rust toolchain (1.88 or newer) first, e.g. from https://rustup.rs or Debian's 'cargo' package on a newer release, then rerun."
say "cargo: $cargo ($(as_builder cargo --version))"

# 2. Debian packages: static busybox (sample images), curl (quickstart).
missing=()
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || missing+=(busybox-static)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The test suite's Kubernetes validators live in a Python venv (scripts/k8s-tools.sh).
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
docker_up() { "${SUDO[@]}" docker info >/dev/null 2>&1; }
if ! docker_up && ! command -v dockerd >/dev/null 2>&1; then missing+=(docker.io); fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "packages: busybox-static, curl and docker already present"
fi
[ -x /bin/busybox ] || die "/bin/busybox missing after installing busybox-static"

# 3. Docker engine: start dockerd ourselves when nothing answers (no systemd in containers).
if docker_up; then
  say "docker: engine answers ($("${SUDO[@]}" docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
else
  say "docker: no engine answers; starting dockerd (log: /var/log/dockerd.log)"
  "${SUDO[@]}" sh -c 'nohup dockerd >/var/log/dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    docker_up && break
    sleep 1
  done
  docker_up || die "dockerd did not answer within 60 s; see /var/log/dockerd.log"
  say "docker: engine up"
fi

# 4. berth itself.
say "building berth (cargo build --release)"
as_builder cargo build --release --quiet
say "built $repo/target/release/berth"

# berth on PATH (a link, so a rebuild is picked up), its manual pages, bash completion, and
# the Docker CLI plugin link (`docker berth`). A berth that is not our link is left alone.
bin=$repo/target/release/berth
on_path=$bin
if [ ! -e /usr/local/bin/berth ] || [ -L /usr/local/bin/berth ]; then
  "${SUDO[@]}" ln -sfn "$bin" /usr/local/bin/berth
  on_path=/usr/local/bin/berth
  say "linked /usr/local/bin/berth -> $bin"
else
  say "/usr/local/bin/berth exists and is not a link: left alone"
fi
"${SUDO[@]}" "$bin" man /usr/local/share/man/man1 >/dev/null
say "manual pages in /usr/local/share/man/man1 (man berth, man berth-up)"
if [ -d /usr/share/bash-completion/completions ]; then
  # The script calls berth back as it was started: by name when the link is on PATH.
  if [ "$on_path" = /usr/local/bin/berth ]; then
    script=$(cd / && PATH="/usr/local/bin:$PATH" berth completion bash)
  else
    script=$("$bin" completion bash)
  fi
  printf '%s\n' "$script" | "${SUDO[@]}" tee /usr/share/bash-completion/completions/berth >/dev/null
  say "bash completion in /usr/share/bash-completion/completions/berth"
fi
plugin_dir="${HOME:-/root}/.docker/cli-plugins"
if [ -n "$build_user" ]; then
  plugin_dir="$(getent passwd "$build_user" | cut -d: -f6)/.docker/cli-plugins"
  runuser -u "$build_user" -- "$bin" install-plugin --dir "$plugin_dir" >/dev/null
else
  "$bin" install-plugin --dir "$plugin_dir" >/dev/null
fi
say "docker plugin: $plugin_dir/docker-berth (docker berth up -d)"

# 5. Sample images, built offline from busybox.
while IFS= read -r dockerfile; do
  ctx=$(dirname "$dockerfile")
  rel=${ctx#compose-samples/}
  tag="berth-samples/${rel//\//-}:1.0"
  cmp -s /bin/busybox "$ctx/busybox" || cp /bin/busybox "$ctx/busybox"
  say "image $tag <- $ctx"
  # Quiet unless it fails (the legacy builder also warns on stderr about BuildKit).
  if ! out=$("${SUDO[@]}" docker build -q -t "$tag" "$ctx" 2>&1); then
    printf '%s\n' "$out" >&2
    die "docker build of $ctx failed"
  fi
done < <(find compose-samples -name Dockerfile | sort)

say "done"
