#!/bin/sh
# Polls $PROBE_TARGET (host:port) every $PROBE_INTERVAL seconds and keeps the last result in
# /tmp/probe.last (the healthcheck reads it). busybox wget cannot resolve names: nslookup first.
target="${PROBE_TARGET:-app:8080}"
host="${target%:*}"
port="${target##*:}"
while :; do
  ip=$(nslookup "$host" 2>/dev/null | sed -n 's/^Address:[[:space:]]*\([0-9.]*\)$/\1/p' | tail -n 1)
  if [ -n "$ip" ] && wget -q -O /dev/null "http://$ip:$port/"; then
    result="up"
  else
    result="down"
  fi
  line="$(date -u +%Y-%m-%dT%H:%M:%SZ) $target $result"
  echo "$line" > /tmp/probe.last
  echo "probe: $line"
  sleep "${PROBE_INTERVAL:-5}"
done
