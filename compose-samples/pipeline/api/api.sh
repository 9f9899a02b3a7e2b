#!/bin/sh
# The API refuses to start on an unmigrated database: compose starts it only after
# `migrate` completed successfully, so this is a second line of defence.
set -eu
if [ ! -f /migrations/0001_init.done ]; then
  echo "api: migration 0001_init missing in /migrations" >&2
  exit 1
fi
echo "api: serving on :8000"
exec httpd -f -p 8000 -h /srv/api
