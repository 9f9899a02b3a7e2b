#!/usr/bin/env bash
# A local container registry on 127.0.0.1:5000 for the image tests (`bundle push`, `pull`,
# `push`). Idempotent: installs Debian's docker-registry if missing, starts it with its own
# config and storage under a state directory if nothing answers, and waits until /v2/ answers.
#   bash scripts/registry.sh            (BERTH_REGISTRY_DIR overrides the state directory)
set -euo pipefail

addr=127.0.0.1:5000
state=${BERTH_REGISTRY_DIR:-/tmp/berth-registry}
say() { printf 'registry: %s\n' "$*"; }

answers() { curl -fs -o /dev/null --max-time 2 "http://$addr/v2/"; }

if answers; then
  say "already answering on $addr"
  exit 0
fi

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v docker-registry >/dev/null 2>&1; then
  say "installing Debian's docker-registry"
  # The package's own service would take :5000 on 0.0.0.0; we start ours on loopback.
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y docker-registry >/dev/null ||
    { sudo_ apt-get update >/dev/null && sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y docker-registry >/dev/null; }
fi
command -v curl >/dev/null 2>&1 || sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y curl >/dev/null

# The package may have started its own service (systemd machines): it listens on :5000 too.
if answers; then
  say "answering on $addr (package service)"
  exit 0
fi

mkdir -p "$state/data"
cat >"$state/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/data
  delete:
    enabled: true
http:
  addr: $addr
YAML

say "starting docker-registry on $addr (state in $state)"
setsid nohup docker-registry serve "$state/config.yml" >"$state/registry.log" 2>&1 &
echo $! >"$state/pid"

for _ in $(seq 1 100); do
  if answers; then
    say "answering on $addr"
    exit 0
  fi
  sleep 0.1
done
say "docker-registry did not answer on http://$addr/v2/ within 10 s; its log:"
cat "$state/registry.log" >&2 || true
exit 1
