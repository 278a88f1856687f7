#!/usr/bin/env bash
# https-terminator against nginx and hitch, side by side in one run (see bench.py for the method).
#   tests/bench/https-terminator/run.sh [runs] [seconds-per-figure]
# Run it on a quiet machine: figures taken while other builds run are noisy (the output says so).
# TERMINATOR_BIN=<path> benchmarks an already published binary instead of publishing one (a JIT build, say).
set -euo pipefail
cd "$(dirname "$0")/../../.."
need=()
for tool in nginx:nginx hitch:hitch h2load:nghttp2-client wrk:wrk curl:curl openssl:openssl taskset:util-linux clang-14:clang; do
  command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
dpkg -s zlib1g-dev >/dev/null 2>&1 || need+=(zlib1g-dev)
if ((${#need[@]})); then
  apt-get install -y "${need[@]}" >/dev/null
fi
# The benchmark starts its own nginx processes; a Debian-started one must not hold port 80 or the cores.
if [ -f /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
  nginx -s quit || true
fi
bin=${TERMINATOR_BIN:-}
if [ -z "$bin" ]; then
  out=artifacts/bench/https-terminator
  # NativeAOT, as the image ships it (see the csproj); clang-14 lives outside PATH on Debian.
  PATH="/usr/lib/llvm-14/bin:$PATH" dotnet publish sidecars/https-terminator -c Release -r linux-x64 -nologo -v quiet -o "$out" >/dev/null
  bin="$out/https-terminator"
fi
exec /usr/bin/python3 tests/bench/https-terminator/bench.py "$bin" "${1:-3}" "${2:-10}"
