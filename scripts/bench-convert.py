#!/usr/bin/env python3
"""Measurements for docs/convert.md (not part of CI).

    cargo build --release
    bash scripts/k8s-tools.sh --checkov
    python3 scripts/bench-convert.py [--runs 5] [--out /tmp/berth-bench]

1. Convert time of a 1000-service compose file (../shared/bench/gen-stack.py big-config 1000) with
   the release binary: wall time of `berth convert` to stdout, `-o DIR` and `--chart DIR`, median of
   --runs runs.
2. checkov (framework kubernetes, offline) on the 44 verified kompose cases: kompose's committed
   expected outputs against berth's output for the same compose files, failing checks per object.

Prints a Markdown section on stdout. Everything it writes goes under --out.
"""
import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
BERTH = os.path.join(ROOT, "target", "release", "berth")
CHECKOV = os.path.join(ROOT, ".venv-checkov", "bin", "checkov")
KOMPOSE = os.path.join(SHARED, "conformance", "kompose")


def timed(cmd, cwd):
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env={"PATH": os.environ.get("PATH", "")})
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr.decode()[-2000:]))
    return dt, r


def bench_big(out, runs):
    d = os.path.join(out, "big1000")
    shutil.rmtree(d, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(SHARED, "bench", "gen-stack.py"), "big-config",
                    "1000", "-o", d], check=True, stdout=subprocess.DEVNULL)
    lines = sum(1 for _ in open(os.path.join(d, "compose.yaml")))
    rows = []
    for label, extra in [("stdout (YAML)", []), ("-o DIR (a file per object)", ["-o", "k8s"]),
                         ("--chart DIR", ["--chart", "chart"]),
                         ("`berth config` (loading only)", None)]:
        times = []
        for _ in range(runs):
            for p in ("k8s", "chart"):
                shutil.rmtree(os.path.join(d, p), ignore_errors=True)
            if extra is None:
                cmd = [BERTH, "-f", "compose.yaml", "config", "-q"]
            else:
                cmd = [BERTH, "-f", "compose.yaml", "convert", "-q", "--allow-lossy"] + extra
            dt, r = timed(cmd, d)
            times.append(dt)
        if extra == []:
            objects = r.stdout.decode().count("\napiVersion: ") + 1
            size = len(r.stdout)
        rows.append((label, statistics.median(times), min(times), max(times)))
    return lines, objects, size, rows


def verified_cases():
    with open(os.path.join(KOMPOSE, "cases.json")) as f:
        return json.load(f)["verified_cases"]


def berth_flags(kargs):
    out = []
    for i, a in enumerate(kargs):
        if a == "--generate-network-policies":
            out.append("--network-policies")
        if a in ("-n", "--namespace"):
            out += ["--namespace", kargs[i + 1]]
    return out


def run_checkov(d):
    r = subprocess.run([CHECKOV, "-d", d, "--framework", "kubernetes", "--skip-download",
                        "-o", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    text = r.stdout.decode()
    data = json.loads(text) if text.strip() else {}
    if isinstance(data, list):
        data = data[0] if data else {}
    res = data.get("results", {})
    return res.get("passed_checks", []), res.get("failed_checks", []), data.get("summary", {})


def summarize(passed, failed, summary):
    resources = set()
    for c in passed + failed:
        resources.add((c.get("file_path"), c.get("resource")))
    per_check = collections.Counter((c["check_id"], c.get("check_name", "")) for c in failed)
    per_resource = collections.Counter((c.get("file_path"), c.get("resource")) for c in failed)
    return {"resources": summary.get("resource_count", len(resources)),
            "passed": summary.get("passed", len(passed)), "failed": summary.get("failed", len(failed)),
            "per_check": per_check, "per_resource": per_resource}


def bench_checkov(out):
    a = os.path.join(out, "checkov-berth")
    b = os.path.join(out, "checkov-kompose")
    h = os.path.join(out, "checkov-berth-ns-netpol")
    for d in (a, b, h):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for c in verified_cases():
        args = []
        for f in c["compose_files"]:
            args += ["-f", f]
        flags = berth_flags(c["kompose_args"])
        hardened = list(flags)
        if "--namespace" not in hardened:
            hardened += ["--namespace", "demo"]
        if "--network-policies" not in hardened:
            hardened.append("--network-policies")
        for d, fl in ((a, flags), (h, hardened)):
            cmd = [BERTH] + args + ["convert", "-q", "--allow-lossy"] + fl
            r = subprocess.run(cmd, cwd=KOMPOSE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={"PATH": os.environ.get("PATH", "")})
            if r.returncode != 0:
                sys.exit("berth failed on %s: %s" % (c["id"], r.stderr.decode()[-1000:]))
            with open(os.path.join(d, c["id"] + ".yaml"), "wb") as f:
                f.write(r.stdout)
        shutil.copy(os.path.join(KOMPOSE, c["expected"]), os.path.join(b, c["id"] + ".yaml"))
    t = time.perf_counter()
    sa = summarize(*run_checkov(a))
    sb = summarize(*run_checkov(b))
    sh = summarize(*run_checkov(h))
    return sa, sb, sh


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", default="/tmp/berth-bench")
    a = p.parse_args()
    if not os.path.exists(BERTH):
        sys.exit("build first: cargo build --release")
    if not os.path.exists(CHECKOV):
        sys.exit("install checkov first: bash scripts/k8s-tools.sh --checkov")
    os.makedirs(a.out, exist_ok=True)
    lines, objects, size, rows = bench_big(a.out, a.runs)
    sa, sb, sh = bench_checkov(a.out)
    print("### Convert time, 1000 services\n")
    print("`gen-stack.py big-config 1000`: %d lines of compose (anchors, merge keys, interpolation, "
          "healthchecks, aliases, shared volumes, `depends_on`); berth writes %d objects (%.1f MB of "
          "YAML). Release build, wall time of %d runs on the 2-core machine shared with other work.\n"
          % (lines, objects, size / 1e6, a.runs))
    print("| command | median | min | max |")
    print("| --- | --- | --- | --- |")
    for label, med, lo, hi in rows:
        print("| %s | %.2f s | %.2f s | %.2f s |" % (label, med, lo, hi))
    print("\n### checkov on the kompose corpus\n")
    print("checkov 3.3.30 (`--framework kubernetes --skip-download`) on the 44 verified cases of "
          "../shared/conformance/kompose: kompose's committed expected outputs, and berth's "
          "output for the same compose files (default flags; `--allow-lossy` for the three cases "
          "berth refuses; kompose's `-n` and `--generate-network-policies` mapped). The third column "
          "adds `--namespace demo --network-policies`.\n")
    cols = [("kompose", sb), ("berth", sa), ("berth -n demo --network-policies", sh)]
    print("| | " + " | ".join(c for c, _ in cols) + " |")
    print("| --- |" + " --- |" * len(cols))
    for label, key in (("objects checked", "resources"), ("checks passed", "passed"),
                       ("checks failed", "failed")):
        print("| %s | %s |" % (label, " | ".join(str(s[key]) for _, s in cols)))
    print("| failed checks per object | %s |" % " | ".join(
        "%.1f" % (s["failed"] / max(1, s["resources"])) for _, s in cols))
    print("\nFailing checks, side by side (objects failing each):\n")
    print("| check | " + " | ".join(c for c, _ in cols) + " |")
    print("| --- |" + " --- |" * len(cols))
    ids = set()
    for _, s in cols:
        ids |= set(s["per_check"])
    for k in sorted(ids, key=lambda k: (-sum(s["per_check"][k] for _, s in cols), k[0])):
        print("| %s %s | %s |" % (k[0], k[1], " | ".join(str(s["per_check"][k]) for _, s in cols)))


if __name__ == "__main__":
    main()
