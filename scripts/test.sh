#!/usr/bin/env bash
# npm test: type-check, then every ava test against the real PostgreSQL and Redis.
# Ends with the plain line "N passed, N failed" (ava itself omits the passed count on failure).
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== type-check (tsc)"
if npx tsc -p .; then tsc_ok=1; else tsc_ok=0; fi

echo "== tests (ava)"
npx ava --tap "$@" 2>&1 | tee "$out/ava.tap"
ava_rc=${PIPESTATUS[0]}
passed=$(grep -oP '^# pass \K[0-9]+' "$out/ava.tap" || echo 0)
failed=$(grep -oP '^# fail \K[0-9]+' "$out/ava.tap" || echo 0)
if [ "$tsc_ok" -eq 0 ]; then failed=$((failed + 1)); echo "type-check failed"; fi
echo "$passed passed, $failed failed"
[ "$ava_rc" -eq 0 ] && [ "$tsc_ok" -eq 1 ] && [ "$passed" -gt 0 ]
