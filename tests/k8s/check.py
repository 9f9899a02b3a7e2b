"""Offline Kubernetes checks for the convert tests (run with .venv-k8s/bin/python).

    check.py validate PATH...
        Validates every YAML/JSON document under PATH (files or directories) with
        kubernetes-validate, strictly, for Kubernetes 1.29.0, 1.30.0, 1.31.0 and 1.32.0. An unknown
        kind or apiVersion (a WARN of the CLI) is a failure too. A JSON `List` is validated item by
        item.

    check.py chart CHART [--plain FILE] [--release NAME] [--values JSON] [--expect-values-error]
        helm lint --strict for each version (an error or a warning fails), then renders the
        chart with the values (default: its own) and validates every rendered document as above.
        With --plain, the rendered objects must equal the documents of FILE (same set, same
        content), apart from the `helm.sh/hook*` annotations of Jobs (the chart makes them
        hooks; the plain output has no Helm): they are compared without them and reported as
        "hooks" (Job name -> annotations). With --expect-values-error, rendering must fail on
        the values schema.

Both print one JSON object on stdout: {"ok": bool, "failures": [...], ...}.
"""

import json
import os
import sys

import yaml
import kubernetes_validate
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

VERSIONS = ["1.29.0", "1.30.0", "1.31.0", "1.32.0"]


def load_docs(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        doc = json.loads(text)
        if isinstance(doc, dict) and doc.get("kind") == "List":
            return list(doc.get("items") or [])
        return [doc]
    return [d for d in yaml.safe_load_all(text) if d is not None]


def files_under(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _dirs, files in os.walk(p):
                for f in files:
                    if f.endswith((".yaml", ".yml", ".json")):
                        out.append(os.path.join(root, f))
        else:
            out.append(p)
    return sorted(out)


def validate_docs(docs, where):
    failures = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            failures.append({"where": where, "doc": i, "error": "not a Kubernetes object"})
            continue
        name = "%s/%s" % (doc["kind"], (doc.get("metadata") or {}).get("name"))
        for v in VERSIONS:
            try:
                kubernetes_validate.validate(doc, v, strict=True)
            except ValidationError as e:
                failures.append({"where": where, "doc": i, "object": name, "version": v,
                                 "error": "%s: %s" % ("/".join(str(p) for p in e.path), e.message)})
            except SchemaNotFoundError as e:
                failures.append({"where": where, "doc": i, "object": name, "version": v,
                                 "error": "no schema: %s" % e})
            except Exception as e:  # noqa: BLE001 - report anything else as a failure
                failures.append({"where": where, "doc": i, "object": name, "version": v,
                                 "error": "%s: %s" % (type(e).__name__, e)})
    return failures


def cmd_validate(paths):
    failures = []
    count = 0
    for f in files_under(paths):
        try:
            docs = load_docs(f)
        except Exception as e:  # noqa: BLE001
            failures.append({"where": f, "error": "unreadable: %s" % e})
            continue
        count += len(docs)
        failures += validate_docs(docs, f)
    return {"ok": not failures and count > 0, "documents": count, "failures": failures}


def key(doc):
    return (doc.get("kind"), (doc.get("metadata") or {}).get("name"))


def cmd_chart(args):
    import helm_python as h

    chart = args[0]
    plain = None
    release = "release"
    values = None
    expect_values_error = False
    i = 1
    while i < len(args):
        a = args[i]
        if a == "--plain":
            plain = args[i + 1]
            i += 2
        elif a == "--release":
            release = args[i + 1]
            i += 2
        elif a == "--values":
            values = json.loads(args[i + 1])
            i += 2
        elif a == "--expect-values-error":
            expect_values_error = True
            i += 1
        else:
            raise SystemExit("unknown argument %s" % a)
    failures = []
    lint_messages = []
    for v in VERSIONS:
        rep = h.lint(chart, values, strict=True, kube_version="v" + v, namespace="acme")
        for m in rep.get("messages") or []:
            lint_messages.append({"version": v, **{k: str(x) for k, x in m.items()}})
            if int(m.get("severity", 0)) >= 2:
                failures.append({"where": "helm lint", "version": v, "error": str(m)})
        for e in rep.get("errors") or []:
            failures.append({"where": "helm lint", "version": v, "error": str(e)})
    c = h.Chart.load(chart)
    try:
        rendered = c.render(values, name=release, namespace="acme")
    except Exception as e:  # noqa: BLE001
        if expect_values_error:
            return {"ok": True, "error": str(e)}
        return {"ok": False, "failures": [{"where": "render", "error": str(e)}]}
    if expect_values_error:
        return {"ok": False, "failures": [{"where": "render", "error": "rendering did not fail"}]}
    docs = []
    notes = ""
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            notes = text
            continue
        for d in yaml.safe_load_all(text):
            if d is not None:
                docs.append(d)
    failures += validate_docs(docs, "rendered chart")
    hooks = {}
    for d in docs:
        annotations = (d.get("metadata") or {}).get("annotations") or {}
        hook = {k: annotations.pop(k) for k in list(annotations) if k.startswith("helm.sh/hook")}
        if hook:
            hooks[(d["metadata"] or {}).get("name")] = hook
            if not annotations:
                del d["metadata"]["annotations"]
    diff = []
    if plain is not None:
        want = {key(d): d for d in load_docs(plain)}
        got = {key(d): d for d in docs}
        for k in sorted(set(want) - set(got), key=str):
            diff.append({"object": list(k), "error": "in the plain output, not in the chart"})
        for k in sorted(set(got) - set(want), key=str):
            diff.append({"object": list(k), "error": "in the chart, not in the plain output"})
        for k in sorted(set(want) & set(got), key=str):
            if want[k] != got[k]:
                diff.append({"object": list(k), "error": "differs",
                             "plain": want[k], "chart": got[k]})
        failures += [{"where": "chart vs plain", **d} for d in diff]
    return {"ok": not failures, "failures": failures, "lint": lint_messages,
            "documents": docs, "hooks": hooks, "notes": notes}


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    cmd = sys.argv[1]
    if cmd == "validate":
        out = cmd_validate(sys.argv[2:])
    elif cmd == "chart":
        out = cmd_chart(sys.argv[2:])
    else:
        raise SystemExit(__doc__)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
