#!/usr/bin/env bash
# The project's test run (also what CI runs through .ci/run):
# setup, the reference Compose v2 when ../shared is present, every test, then the doc tests.
#   sudo bash scripts/test.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'test: %s\n' "$*"; }

bash scripts/setup.sh

# Like setup.sh: under sudo, cargo runs as the invoking user so target/ stays theirs.
builder=""
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  builder=$SUDO_USER
fi
home=${HOME:-/root}
[ -z "$builder" ] || home=$(getent passwd "$builder" | cut -d: -f6)
[ ! -x "$home/.cargo/bin/cargo" ] || PATH="$home/.cargo/bin:$PATH"
run() {
  if [ -n "$builder" ]; then runuser -u "$builder" -- env "PATH=$PATH" "$@"; else "$@"; fi
}
if ! run docker info >/dev/null 2>&1; then
  say "warning: ${builder:-$(id -un)} cannot reach the Docker engine; engine tests will fail (add the user to the docker group)"
fi

if ! run cargo nextest --version >/dev/null 2>&1; then
  say "installing cargo-nextest"
  run cargo install cargo-nextest --locked
fi

# The conformance tests compare berth with the reference implementation, Compose v2.
if [ -d ../shared ]; then
  say "reference Compose v2 (../shared/tools/install-reference-compose.sh)"
  if [ "$(id -u)" -eq 0 ]; then
    bash ../shared/tools/install-reference-compose.sh
  else
    sudo bash ../shared/tools/install-reference-compose.sh
  fi
fi

# socat: the engine tests reach the Docker socket over loopback TCP (DOCKER_HOST=tcp://…).
if ! command -v socat >/dev/null 2>&1; then
  say "installing socat"
  if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq socat >/dev/null; else sudo apt-get install -y -qq socat >/dev/null; fi
fi

# A local image registry on 127.0.0.1:5000 for the push/pull/bundle tests.
say "local registry (scripts/registry.sh)"
if [ "$(id -u)" -eq 0 ]; then bash scripts/registry.sh; else sudo bash scripts/registry.sh; fi

# Podman with its Docker-compatible API on /run/podman/podman.sock, for the same engine tests.
say "Podman (scripts/podman.sh)"
if [ "$(id -u)" -eq 0 ]; then bash scripts/podman.sh; else sudo bash scripts/podman.sh; fi

# Offline Kubernetes validators for the convert tests (kubernetes-validate, helm-python-sdk).
say "Kubernetes validation tools (scripts/k8s-tools.sh)"
run bash scripts/k8s-tools.sh

status=0
say "cargo nextest run --workspace --no-fail-fast"
run cargo nextest run --workspace --no-fail-fast || status=1
say "engine tests again, on Podman"
run env BERTH_TEST_ENGINE=podman cargo nextest run --test engine_up --test engine_update --test engine_differences --test engine_watch --test engine_loop --test engine_terminal --no-fail-fast \
  -E 'not test(interchangeable_with_compose_v2_both_ways)' || status=1
# The engine outage test stops and restarts the Podman service: alone, after the others.
say "engine outage under logs -f, on Podman"
run env BERTH_TEST_ENGINE=podman BERTH_TEST_OUTAGE=1 cargo nextest run --test engine_outage || status=1
if [ "$(id -u)" -eq 0 ]; then bash scripts/podman.sh >/dev/null; else sudo bash scripts/podman.sh >/dev/null; fi
say "cargo test --workspace --doc"
run cargo test --workspace --doc || status=1

if [ "$status" -ne 0 ]; then
  say "FAILED"
else
  say "all passed"
fi
exit "$status"
