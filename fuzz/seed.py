#!/usr/bin/env python3
"""Seeds a fuzz target's corpus from the shared conformance corpora (../shared/conformance:
the Compose corpus and the wild corpus), which are other projects' data: the seeds go to
fuzz/corpus/TARGET, which git ignores, and are never committed.

    python3 fuzz/seed.py TARGET SHARED_DIR OUT_DIR
"""
import hashlib
import os
import re
import sys

target, shared, out = sys.argv[1], sys.argv[2], sys.argv[3]
roots = [os.path.join(shared, "conformance", "compose"), os.path.join(shared, "conformance", "wild")]


def files(pred):
    for root in roots:
        for d, _, names in os.walk(root):
            for n in names:
                if pred(n):
                    yield os.path.join(d, n)


def read(p):
    with open(p, "rb") as f:
        return f.read()


def save(data):
    os.makedirs(out, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


yaml = list(files(lambda n: n.endswith((".yaml", ".yml"))))
envs = list(files(lambda n: n == ".env" or n.endswith(".env") or n.startswith(".env")))

# Values of the short syntaxes, by the selector byte short_syntax.rs gives each parser.
SHORT_KEYS = {
    0: ("ports", "expose"),
    1: ("volumes",),
    2: ("interval", "timeout", "start_period", "start_interval", "stop_grace_period"),
    3: ("mem_limit", "memswap_limit", "shm_size", "mem_reservation", "memory", "size"),
    4: ("extra_hosts",),
    5: ("devices",),
    6: ("command", "entrypoint", "test"),
}


def scalars(text):
    """(key, value) pairs of `key: value` lines and of list items under a key."""
    key = None
    for line in text.splitlines():
        m = re.match(r"\s*([A-Za-z_][\w.-]*):\s*(.*)$", line)
        if m:
            key, v = m.group(1), m.group(2).strip()
            if v and not v.startswith(("[", "{", "|", ">", "&", "*")):
                yield key, v.strip("'\"")
            continue
        m = re.match(r"\s*-\s+(.*)$", line)
        if m and key:
            yield key, m.group(1).strip().strip("'\"")


if target in ("yaml_tree", "loader"):
    for p in yaml:
        save(read(p))
elif target == "dotenv":
    for p in envs:
        save(read(p))
elif target == "interpolation":
    for p in yaml + envs:
        for line in read(p).decode("utf-8", "replace").splitlines():
            if "$" in line:
                save(line.strip().encode())
elif target == "short_syntax":
    for p in yaml:
        for key, value in scalars(read(p).decode("utf-8", "replace")):
            for sel, keys in SHORT_KEYS.items():
                if key in keys:
                    save(bytes([sel]) + value.encode())
            if "=" in value:
                save(bytes([8]) + value.encode())
elif target == "dockerignore":
    # Neither corpus ships a .dockerignore: patterns of the kinds Docker's docs show, with
    # paths from the corpora's build contexts.
    patterns = [
        "*/temp*\n*/*/temp*\ntemp?\n",
        "**/*.go\n!important.go\n",
        "*.md\n!README*.md\nREADME-secret.md\n",
        "node_modules\n.git\n**/__pycache__\n!keep/**\n",
        "# comment\n/abs/path\n../up\n[a-c]*.txt\n\\#literal\n",
    ]
    paths = set()
    for p in yaml:
        for key, value in scalars(read(p).decode("utf-8", "replace")):
            if key in ("context", "dockerfile", "build"):
                paths.add(value.lstrip("./"))
    paths = "\n".join(sorted(paths)[:200] + ["a/temp1", "x/y/temp2", "main.go", "README.md"])
    for pat in patterns:
        save((pat + "\0" + paths).encode())
else:
    sys.exit(f"unknown target {target}")
print(f"seeded {out}: {len(os.listdir(out)) if os.path.isdir(out) else 0} inputs")
