#!/usr/bin/env bash
# Runs every test: installs what the tests need, builds the solution, runs each test project in turn
# (the image and accuracy tests need the machine to themselves), and ends with one summary line.
#   scripts/test.sh               every test project
#   scripts/test.sh Topz          only projects whose name contains "Topz"
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh || { echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

if ! dotnet build Sidecars.sln -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

# Cheap, pure tests first; the image tests last.
mapfile -t projects < <(ls tests/*/*.Tests.csproj | grep -v Images.Tests; ls tests/Images.Tests/*.csproj 2>/dev/null)
passed=0 failed=0 skipped=0
for project in "${projects[@]}"; do
  name=$(basename "$project" .csproj)
  if [ $# -gt 0 ] && [[ "$name" != *"$1"* ]]; then
    continue
  fi
  echo "== $name"
  log="$results/$name.log"
  dotnet test "$project" --no-build -nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" 2>&1 | tee "$log"
  summary=$(grep -E '(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -n 1)
  if [ -z "$summary" ] && grep -q "No test is available" "$log"; then
    echo "$name: no tests"
    continue
  fi
  if [ -z "$summary" ]; then
    echo "$name: the test run ended without a summary (crash or build problem): counted as one failure"
    failed=$((failed + 1))
    continue
  fi
  f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$summary")
  p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")
  s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
