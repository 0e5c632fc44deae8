#!/usr/bin/env bash
# The devnet in one command: installs what is missing (npm ci, forge build, dotnet build), then runs
# `depin devnet up` — anvil, the contracts, the model, six staked workers (one faulty), the coordinator,
# and a client paying for jobs. Arguments go to `depin devnet up` (see --help), e.g.
#
#   deploy/devnet.sh                       # run, then keep the network up until Ctrl-C
#   deploy/devnet.sh --jobs 6 --exit-when-done
#
# Ctrl-C stops every process it started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

command -v node >/dev/null || { echo "devnet: Node.js is required (apt-get install nodejs npm)" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "devnet: the .NET 10 SDK is required" >&2; exit 2; }

if [[ ! -x node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil ]] || ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  echo "devnet: npm ci (Foundry, solc-js, OpenZeppelin)" >&2
  npm ci --no-audit --no-fund >/dev/null
  cp package-lock.json node_modules/.package-lock.json
fi
export FOUNDRY_SOLC="$ROOT/tools/solc.js"
if [[ ! -f out/JobMarket.sol/JobMarket.json ]]; then
  echo "devnet: forge build" >&2
  node_modules/@foundry-rs/forge-linux-amd64/bin/forge build >/dev/null
fi
DEPIN="src/DePinLedger.Cli/bin/Release/net10.0/depin.dll"
if [[ ! -f "$DEPIN" || -n "$(find src -name '*.cs' -newer "$DEPIN" -print -quit)" ]]; then
  echo "devnet: dotnet build" >&2
  dotnet build src/DePinLedger.Cli -c Release -nologo -v quiet >/dev/null
fi
if [[ -z "${DEPIN_MODELS:-}" && -d "$ROOT/../shared/models" ]]; then
  export DEPIN_MODELS="$ROOT/../shared/models"
fi
exec dotnet "$DEPIN" devnet up "$@"
