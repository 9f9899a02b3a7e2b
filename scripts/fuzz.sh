#!/usr/bin/env bash
# Runs one coverage-guided fuzz target (fuzz/fuzz_targets/) for SECONDS seconds, seeded from the
# shared conformance corpora. Not part of CI. Needs the nightly toolchain and cargo-fuzz
# (installed here when missing). A crash, timeout (10 s) or memory blow-up (2 GiB) leaves its
# input in fuzz/artifacts/TARGET/; turn it into a regression test.
#   bash scripts/fuzz.sh TARGET SECONDS        (targets: bash scripts/fuzz.sh list)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=${1:?usage: scripts/fuzz.sh TARGET SECONDS (or: list)}
seconds=${2:-600}
# The fuzz targets: the [[bin]] names of fuzz/Cargo.toml (not the package's own name).
targets() { sed -n 's/^name = "\(.*\)"/\1/p' fuzz/Cargo.toml | grep -vx 'berth-fuzz'; }
if [ "$target" = list ]; then
  targets
  exit 0
fi
if ! targets | grep -qx -- "$target"; then
  echo "fuzz: no target $target; the targets are:" >&2
  targets | sed 's/^/  /' >&2
  exit 2
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || { echo "fuzz: the nightly toolchain is needed (rustup toolchain install nightly)" >&2; exit 2; }

corpus=fuzz/corpus/$target
if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
  if [ -d ../shared/conformance ]; then
    python3 fuzz/seed.py "$target" ../shared "$corpus"
  else
    mkdir -p "$corpus"
    echo "fuzz: ../shared is not here; starting from an empty corpus" >&2
  fi
fi
mkdir -p "fuzz/artifacts/$target"
cd fuzz
# Built once for every target (`cargo fuzz run` would build twice, with two sets of flags).
cargo +nightly fuzz build
exec "target/x86_64-unknown-linux-gnu/release/$target" "corpus/$target" \
  -artifact_prefix="artifacts/$target/" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
  -max_len=262144 -print_final_stats=1
