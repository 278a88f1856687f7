#!/usr/bin/env bash
# config-sync: time from a PUT to the app's notification, and publishes per second, with 1 file and with 200 files.
#   tests/bench/config-sync/run.sh [puts per case] [runs]
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=artifacts/bench/config-sync
# NativeAOT, as the image ships it; ILCompiler links with clang.
export PATH="/usr/lib/llvm-14/bin:$PATH"
dotnet publish sidecars/config-sync -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o "$out" >/dev/null
# The version store and the published directory on the same disk as the checkout (fsync costs what it costs there).
mkdir -p "$out/work"
exec /usr/bin/python3 tests/bench/config-sync/bench.py "$out/config-sync" "$out/work" "${1:-100}" "${2:-3}"
