#!/usr/bin/env bash
# The Swift test suite under AddressSanitizer and ThreadSanitizer (`make sanitize`).
#
#   scripts/sanitize.sh [address|thread]...     default: both, address first
#
# Each sanitizer builds into its own scratch path (.build-asan, .build-tsan; git-ignored)
# so that the normal .build stays as it is. JUPYTER_PYTHON is set when .venv exists, so
# the end-to-end test that drives the in-process server with jupyter_client runs too.
# Any sanitizer report fails the run (halt_on_error), as does any failing test.
#
# ThreadSanitizer's per-thread shadow call stack holds 65,536 frames and is not checked:
# a deeper recursion crashes (SEGV ... WRITE) or corrupts memory, whatever the thread's stack
# size. No TSAN_OPTIONS setting changes that; recursion in the product stays bounded instead
# (docs/ROBUSTNESS.md, "Sanitizers").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ -x "$ROOT/.venv/bin/python" ]; then export JUPYTER_PYTHON="$ROOT/.venv/bin/python"; fi

run() {  # SANITIZER SCRATCH
    local sanitizer="$1" scratch="$2" log="$2/sanitize-test.log"
    echo "sanitize: building the tests with -sanitize=$sanitizer into $scratch" >&2
    mkdir -p "$scratch"
    if ! swift build --build-tests --scratch-path "$scratch" -Xswiftc -sanitize="$sanitizer" >"$scratch/sanitize-build.log" 2>&1; then
        grep -E 'error:' "$scratch/sanitize-build.log" | head -n 40 >&2 || tail -n 40 "$scratch/sanitize-build.log" >&2
        echo "sanitize: $sanitizer build FAILED (log $scratch/sanitize-build.log)" >&2
        return 1
    fi
    echo "sanitize: running the tests under -sanitize=$sanitizer" >&2
    set +e
    ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0:detect_stack_use_after_return=0}" \
    TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}" \
        swift test --skip-build --scratch-path "$scratch" >"$log" 2>&1
    local status=$?
    set -e
    local findings
    findings="$(grep -cE '^(==[0-9]+==ERROR: (Address|Thread)Sanitizer|WARNING: ThreadSanitizer|SUMMARY: (Address|Thread)Sanitizer)' "$log" || true)"
    tail -n 5 "$log" >&2
    if [ "$status" -ne 0 ] || [ "$findings" -ne 0 ]; then
        grep -nE -A40 'ERROR: AddressSanitizer|WARNING: ThreadSanitizer' "$log" | head -n 200 >&2 || true
        echo "sanitize: $sanitizer FAILED (exit $status, $findings sanitizer report lines; full log $log)" >&2
        return 1
    fi
    echo "sanitize: $sanitizer ok, no findings (log $log)" >&2
}

sanitizers=("$@")
if [ ${#sanitizers[@]} -eq 0 ]; then sanitizers=(address thread); fi
for s in "${sanitizers[@]}"; do
    case "$s" in
        address) run address .build-asan ;;
        thread) run thread .build-tsan ;;
        *) echo "sanitize: unknown sanitizer $s (address or thread)" >&2; exit 2 ;;
    esac
done
