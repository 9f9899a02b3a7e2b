#!/bin/sh
# A stand-in for a database server: initialises its data directory on first start (like
# initdb), then serves it read-only over HTTP on port 5432.
set -eu
data=/var/lib/db
if [ ! -f "$data/PG_VERSION" ]; then
  echo "db: initialising $data"
  echo "16" > "$data/PG_VERSION"
  echo "initialised $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$data/cluster"
fi
echo "db: serving $data on :5432"
exec httpd -f -p 5432 -h "$data"
