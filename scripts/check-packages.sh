#!/usr/bin/env bash
# Checks what users would install: each published package packed by pnpm (which rewrites
# `workspace:^` and applies `publishConfig`), then linted by publint and attw. Run after `pnpm build`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for dir in packages/*/; do
  if node -e "process.exit(require('./${dir}package.json').private ? 0 : 1)"; then continue; fi
  tarball=$(cd "$dir" && pnpm pack --pack-destination "$out" 2>/dev/null | tail -n 1)
  echo "== ${dir%/} ($(basename "$tarball"))"
  pnpm exec publint run "$tarball" --strict || status=1
  pnpm exec attw "$tarball" --profile esm-only --format ascii || status=1
done
exit $status
