#!/usr/bin/env python3
"""The developer loop, berth against Compose v2, in the same run (BENCHMARKS.md).

On one running stack per tool (the offline busybox test image, `berth-test/busybox:1`):

* exec:  `exec -T web true`, wall time per call;
* logs:  `logs --no-color chatty chatty2` (2 x 20,000 lines) to /dev/null;
* run:   `run --rm -T --no-deps web true`;
* watch: `watch --no-up` with a `sync` rule; a file written on the host, the time until a
  loop inside the container sees it (both clocks are the machine's /proc/uptime, 10 ms
  resolution).

Tools alternate, the order rotating each repetition; every ratio is the median over
repetitions of berth / v2 measured in the same repetition.

    python3 scripts/bench-loop.py --reps 5 [--berth target/release/berth] [--v2 compose-v2]
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

IMAGE = "berth-test/busybox:1"

COMPOSE = f"""
services:
  web:
    image: {IMAGE}
    init: true
    command: ["sleep", "3600"]
  chatty:
    image: {IMAGE}
    init: true
    command: ["sh", "-c", "seq 1 20000 | sed 's/^/a log line of ordinary length, number /'; exec sleep 3600"]
  chatty2:
    image: {IMAGE}
    init: true
    command: ["sh", "-c", "seq 1 20000 | sed 's/^/another service, another log line, number /'; exec sleep 3600"]
  app:
    build: ./app
    init: true
    command: ["sh", "-c", "i=1; while :; do if [ -f /src/probe-$$i ]; then cut -d' ' -f1 /proc/uptime > /seen-$$i; i=$$((i+1)); else sleep 0.005; fi; done"]
    develop:
      watch:
        - action: sync
          path: ./src
          target: /src
"""


def sh(cmd, cwd, **kw):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def timed(cmd, cwd, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = sh(cmd, cwd)
        out.append(time.perf_counter() - t)
        if r.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}: {r.stderr.decode()}")
    return statistics.median(out)


def uptime():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def watch_latency(tool, name, cwd, probes):
    container = f"{name}-app-1"
    p = subprocess.Popen(tool + ["-p", name, "watch", "--no-up"], cwd=cwd,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # Ready when it says so (berth: "watch: watching", v2: "Watch enabled"), then a margin.
    deadline = time.time() + 60
    while time.time() < deadline:
        line = p.stdout.readline().decode(errors="replace")
        if "watching" in line or "Watch enabled" in line:
            break
    time.sleep(1.5)
    lat = []
    for i in range(1, probes + 1):
        t0 = uptime()
        with open(os.path.join(cwd, "src", f"probe-{i}"), "w") as f:
            f.write(f"probe {i}\n")
        seen = None
        end = time.time() + 15
        while time.time() < end:
            r = sh(["docker", "exec", container, "cat", f"/seen-{i}"], cwd)
            if r.returncode == 0 and r.stdout.strip():
                seen = float(r.stdout.decode().strip())
                break
            time.sleep(0.05)
        if seen is None:
            p.send_signal(signal.SIGINT)
            sys.exit(f"{tool[0]} watch: probe {i} never reached the container")
        lat.append(max(seen - t0, 0.0))
        time.sleep(0.7)
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
    return statistics.median(lat)


def measure(label, tool, rep, reps_exec):
    name = f"benchloop-{label}-{rep}"
    d = tempfile.mkdtemp(prefix=f"bench-loop-{label}-")
    try:
        with open(os.path.join(d, "compose.yaml"), "w") as f:
            f.write(COMPOSE)
        os.makedirs(os.path.join(d, "app"))
        os.makedirs(os.path.join(d, "src"))
        with open(os.path.join(d, "app", "Dockerfile"), "w") as f:
            f.write(f"FROM {IMAGE}\n")
        r = sh(tool + ["-p", name, "up", "-d", "--build"], d)
        if r.returncode != 0:
            sys.exit(f"{label} up failed: {r.stderr.decode()}")
        # The chatty services have written their lines once both logs hold 20,000 of them.
        deadline = time.time() + 60
        while time.time() < deadline:
            r = sh(["docker", "logs", "--tail", "1", f"{name}-chatty2-1"], d)
            if b"20000" in r.stdout:
                break
            time.sleep(0.2)
        res = {
            "exec": timed(tool + ["-p", name, "exec", "-T", "web", "true"], d, reps_exec),
            "logs": timed(tool + ["-p", name, "logs", "--no-color", "chatty", "chatty2"], d, 5),
            "run": timed(tool + ["-p", name, "run", "--rm", "-T", "--no-deps", "web", "true"], d, 5),
            "watch": watch_latency(tool, name, d, 8),
        }
        return res
    finally:
        sh(tool + ["-p", name, "down", "-v", "-t", "0", "--rmi", "local"], d)
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--berth", default="target/release/berth")
    ap.add_argument("--v2", default="compose-v2")
    ap.add_argument("--exec-calls", type=int, default=15)
    a = ap.parse_args()
    tools = [("v2", [a.v2]), ("berth", [os.path.abspath(a.berth)])]
    rows = {k: {"v2": [], "berth": []} for k in ("exec", "logs", "run", "watch")}
    for rep in range(a.reps):
        order = tools if rep % 2 == 0 else list(reversed(tools))
        for label, tool in order:
            res = measure(label, tool, rep, a.exec_calls)
            print(f"rep {rep} {label}: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in res.items()),
                  flush=True)
            for k, v in res.items():
                rows[k][label].append(v)
    print("\n| what | Compose v2 median ms | berth median ms | berth / v2 (paired median) |")
    print("|---|---:|---:|---:|")
    for k, v in rows.items():
        ratios = [b / c for b, c in zip(v["berth"], v["v2"]) if c > 0]
        print(f"| {k} | {statistics.median(v['v2']) * 1000:.0f} | "
              f"{statistics.median(v['berth']) * 1000:.0f} | {statistics.median(ratios):.2f} |")


if __name__ == "__main__":
    main()
