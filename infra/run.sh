#!/usr/bin/env bash
# Runs CartCall locally: Azurite, the Event Grid / Web PubSub / ACS stand-ins and the app on 127.0.0.1, plus a demo
# merchant. Needs only the .NET 10 SDK and Node.js 20+ with npm (apt-get install nodejs npm). Ctrl-C stops everything.
# Extra arguments go to `cartcall-local up` (see --help), e.g. `infra/run.sh --in-memory --app-logs`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
configuration="${CONFIGURATION:-Release}"

for tool in dotnet node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run.sh: '$tool' is not on PATH. Install the .NET 10 SDK and Node.js 20+ with npm (e.g. apt-get install nodejs npm)." >&2
    exit 1
  fi
done

# Azurite and the npm tools: exactly the locked versions when there is a lock file.
if [ ! -d infra/node_modules/azurite ] || { [ -f infra/package-lock.json ] && [ infra/package-lock.json -nt infra/node_modules ]; }; then
  echo "Installing infra/ npm packages…"
  if [ -f infra/package-lock.json ]; then
    (cd infra && npm ci --no-audit --no-fund --loglevel=error)
  else
    (cd infra && npm install --no-audit --no-fund --loglevel=error)
  fi
fi

echo "Building ($configuration)…"
dotnet build Functions.sln -c "$configuration" -nologo -clp:ErrorsOnly

# exec: Ctrl-C and SIGTERM reach the launcher itself, which stops its children.
exec dotnet "infra/CartCall.LocalCloud/bin/$configuration/net10.0/cartcall-local.dll" up -c "$configuration" "$@"
