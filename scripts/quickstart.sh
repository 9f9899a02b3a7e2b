#!/usr/bin/env bash
# From a fresh checkout to a running sample: setup, then `berth up` on the web-cache sample
# and a request to it.   sudo bash scripts/quickstart.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
compose=compose-samples/web-cache/compose.yaml
berth=target/release/berth

bash scripts/setup.sh

echo "quickstart: $berth -f $compose up -d"
"$berth" -f "$compose" up -d

# The web service may need a moment after its container starts.
for _ in $(seq 1 30); do
  if curl -fsS http://127.0.0.1:8080/ >/dev/null 2>&1; then break; fi
  sleep 1
done
echo "quickstart: curl http://127.0.0.1:8080/cgi-bin/greeting"
curl -fsS http://127.0.0.1:8080/cgi-bin/greeting
echo "quickstart: the sample is running; stop it with: $berth -f $compose down -v"
