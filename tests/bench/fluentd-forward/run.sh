#!/usr/bin/env bash
# The Forward client (libs/Sidecars.Fluentd) against fluent-logger-golang, Docker's fluentd driver's client, side by
# side in one run: one producer process posting records as fast as it can to a receiver process on 127.0.0.1 that
# acks (see bench.py for the method).
#   tests/bench/fluentd-forward/run.sh [records] [runs] [peer-records]
# records defaults to 1,000,000 for our client; the peer waits for an ack per record, so it posts peer-records
# (default: 100,000, or records if fewer) to keep the default run within about three minutes. Pass the same number
# twice for equal counts.
# BENCH_RECEIVER=decode makes the receiver walk (and gunzip) every entry instead of trusting the size option.
set -euo pipefail
cd "$(dirname "$0")/../../.."
bash scripts/deps.sh
records=${1:-1000000}
runs=${2:-3}
peer_records=${3:-$((records < 100000 ? records : 100000))}
out=artifacts/bench/fluentd-forward
mkdir -p "$out"
# NativeAOT, as the images that ship the client; ILCompiler links with clang, which Debian keeps outside PATH. Its
# trim and AOT warnings are errors (TreatWarningsAsErrors reaches ILC), so a publish that succeeds is AOT-clean.
PATH="/usr/lib/llvm-14/bin:$PATH" dotnet publish tests/bench/fluentd-forward/ForwardBench -c Release -r linux-x64 \
  -p:PublishAot=true -nologo -v quiet -o "$out" >/dev/null
# The peer against Debian's fluent-logger-golang sources: no modules, no network.
dest="$PWD/$out"
(cd tests/bench/fluentd-forward/peer && GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE="$dest/gocache" go build -o "$dest/peer" .)
exec /usr/bin/python3 tests/bench/fluentd-forward/bench.py "$out/forward-bench" "$out/peer" "$records" "$runs" "$peer_records"
