#!/usr/bin/env bash
# Packs a release tarball: scripts/dist.sh BINARY [OUTDIR]   (make dist: the release build)
#
#   attention-kernel-VERSION-linux-ARCH/
#     attention-kernel          the kernel (kernelspec and logos built in)
#     README.md                 docs/INSTALL.md: runtime needs, install, logs, troubleshooting
#     LICENSE                   the project's licence, when the repository has one
#     THIRD-PARTY-NOTICES.txt   licences of the Swift packages linked into the binary
#
# Prints the tarball's path. The binary needs only the C libraries listed in README.md:
# the Swift runtime is linked in by `make release` (--static-swift-stdlib).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BINARY="${1:?usage: scripts/dist.sh BINARY [OUTDIR]}"
OUT="$(mkdir -p "${2:-$ROOT/dist}" && cd "${2:-$ROOT/dist}" && pwd)"

version="$("$BINARY" --version)"
name="attention-kernel-$version-linux-$(uname -m)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/$name"
mkdir -p "$stage"

install -m 0755 "$BINARY" "$stage/attention-kernel"
cp "$ROOT/docs/INSTALL.md" "$stage/README.md"
if [ -f "$ROOT/LICENSE" ]; then
    cp "$ROOT/LICENSE" "$stage/LICENSE"
else
    echo "dist: warning: the repository has no LICENSE file; the tarball carries only the third-party notices" >&2
fi

{
    echo "attention-kernel $version links these packages into its binary; their licences follow."
    echo "It also links the Swift runtime and standard library (Apache License 2.0 with Runtime"
    echo "Library Exception, https://swift.org/LICENSE.txt) and loads libzmq (MPL 2.0) and,"
    echo "when present, OpenBLAS (BSD-3-Clause) from the system."
    for package in "$ROOT"/.build/checkouts/*/; do
        licence="$(ls "$package" | grep -m1 -E '^(LICENSE|LICENCE|COPYING)' || true)"
        [ -n "$licence" ] || continue
        printf '\n==== %s ====\n\n' "$(basename "$package")"
        cat "$package/$licence"
    done
} >"$stage/THIRD-PARTY-NOTICES.txt"

tar -czf "$OUT/$name.tar.gz" -C "$work" "$name"
echo "$OUT/$name.tar.gz"
