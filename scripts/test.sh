#!/usr/bin/env bash
# npm test: type-check, build the web UI, then every ava test against the real PostgreSQL, Redis,
# nginx and Chromium.
# Ends with the plain line "N passed, N failed" (ava itself omits the passed count on failure).
# Without arguments, the tests that load the whole machine (RUN_ALONE in ava.config.js) run alone
# after the others.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== type-check (tsc: server, agent, tests; then the web UI)"
if npx tsc -p . && npx tsc -p web; then tsc_ok=1; else tsc_ok=0; fi

echo "== web UI build (vite: the browser tests use web/dist) and the server bundle (dist/jonkkins.js)"
if ! npm run --silent build:web; then tsc_ok=0; echo "web UI build failed"; fi
if ! npm run --silent build:server; then tsc_ok=0; echo "server bundle build failed"; fi

echo "== tests (ava)"
if [ "$#" -eq 0 ]; then
  JONKKINS_TEST_SKIP_ALONE=1 npx ava --tap 2>&1 | tee "$out/ava.tap"
  ava_rc=${PIPESTATUS[0]}
  alone=$(node --input-type=module -e "import('./ava.config.js').then((c) => console.log(c.RUN_ALONE.join(' ')))")
  echo "== tests that run alone (ava): $alone"
  # shellcheck disable=SC2086
  npx ava --tap $alone 2>&1 | tee -a "$out/ava.tap"
  alone_rc=${PIPESTATUS[0]}
  [ "$alone_rc" -eq 0 ] || ava_rc=$alone_rc
else
  npx ava --tap "$@" 2>&1 | tee "$out/ava.tap"
  ava_rc=${PIPESTATUS[0]}
fi
passed=$(grep -oP '^# pass \K[0-9]+' "$out/ava.tap" | awk '{ s += $1 } END { print s + 0 }')
failed=$(grep -oP '^# fail \K[0-9]+' "$out/ava.tap" | awk '{ s += $1 } END { print s + 0 }')
if [ "$tsc_ok" -eq 0 ]; then failed=$((failed + 1)); echo "type-check failed"; fi
echo "$passed passed, $failed failed"
[ "$ava_rc" -eq 0 ] && [ "$tsc_ok" -eq 1 ] && [ "$passed" -gt 0 ]
