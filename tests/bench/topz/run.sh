#!/usr/bin/env bash
# topz against ps, side by side, with 1000 extra sleeping processes in the PID namespace; 3 runs of a fresh topz, medians printed.
#   tests/bench/topz/run.sh [processes] [requests] [runs]
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=artifacts/bench/topz
bash scripts/deps.sh
# topz is NativeAOT: the link needs clang, which Debian keeps under /usr/lib/llvm-<n>/bin.
command -v clang >/dev/null || PATH="$PATH:$(compgen -G '/usr/lib/llvm-*/bin' | sort -V | tail -n 1)"
dotnet publish sidecars/topz -c Release -r linux-x64 --self-contained -nologo -v quiet -o "$out" >/dev/null
exec /usr/bin/python3 tests/bench/topz/bench.py "$out/topz" "${1:-1000}" "${2:-200}" "${3:-3}"
