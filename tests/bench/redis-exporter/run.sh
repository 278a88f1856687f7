#!/usr/bin/env bash
# redis-exporter against oliver006/redis_exporter (Debian's prometheus-redis-exporter), side by side in one run,
# on one Redis holding 10,000 keys in 4 databases with 100 distinct commands in its stats.
#   tests/bench/redis-exporter/run.sh [scrapes]
set -euo pipefail
cd "$(dirname "$0")/../../.."
command -v redis-server >/dev/null && command -v prometheus-redis-exporter >/dev/null || apt-get install -y redis-server prometheus-redis-exporter >/dev/null
out=artifacts/bench/redis-exporter
# NativeAOT, as the image ships it; ILCompiler links with clang.
export PATH="/usr/lib/llvm-14/bin:$PATH"
dotnet publish adapters/redis-exporter -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o "$out" >/dev/null
exec /usr/bin/python3 tests/bench/redis-exporter/bench.py "$out/redis-exporter" "${1:-1000}"
