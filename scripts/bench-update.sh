#!/usr/bin/env bash
# Updates without downtime (issue 16), measured: how many requests a rolling `up -d` loses and
# how long it takes, berth against Compose v2's recreate (BENCHMARKS.md). Not part of CI.
#
# The stack: `web`, the offline test image berth-test/busybox:1, 2 replicas, a 2 s boot
# (`sleep 2; ... httpd`) and the healthcheck of tests/engine_update.rs. Three tools, each on a
# project of its own:
#   start-first  berth, with deploy.update_config {order: start-first, parallelism: 1,
#                failure_action: rollback, monitor: 1s}
#   recreate     berth, the same file without update_config (a plain recreate, for reference)
#   v2           Compose v2 (compose-v2) on the start-first file; it ignores update_config
#
# Per tool and round: `up -d` with VERSION=v1; a client container started outside the project
# (`docker run -d --network <project>_default ...`, so Compose v2 does not recreate it as a
# dependent) runs the lookup-then-request loop of tests/engine_update.rs (`ok <version>`,
# `fail`, or `dns` when the engine's DNS server did not answer; one request, then 0.1 s of
# sleep); once it gets v1, VERSION becomes v2 in the file and `up -d` is timed (wall clock).
# Then the script waits until the client's last 10 lines are v2, 3 s more, and reads the
# client's log with timestamps:
#   cmd     the update command's wall time;
#   to_v2   from the command's start to the first answer of the final all-v2 stretch (after
#           it, every answer of the service is v2; a `fail` is not v2; `dns` lines are not
#           answers of the service and are skipped);
#   to_v2_all  the same with `dns` lines counted as not v2 (what the client lives through;
#           equal to to_v2 unless the engine's DNS server stops answering);
#   fail, dns, requests   lines from the command's start to to_v2_all + 2 s.
#   web     web containers left afterwards (exactly one per replica: 2).
# Each round runs the three tools back to back, the order rotated, so ratios are paired:
# "x v2" is the median over rounds of tool / v2 within the same round.
#
# Usage (as root, or as a user of the engine):
#   bash scripts/bench-update.sh [-r ROUNDS] [-e docker|podman] [-b BERTH] [-c COMPOSE_V2]
#                                [-t TOOL,TOOL] [-o CSV] [-m]
#   -r  rounds (default 5)
#   -e  engine: docker (default) or podman (berth and Compose v2 get
#       DOCKER_HOST=unix:///run/podman/podman.sock, the client runs with the podman CLI;
#       scripts/podman.sh prepares it)
#   -b  berth binary (default target/release/berth; build with `cargo build --release`)
#   -c  Compose v2 binary (default compose-v2)
#   -t  tools to run (default start-first,recreate,v2)
#   -o  CSV of every measurement (default: a file in a temporary directory, printed at the end)
#   -m  Podman: pin the MAC address of each project network's bridge once it is up (what
#       later netavark does, containers/netavark#833). Netavark 1.4 (Podman 4.3) leaves it to the
#       kernel, which gives the bridge the lowest MAC of its ports: when containers join and
#       leave, it changes, and a running client's ARP entry for the gateway (aardvark-dns)
#       goes stale: every lookup then times out (`dns`) for 20 to 40 s.
# Needs python3 (for reading the timestamps). On Podman 4.3, lookups also time out whenever a
# container joins or leaves the network (aardvark-dns 1.4 reloads, and see -m): those are
# `dns`, not failed requests.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
engine=docker
berth=$repo/target/release/berth
v2=compose-v2
tools=start-first,recreate,v2
csv=""
pin_mac=no
image=berth-test/busybox:1

while getopts "r:e:b:c:t:o:mh" opt; do
  case $opt in
    r) rounds=$OPTARG ;;
    e) engine=$OPTARG ;;
    b) berth=$OPTARG ;;
    c) v2=$OPTARG ;;
    t) tools=$OPTARG ;;
    o) csv=$OPTARG ;;
    m) pin_mac=yes ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
  esac
done

say() { printf 'bench-update: %s\n' "$*" >&2; }
die() { printf 'bench-update: error: %s\n' "$*" >&2; exit 1; }

case $engine in
  docker) cli=docker ;;
  podman) cli=podman; export DOCKER_HOST=unix:///run/podman/podman.sock ;;
  *) die "engine must be docker or podman, not $engine" ;;
esac
berth=$(cd "$(dirname "$berth")" 2>/dev/null && pwd)/$(basename "$berth")
[ -x "$berth" ] || die "no berth binary at $berth (cargo build --release, or -b)"
command -v "$v2" >/dev/null || die "no Compose v2 binary $v2 (-c)"
command -v python3 >/dev/null || die "python3 is needed to read the client's timestamps"
IFS=, read -r -a tool_list <<<"$tools"

work=$(mktemp -d /tmp/bench-update.XXXXXX)
[ -n "$csv" ] || csv=$work/results.csv

# The test image, built the way tests/common/mod.rs `ensure_image` does (Podman: scripts/podman.sh).
if ! $cli image inspect "$image" >/dev/null 2>&1; then
  [ "$engine" = docker ] || die "$image is not in Podman's store: run scripts/podman.sh"
  [ -x /bin/busybox ] || die "no /bin/busybox (Debian's busybox-static): run scripts/setup.sh"
  say "building $image"
  mkdir -p "$work/image"
  cp /bin/busybox "$work/image/busybox"
  printf '%s\n' 'FROM scratch' 'COPY busybox /bin/busybox' \
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]' 'CMD ["sh"]' >"$work/image/Dockerfile"
  docker build -q -t "$image" "$work/image" >/dev/null
fi

# The compose file: $1 = version, $2 = yes to carry update_config.
stack() {
  cat <<EOF
services:
  web:
    image: $image
    init: true
    environment: {VERSION: $1}
    command: [sh, -c, 'sleep 2; mkdir -p /www; echo \$\$VERSION > /www/index.html; exec httpd -f -p 80 -h /www']
    healthcheck:
      test: timeout 1 wget -q -O /dev/null http://127.0.0.1/
      interval: 1s
      timeout: 2s
      retries: 5
      start_period: 3s
    deploy:
      replicas: 2
EOF
  if [ "$2" = yes ]; then
    echo '      update_config: {order: start-first, parallelism: 1, failure_action: rollback, monitor: 1s}'
  fi
}

# The client of tests/engine_update.rs (there in a compose file, hence `$$` there).
# shellcheck disable=SC2016
client_loop='while true; do
  out=$(timeout 2 nslookup web 2>&1)
  ips=$(echo "$out" | awk '"'"'/^Address/ && $2 !~ /:53$/ {print $2}'"'"')
  if [ -z "$ips" ]; then
    if echo "$out" | grep -q "can'"'"'t find"; then echo fail; else echo dns; fi
    sleep 0.1; continue
  fi
  ip=$(echo "$ips" | awk -v r=$RANDOM '"'"'{a[NR]=$0} END {print a[r % NR + 1]}'"'"')
  if r=$(timeout 2 wget -q -O - http://$ip/ 2>/dev/null); then echo "ok $r"; else echo fail; fi
  sleep 0.1
done'

# True when the client's last $2 answers are all `ok $1`; $3, a regex, says which lines count
# as answers: `ok`/`fail` (the service's answers) or `ok`/`fail`/`dns` (lookups included).
# Anything else (busybox's "Terminated" when `timeout` kills a command) is noise.
settled() {
  $cli logs "$client" 2>/dev/null | grep -E "$3" | tail -n "$2" |
    awk -v want="ok $1" -v n="$2" '$0 != want {bad=1} END {exit !(NR == n && !bad)}'
}
wait_settled() { # version, answers, timeout s, answer regex
  local end=$((SECONDS + $3))
  while [ $SECONDS -lt $end ]; do
    settled "$1" "$2" "$4" && return 0
    sleep 0.2
  done
  return 1
}
served='^(ok .*|fail)$'
asked='^(ok .*|fail|dns)$'

project=""
client=""
cleanup() {
  [ -n "$client" ] && $cli rm -f "$client" >/dev/null 2>&1 || true
  if [ -n "$project" ]; then
    local ids
    ids=$($cli ps -aq --filter "label=com.docker.compose.project=$project")
    [ -z "$ids" ] || $cli rm -f $ids >/dev/null 2>&1 || true
    ids=$($cli network ls -q --filter "label=com.docker.compose.project=$project")
    [ -z "$ids" ] || $cli network rm $ids >/dev/null 2>&1 || true
    for l in "com.docker.compose.project=$project" "io.berth.history.project=$project"; do
      ids=$($cli volume ls -q --filter "label=$l")
      [ -z "$ids" ] || $cli volume rm -f $ids >/dev/null 2>&1 || true
    done
  fi
  project=""
  client=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs the tool's compose command in $dir: up -d, etc.
tool_cmd() { # tool, args...
  local t=$1; shift
  case $t in
    v2) (cd "$dir" && "$v2" -p "$project" "$@") ;;
    *) (cd "$dir" && NO_COLOR=1 "$berth" -p "$project" "$@") ;;
  esac
}

# Reads the client's timestamped log: to_v2, to_v2_all, fail, dns, requests (see the top).
analyse() { # log file, t0
  python3 - "$1" "$2" <<'PY'
import re, sys
from datetime import datetime, timezone
path, t0 = sys.argv[1], float(sys.argv[2])
stamp = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?\s(.*)$')
rows = []
for line in open(path, errors="replace"):
    m = stamp.match(line.rstrip("\n"))
    if not m:
        continue
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    tz = m.group(3) or "Z"
    off = 0 if tz == "Z" else (1 if tz[0] == "+" else -1) * (int(tz[1:3]) * 3600 + int(tz[-2:]) * 60)
    t = base.replace(tzinfo=timezone.utc).timestamp() - off + float("0." + (m.group(2) or "0"))
    rows.append((t, m.group(4).strip()))
after = [(t, a) for t, a in rows if t >= t0 and (a in ("fail", "dns") or a.startswith("ok "))]
def settled_at(lines):
    """The first line of the final stretch of `ok v2` (None if the last line is not)."""
    bad = max((i for i, (_, a) in enumerate(lines) if a != "ok v2"), default=-1)
    return lines[bad + 1][0] if bad + 1 < len(lines) else None
t_v2 = settled_at([(t, a) for t, a in after if a != "dns"])
t_all = settled_at(after)
if t_v2 is None or t_all is None:
    print("NA NA NA NA NA")
    sys.exit()
window = [a for t, a in after if t <= t_all + 2]
print(f"{t_v2 - t0:.2f} {t_all - t0:.2f} {window.count('fail')} {window.count('dns')} {len(window)}")
PY
}

# One measurement: $1 = tool, $2 = round, $3 = position in the round.
measure() {
  local tool=$1 round=$2 pos=$3 uc=yes
  [ "$tool" = recreate ] && uc=no
  project=bupd-$tool-$round-$$
  dir=$work/$project
  mkdir -p "$dir"
  stack v1 "$uc" >"$dir/compose.yaml"
  tool_cmd "$tool" up -d >"$dir/up1.log" 2>&1 || { say "$tool: first up failed: $(tail -3 "$dir/up1.log")"; return 1; }
  if [ "$pin_mac" = yes ] && [ "$engine" = podman ]; then
    local br
    br=$(podman network inspect "${project}_default" --format '{{.NetworkInterface}}')
    ip link set dev "$br" address "$(cat "/sys/class/net/$br/address")"
  fi
  client=$project-client
  $cli run -d --name "$client" --network "${project}_default" "$image" sh -c "$client_loop" >/dev/null
  wait_settled v1 5 120 "$served" || { say "$tool: the client never got v1"; return 1; }
  stack v2 "$uc" >"$dir/compose.yaml"
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  tool_cmd "$tool" up -d >"$dir/up2.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  [ $rc -eq 0 ] || say "$tool: the update exited $rc: $(tail -3 "$dir/up2.log")"
  wait_settled v2 10 180 "$asked" || say "$tool: the client does not settle on v2 (lookups included)"
  sleep 3
  $cli logs --timestamps "$client" >"$dir/client.log" 2>&1 || true
  local web
  web=$($cli ps -q --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=web" | wc -l)
  local cmd to_v2 to_all fail dns req
  cmd=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
  read -r to_v2 to_all fail dns req < <(analyse "$dir/client.log" "$t0")
  echo "$round,$pos,$tool,$cmd,$to_v2,$to_all,$fail,$dns,$req,$web,$rc,$t0" >>"$csv"
  say "round $round $tool: cmd ${cmd}s, v2 after ${to_v2}s (lookups included ${to_all}s), fail $fail, dns $dns of $req requests, $web web containers"
  cleanup
}

say "engine $engine ($($cli version --format '{{.Server.Version}}' 2>/dev/null || true)), berth $berth, $rounds rounds, bridge MAC pinned: $pin_mac, work in $work"
echo "round,pos,tool,cmd_s,to_v2_s,to_v2_all_s,fail,dns,requests,web,rc,t0" >"$csv"
n=${#tool_list[@]}
for ((r = 1; r <= rounds; r++)); do
  for ((i = 0; i < n; i++)); do
    tool=${tool_list[$(((i + r - 1) % n))]}
    measure "$tool" "$r" "$((i + 1))" || { echo "$r,$((i + 1)),$tool,NA,NA,NA,NA,NA,NA,NA,error,NA" >>"$csv"; cleanup; }
  done
done

python3 - "$csv" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]))]
def num(x):
    try:
        return float(x)
    except ValueError:
        return None
tools = list(dict.fromkeys(r["tool"] for r in rows))
by = {(r["round"], r["tool"]): r for r in rows}
def fmt(xs, p=2):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "n/a"
    return f"{statistics.median(xs):.{p}f} [{min(xs):.{p}f}..{max(xs):.{p}f}]"
def mm(xs):
    return f"{statistics.median(xs):g} ({max(xs):g})" if xs else "n/a"
def paired(tool, key):
    out = []
    for (rnd, t), r in by.items():
        b = by.get((rnd, "v2"))
        if t == tool and b and num(r[key]) and num(b[key]):
            out.append(num(r[key]) / num(b[key]))
    return out
print()
print("| tool | rounds | `up -d` s, median [min..max] | x v2 | time to v2 s | x v2 | time to v2, lookups included s | failed, median (max) | dns, median (max) | requests (total) | web left |")
print("|---|---:|---|---:|---|---:|---|---|---|---:|---|")
for t in tools:
    rs = [r for r in rows if r["tool"] == t and r["rc"] != "error"]
    cmd = [num(r["cmd_s"]) for r in rs]
    v2t = [num(r["to_v2_s"]) for r in rs]
    v2a = [num(r["to_v2_all_s"]) for r in rs]
    fail = [num(r["fail"]) for r in rs if num(r["fail"]) is not None]
    dns = [num(r["dns"]) for r in rs if num(r["dns"]) is not None]
    req = [num(r["requests"]) for r in rs if num(r["requests"]) is not None]
    pc, pv = paired(t, "cmd_s"), paired(t, "to_v2_s")
    ratio = lambda xs: f"{statistics.median(xs):.2f}" if xs and t != "v2" else "-"
    web = sorted(set(r["web"] for r in rs))
    print(f"| {t} | {len(rs)} | {fmt(cmd)} | {ratio(pc)} | {fmt(v2t)} | {ratio(pv)} | {fmt(v2a)} | "
          f"{mm(fail)} | {mm(dns)} | "
          f"{sum(req):g} | {','.join(web)} |")
errors = [r for r in rows if r["rc"] not in ("0",)]
if errors:
    print(f"\n{len(errors)} measurement(s) with an error or a non-zero exit: see the CSV")
PY
say "every measurement: $csv; logs: $work"
