#!/usr/bin/env bash
# git-sync against the git CLI on a repository of 20,000 files and 5,000 commits served over smart HTTP: first sync
# to a published link, push to published (period 1s and POST /sync), peak RSS.
#   tests/bench/git-sync/run.sh [runs]        (default 5; BENCH_FILES and BENCH_COMMITS resize the repository)
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=artifacts/bench/git-sync
# NativeAOT, as the image ships it; ILCompiler links with clang.
export PATH="/usr/lib/llvm-14/bin:$PATH"
dotnet publish sidecars/git-sync -c Release -r linux-x64 -p:PublishAot=true -nologo -v quiet -o "$out" >/dev/null
# The repositories and worktrees on the same disk as the checkout.
export BENCH_RUNS="${1:-5}"
exec /usr/bin/python3 tests/bench/git-sync/bench.py "$out/git-sync" "$out/work"
