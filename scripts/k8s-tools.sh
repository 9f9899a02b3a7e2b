#!/usr/bin/env bash
# Installs the offline Kubernetes validation tools the convert tests use (idempotent).
#
#   bash scripts/k8s-tools.sh            # .venv-k8s: kubernetes-validate + helm-python-sdk
#   bash scripts/k8s-tools.sh --checkov  # also .venv-checkov: checkov (benchmark only, not CI)
#
# Both venvs live at the repository root and are ignored by git. See
# ../shared/research/k8s-validation.md for why these tools and versions.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

KUBERNETES_VALIDATE=kubernetes-validate==1.37.0
HELM_PYTHON_SDK=helm-python-sdk==0.2.2
CHECKOV=checkov==3.3.30

want_checkov=0
for arg in "$@"; do
  case "$arg" in
    --checkov) want_checkov=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "k8s-tools.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-python3}

# Debian's python3 needs python3-venv (ensurepip) to make a venv.
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    apt-get install -y -qq python3-venv >/dev/null
  else
    echo "k8s-tools.sh: $python cannot make a venv: install python3-venv" >&2
    exit 1
  fi
fi

# venv_has DIR PIP_SPEC: true when the venv exists and has that exact version installed.
venv_has() {
  local dir=$1 spec=$2 name=${2%%==*} version=${2##*==}
  [ -x "$dir/bin/python" ] || return 1
  local got
  got=$("$dir/bin/python" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p') || return 1
  [ "$got" = "$version" ]
}

ensure_venv() {
  local dir=$1; shift
  local missing=()
  for spec in "$@"; do
    venv_has "$dir" "$spec" || missing+=("$spec")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "k8s-tools: $dir is up to date ($*)"
    return 0
  fi
  if [ ! -x "$dir/bin/python" ]; then
    "$python" -m venv "$dir"
  fi
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
  echo "k8s-tools: installed ${missing[*]} into $dir"
}

ensure_venv .venv-k8s "$KUBERNETES_VALIDATE" "$HELM_PYTHON_SDK"
# A smoke test: both tools import and answer.
.venv-k8s/bin/kubernetes-validate --version >/dev/null
.venv-k8s/bin/python -c 'import helm_python' 

if [ "$want_checkov" = 1 ]; then
  ensure_venv .venv-checkov "$CHECKOV"
  .venv-checkov/bin/checkov --version >/dev/null
fi
