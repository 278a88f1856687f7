#!/usr/bin/env bash
# Rewrites the variable table of each image's README from the code: the table that starts with
# "| variable | default | meaning |" is replaced by what `<image> --env` prints. The tests check the same table
# (ReadmeCheck), so after changing an option: build, run this, commit the READMEs.
set -euo pipefail
cd "$(dirname "$0")/.."

images=(sidecars/topz:topz sidecars/https-terminator:https-terminator adapters/redis-exporter:redis-exporter sidecars/config-sync:config-sync sidecars/git-sync:git-sync adapters/log-normalizer:log-normalizer)
for entry in "${images[@]}"; do
  folder=${entry%%:*}
  name=${entry#*:}
  dll=artifacts/bin/$name/debug/$name.dll
  [ -f "$dll" ] || dotnet build "$folder" -nologo -clp:ErrorsOnly >/dev/null
  table=$(mktemp)
  dotnet "$dll" --env >"$table"
  # The header line starts the table; the first line that is not a table row ends it.
  awk -v table="$table" '
    !done && /^\| variable \| default \| meaning \|/ { while ((getline line < table) > 0) print line; skipping = 1; done = 1; next }
    skipping && /^\|/ { next }
    { skipping = 0; print }
  ' "$folder/README.md" >"$folder/README.md.new"
  mv "$folder/README.md.new" "$folder/README.md"
  rm -f "$table"
done
