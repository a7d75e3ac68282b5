#!/usr/bin/env bash
# Runs every test: installs what the tests need (npm packages, Debian's Chromium), builds, runs each test
# project, and ends with one line of totals summed over all of them.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NUGET_CERT_REVOCATION_MODE=offline

# Node packages: Azurite and Microsoft's client SDKs that check the stand-ins.
if [ ! -d infra/node_modules ] || [ infra/package-lock.json -nt infra/node_modules ]; then
  (cd infra && { npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error; }) || { echo "npm install failed"; exit 1; }
fi

# A real browser for the widget tests: Debian's Chromium (Playwright drives it; no browser download).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium; browser tests will fail"
  else
    echo "warning: chromium is missing and this user cannot apt-get install it"
  fi
fi

dotnet build Functions.sln -c Release -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
status=0
for proj in tests/*.Tests/*.Tests.csproj; do
  name="$(basename "$proj" .csproj)"
  echo "== $name ($(date -u +%H:%M:%S))"
  dotnet test "$proj" -c Release --no-build --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --blame-hang-timeout 10m -- RunConfiguration.TestSessionTimeout=2400000 || status=1
done

echo "== done ($(date -u +%H:%M:%S))"

# Sum the trx counters so a run that executed nothing shows as 0 passed. A skipped test is counted in "total" but not
# in "executed" (vstest leaves "notExecuted" at 0 for it).
read -r passed failed skipped < <(
  cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
    function attr(n,   m) { if (match($0, n "=\"[0-9]+\"")) { m = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", m); return m + 0 } return 0 }
    { p += attr("passed"); f += attr("failed") + attr("error") + attr("timeout") + attr("aborted"); s += attr("total") - attr("executed") }
    END { print p + 0, f + 0, s + 0 }')
line="${passed} passed, ${failed} failed"
[ "${skipped}" -gt 0 ] && line="${line}, ${skipped} skipped"
echo "$line"
[ $status -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
