#!/bin/sh
# One-shot migration: checks that the database answers, then records the migration in the
# shared `migrations` volume and exits 0. Running it again is a no-op.
set -eu
marker=/migrations/0001_init.done
if [ -f "$marker" ]; then
  echo "migrate: 0001_init already applied ($(cat "$marker"))"
  exit 0
fi
# busybox wget cannot resolve names: ask Docker's DNS for db's address first.
ip=$(nslookup db 2>/dev/null | sed -n 's/^Address:[[:space:]]*\([0-9.]*\)$/\1/p' | tail -n 1)
[ -n "$ip" ] || { echo "migrate: cannot resolve db" >&2; exit 1; }
version=$(wget -q -O - "http://$ip:5432/PG_VERSION") || { echo "migrate: db at $ip does not answer" >&2; exit 1; }
echo "applied $(date -u +%Y-%m-%dT%H:%M:%SZ) against db version $version" > "$marker"
echo "migrate: 0001_init applied"
