#!/usr/bin/env bash
# Builds the attention language's libFuzzer target and runs it.
#
#   scripts/fuzz.sh [SECONDS]     default 60; `make fuzz SECONDS=N`, `make fuzz-short`
#
# Build: the AttentionCore, JSONValues and AttentionLanguage sources are compiled by swiftc
# as three modules with -sanitize=fuzzer,address into .build-fuzz/ (git-ignored), then
# linked with Fuzz/LanguageFuzzer/LanguageFuzzer.swift. `swift build` never sees any of
# it. The build is skipped when no source changed.
#
# Corpus: .build-fuzz/corpus (grows across runs) plus the seeds scripts/fuzz_seeds.py
# writes from the golden programs, the notebooks' code cells and Fuzz/LanguageFuzzer/seeds.
# A crash, sanitizer report, time-out (an input running longer than FUZZ_TIMEOUT seconds
# although the fuzzer interrupts every input after ATTN_FUZZ_BUDGET_MS) or out-of-memory
# leaves its input in .build-fuzz/artifacts/ and fails the script.
#
# Environment: FUZZ_OPT (swiftc optimisation, default -O), FUZZ_TIMEOUT (default 5),
# FUZZ_RSS_MB (default 2048), FUZZ_JOBS (parallel fuzzing processes, default 1),
# FUZZ_ARGS (extra libFuzzer flags), SWIFTC.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_TO_RUN="${1:-60}"
OUT="$ROOT/.build-fuzz"
BIN="$OUT/language-fuzzer"
OPT="${FUZZ_OPT:--O}"
SWIFTC="${SWIFTC:-$(command -v swiftc)}"
PYTHON="${PYTHON:-$( [ -x "$ROOT/.venv/bin/python" ] && echo "$ROOT/.venv/bin/python" || echo python3)}"

log() { printf 'fuzz: %s\n' "$*" >&2; }

mkdir -p "$OUT/modules" "$OUT/corpus" "$OUT/seeds" "$OUT/artifacts"

# --- build --------------------------------------------------------------------------
mapfile -t core_sources < <(find Sources/AttentionCore -name '*.swift' | sort)
sources=(Sources/Threading/*.swift "${core_sources[@]}" Sources/JSONValues/*.swift Sources/CAttentionMath/*.c Sources/CAttentionMath/include/*.h)
mapfile -t language_sources < <(find Sources/AttentionLanguage -name '*.swift' | sort)
stamp="$( { echo "$OPT $("$SWIFTC" --version 2>&1 | head -1)"; cat "${sources[@]}" "${language_sources[@]}" Fuzz/LanguageFuzzer/*.swift; } | sha256sum | cut -d' ' -f1)"
if [ ! -x "$BIN" ] || [ "$(cat "$OUT/build.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "building $BIN ($OPT, -sanitize=fuzzer,address)"
    flags=(-sanitize=fuzzer,address -parse-as-library -g "$OPT" -use-ld=lld -swift-version 6 -I "$OUT/modules" -L "$OUT/modules")
    module() {  # NAME SOURCES...
        local name="$1"; shift
        "$SWIFTC" "${flags[@]}" -module-name "$name" -emit-module -emit-module-path "$OUT/modules/$name.swiftmodule" \
            -emit-library -static -o "$OUT/modules/lib$name.a" "$@"
    }
    # AttentionCore's C dependency: the vector math and the OpenBLAS loader (compiled
    # here, instrumented too; OpenBLAS itself is dlopened on the first large product).
    CLANG="${CLANG:-$(dirname "$SWIFTC")/clang}"
    mkdir -p "$OUT/modules/CAttentionMath"
    c_objects=()
    for c_source in Sources/CAttentionMath/*.c; do
        object="$OUT/modules/$(basename "$c_source" .c).o"
        "$CLANG" -c -O2 -g -fsanitize=fuzzer-no-link,address -I Sources/CAttentionMath/include "$c_source" -o "$object"
        c_objects+=("$object")
    done
    rm -f "$OUT/modules/libCAttentionMath.a"
    ar rcs "$OUT/modules/libCAttentionMath.a" "${c_objects[@]}"
    printf 'module CAttentionMath {\n    header "%s"\n    export *\n}\n' \
        "$ROOT/Sources/CAttentionMath/include/attention_math.h" >"$OUT/modules/CAttentionMath/module.modulemap"
    flags+=(-I "$OUT/modules/CAttentionMath")
    # swift-collections' OrderedCollections (JSONValues keeps object keys in it), built by
    # SwiftPM with that package's own settings (experimental features, availability
    # macros) and linked uninstrumented: coverage is wanted for our code, not theirs.
    swift build -c release --target OrderedCollections --scratch-path "$OUT/spm" >&2
    collections=("$OUT"/spm/release/OrderedCollections.build/*.o "$OUT"/spm/release/InternalCollectionsUtilities.build/*.o)
    flags+=(-I "$OUT/spm/release/Modules")
    module Threading Sources/Threading/*.swift
    module AttentionCore "${core_sources[@]}"
    module JSONValues Sources/JSONValues/*.swift
    module AttentionLanguage "${language_sources[@]}"
    "$SWIFTC" "${flags[@]}" -module-name LanguageFuzzer Fuzz/LanguageFuzzer/*.swift \
        -lAttentionLanguage -lJSONValues -lAttentionCore -lThreading -lCAttentionMath "${collections[@]}" -ldl -o "$BIN"
    echo "$stamp" >"$OUT/build.stamp"
fi

# --- seeds and dictionary ------------------------------------------------------------
"$PYTHON" scripts/fuzz_seeds.py "$OUT/seeds"
{
    cat Fuzz/LanguageFuzzer/attention.dict
    # Every builtin's name, from its table entry (Builtin("name", ...) or one of the entry
    # factories: .elementwise, .reduction, .softmaxFamily).
    grep -ohE '(Builtin|\.elementwise|\.reduction|\.softmaxFamily)\("[a-z_0-9]+"' Sources/AttentionLanguage/Builtins/*.swift | sed -E 's/.*\(("[^"]+")/\1/'
} >"$OUT/attention.dict"

# --- run ---------------------------------------------------------------------------
log "running for ${SECONDS_TO_RUN}s"
jobs_flags=()
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then jobs_flags=(-fork="$FUZZ_JOBS" -ignore_crashes=0); fi
set +e
# shellcheck disable=SC2086
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}" \
"$BIN" "$OUT/corpus" "$OUT/seeds" \
    -dict="$OUT/attention.dict" -max_len=8192 -timeout="${FUZZ_TIMEOUT:-5}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
    -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 -artifact_prefix="$OUT/artifacts/" \
    "${jobs_flags[@]}" ${FUZZ_ARGS:-} 2>"$OUT/last-run.log"
status=$?
set -e

# Fork mode (FUZZ_JOBS > 1) prints no final stats, only "#N" progress lines: no match is fine.
runs="$( { grep -oE 'stat::number_of_executed_units: *[0-9]+' "$OUT/last-run.log" || true; } | awk '{s+=$2} END {print s+0}')"
if [ "$runs" = 0 ]; then runs="$( { grep -oE '^#[0-9]+' "$OUT/last-run.log" || true; } | tail -1 | tr -d '#')"; fi
summary="$(date -u +%FT%TZ) seconds=$SECONDS_TO_RUN executions=${runs:-0} status=$status"
echo "$summary" >>"$OUT/history.log"
if [ "$status" -ne 0 ]; then
    tail -n 60 "$OUT/last-run.log" >&2
    log "FAILED after ${runs:-0} executions (exit $status); inputs in $OUT/artifacts/ (full log: $OUT/last-run.log)"
    log "reproduce with: $BIN $OUT/artifacts/<file>"
    exit 1
fi
log "ok: ${runs:-0} executions in ${SECONDS_TO_RUN}s, no crash (corpus $(ls "$OUT/corpus" | wc -l) inputs; log $OUT/last-run.log)"
