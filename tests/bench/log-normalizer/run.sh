#!/usr/bin/env bash
# log-normalizer end to end: a million nginx combined lines and a million syslog lines tailed from a file, parsed,
# normalized and shipped over Forward (acks) to a receiver that acks at once; then the delay at 10,000 lines/s.
# Fluent Bit's figures are a reference measured elsewhere (see bench.py and RESULTS.md).
#   tests/bench/log-normalizer/run.sh [lines] [runs]        defaults: 1000000 3
set -euo pipefail
cd "$(dirname "$0")/../../.."
bash scripts/deps.sh
lines=${1:-1000000}
runs=${2:-3}
out=artifacts/bench/log-normalizer
mkdir -p "$out/bin"
# NativeAOT, as the image ships it; ILCompiler links with clang, which Debian keeps outside PATH.
export PATH="/usr/lib/llvm-14/bin:$PATH"
dotnet publish adapters/log-normalizer -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o "$out/bin" >/dev/null
# The receiver: ForwardBench's `receive`, which acks every chunk and counts records.
dotnet publish tests/bench/fluentd-forward/ForwardBench -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet \
  -o "$out/bin" >/dev/null
exec /usr/bin/python3 tests/bench/log-normalizer/bench.py "$out/bin/log-normalizer" "$out/bin/forward-bench" "$lines" "$runs"
