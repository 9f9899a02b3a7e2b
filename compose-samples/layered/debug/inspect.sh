#!/bin/sh
# Prints what the debug profile can see: the app's address and its answer.
ip=$(nslookup app 2>/dev/null | sed -n 's/^Address:[[:space:]]*\([0-9.]*\)$/\1/p' | tail -n 1)
[ -n "$ip" ] || { echo "debug: cannot resolve app" >&2; exit 1; }
echo "debug: app is $ip"
wget -q -O - "http://$ip:8080/cgi-bin/hello"
