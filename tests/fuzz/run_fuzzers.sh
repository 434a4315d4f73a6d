#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (cmake --preset fuzz) for SECONDS each, two at a time,
# on a copy of tests/fuzz/corpus kept in the build folder (the source tree is never written; what a
# run finds stays there for the next). Hangs (-timeout=5), leaks, crashes and OOMs
# (-rss_limit_mb=1024) fail the run, which prints each reproducer and how to replay it.
#   tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS
set -uo pipefail

build=${1:?usage: run_fuzzers.sh BUILD_DIR SECONDS}
seconds=${2:?usage: run_fuzzers.sh BUILD_DIR SECONDS}
parallel=${FUZZ_JOBS:-2}
source_dir=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
targets=$(cd "$source_dir/corpus" && ls)

run_one() {
  local target=$1 dir="$build/fuzz/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  rm -f "$dir"/artifacts/*
  cp "$source_dir/corpus/$target"/* "$dir/corpus/"
  "$build/bin/$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1
  echo $? >"$dir/exit"
}

running=0
for target in $targets; do
  if [ ! -x "$build/bin/$target" ]; then
    echo "run_fuzzers: $build/bin/$target is not built" >&2
    exit 1
  fi
  echo "fuzz: $target for ${seconds}s"
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

failed=0
for target in $targets; do
  dir="$build/fuzz/$target"
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$dir/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$dir/log")
  if [ "$(cat "$dir/exit")" = 0 ]; then
    printf 'fuzz: %-20s ok  %s exec/s  %s\n' "$target" "${rate:-?}" \
      "$(echo "$done_line" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+')"
    continue
  fi
  failed=1
  echo "fuzz: $target FAILED (exit $(cat "$dir/exit")), log $dir/log:" >&2
  grep -E '^==[0-9]+==ERROR|^SUMMARY|fuzz check failed|^\s+#[0-9] ' "$dir/log" | head -30 >&2
  for artifact in "$dir"/artifacts/*; do
    [ -e "$artifact" ] || continue
    echo "fuzz: reproducer $artifact  (replay: $build/bin/$target $artifact)" >&2
  done
done
if [ "$failed" != 0 ]; then
  echo "fuzz: FAILED; add each reproducer to tests/fuzz/corpus/<target>/regress-* once fixed" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s without a crash, leak, hang or OOM"
