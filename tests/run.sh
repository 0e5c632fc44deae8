#!/usr/bin/env bash
# THE test command of DePinLedger: installs what is missing, starts a private PostgreSQL, runs every
# suite (Solidity build, format, lint and tests; the .NET solution), stops what it started, and
# ends with one line "N passed, N failed". Exit status is non-zero when anything failed.
#
#   bash tests/run.sh                 # everything
#   DEPIN_SKIP_DOTNET=1 bash tests/run.sh   # no .NET tests (the solution still builds: it writes the verifier vectors)
#   DEPIN_SKIP_FORGE=1 bash tests/run.sh    # no Solidity checks (contracts still build: the chain tests deploy them)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/depin-tests.XXXXXX")
PG_PID=""
PG_DATA=""
passed=0
failed=0
status=0

log() { printf '\n=== %s\n' "$*"; }
die() { printf 'tests/run.sh: %s\n' "$*" >&2; exit 2; }

cleanup() {
  local rc=$?
  if [[ -n "$PG_PID" ]] && kill -0 "$PG_PID" 2>/dev/null; then
    runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 \
      || kill "$PG_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# ---------------------------------------------------------------- toolchain
command -v node >/dev/null || die "Node.js is required (apt-get install nodejs npm)"
command -v dotnet >/dev/null || die "the .NET 10 SDK is required"

if [[ ! -x node_modules/@foundry-rs/forge-linux-amd64/bin/forge ]] || ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  log "npm ci (Foundry 1.7.1, solc-js 0.8.37, OpenZeppelin, forge-std, solhint)"
  npm ci --no-audit --no-fund >"$WORK/npm.log" 2>&1 || { cat "$WORK/npm.log"; die "npm ci failed"; }
fi
# Lockfile copy lets the next run skip npm ci when nothing changed.
cp package-lock.json node_modules/.package-lock.json 2>/dev/null || true

FOUNDRY_BIN="$ROOT/node_modules/@foundry-rs"
export PATH="$FOUNDRY_BIN/forge-linux-amd64/bin:$FOUNDRY_BIN/anvil-linux-amd64/bin:$FOUNDRY_BIN/cast-linux-amd64/bin:$PATH"
export FOUNDRY_SOLC="$ROOT/tools/solc.js"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet tool restore >"$WORK/tool.log" 2>&1 || { cat "$WORK/tool.log"; die "dotnet tool restore failed"; }

if [[ -d "$ROOT/../shared/models" && -z "${DEPIN_MODELS:-}" ]]; then
  export DEPIN_MODELS
  DEPIN_MODELS=$(cd "$ROOT/../shared/models" && pwd)
fi

# ---------------------------------------------------------------- PostgreSQL
start_postgres() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
      log "installing PostgreSQL (apt-get)"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >"$WORK/apt.log" 2>&1 \
        || { cat "$WORK/apt.log"; die "apt-get install postgresql failed"; }
      bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    else
      die "PostgreSQL is not installed: run 'sudo apt-get install postgresql' or set DEPIN_TEST_POSTGRES to a server's connection string"
    fi
  fi
  local port
  port=$(free_port)
  PG_DATA="$WORK/pg/data"
  mkdir -p "$WORK/pg"
  local as=()
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$WORK/pg"
    chmod 755 "$WORK"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bindir/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=trust >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log"; die "initdb failed"; }
  "${as[@]}" "$bindir/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $WORK/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
    || { cat "$WORK/pg/server.log"; die "PostgreSQL did not start"; }
  PG_PID=$(head -n 1 "$PG_DATA/postmaster.pid")
  export DEPIN_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  echo "PostgreSQL $(basename "$(dirname "$bindir")") on 127.0.0.1:$port (pid $PG_PID)"
}

if [[ -z "${DEPIN_TEST_POSTGRES:-}" ]]; then
  log "PostgreSQL"
  start_postgres
fi

# ---------------------------------------------------------------- Solidity
count_forge() {
  # forge --json prints one object: suite -> test_results -> name -> {status}
  node -e '
    const out = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    let ok = 0, bad = 0;
    for (const suite of Object.values(out))
      for (const [name, r] of Object.entries(suite.test_results)) {
        if (r.status === "Success") ok++; else { bad++; console.error(`FAIL ${name}: ${r.reason ?? r.status}`); }
      }
    console.log(`${ok} ${bad}`);' "$1"
}

forge_built=0
if [[ -z "${DEPIN_SKIP_FORGE:-}" || -z "${DEPIN_SKIP_DOTNET:-}" ]]; then
  # The C# chain tests deploy the forge artifacts, so contracts build first either way.
  log "forge build"
  if forge build; then forge_built=1; else echo "forge build failed"; failed=$((failed + 1)); status=1; fi
fi

# ---------------------------------------------------------------- .NET build and conformance vectors
dotnet_built=0
if [[ -z "${DEPIN_SKIP_DOTNET:-}" || -z "${DEPIN_SKIP_FORGE:-}" ]]; then
  log "dotnet build"
  dotnet build DePinLedger.sln -c Release -warnaserror --nologo -v quiet >"$WORK/build.log" 2>&1
  build_rc=$?
  tail -n 30 "$WORK/build.log"
  if [[ $build_rc -eq 0 ]]; then dotnet_built=1; else echo "dotnet build failed"; failed=$((failed + 1)); status=1; fi
fi

VECTORS="$ROOT/contracts/test/vectors/generated"
if [[ -z "${DEPIN_SKIP_FORGE:-}" && $dotnet_built -eq 1 ]]; then
  # The on-chain verifier's forge tests replay step vectors computed by the C# engine (SPEC.md).
  log "conformance vectors"
  if ! dotnet "$ROOT/src/DePinLedger.Cli/bin/Release/net10.0/depin.dll" conformance vectors --model stories260K --out "$VECTORS"; then
    echo "generating conformance vectors failed"; failed=$((failed + 1)); status=1
  fi
fi

if [[ -z "${DEPIN_SKIP_FORGE:-}" && $forge_built -eq 1 ]]; then
  log "forge fmt --check"
  if ! forge fmt --check contracts; then echo "forge fmt: run 'forge fmt contracts'"; failed=$((failed + 1)); status=1; fi

  log "solhint"
  if ! npx --no-install solhint --disc --noPoster -w 0 'contracts/src/**/*.sol' 'contracts/script/**/*.sol' \
     || ! npx --no-install solhint --disc --noPoster -w 0 -c contracts/.solhint-tests.json 'contracts/test/**/*.sol'; then
    failed=$((failed + 1)); status=1
  fi

  log "forge test"
  forge test --json >"$WORK/forge.json" 2>"$WORK/forge.err"
  forge_rc=$?
  if counts=$(count_forge "$WORK/forge.json"); then
    read -r ok bad <<<"$counts"
    echo "forge: $ok passed, $bad failed"
    passed=$((passed + ok)); failed=$((failed + bad))
    if [[ $ok -eq 0 ]]; then echo "forge ran no test"; failed=$((failed + 1)); fi
    if [[ $bad -gt 0 || $forge_rc -ne 0 || $ok -eq 0 ]]; then status=1; fi
  else
    cat "$WORK/forge.err"; echo "forge test produced no results"; failed=$((failed + 1)); status=1
  fi
fi

# ---------------------------------------------------------------- .NET tests
if [[ -z "${DEPIN_SKIP_DOTNET:-}" && $dotnet_built -eq 1 ]]; then
  log "dotnet test"
  dotnet test DePinLedger.sln -c Release --no-build --nologo 2>&1 | tee "$WORK/dotnet.log" | grep -vE '^\s*$'
  dotnet_rc=${PIPESTATUS[0]}
  # One summary line per test assembly: "Passed!  - Failed: 0, Passed: 7, Skipped: 0, Total: 7, ..."
  read -r ok bad < <(sed -nE 's/.*Failed: *([0-9]+), Passed: *([0-9]+),.*/\2 \1/p' "$WORK/dotnet.log" \
    | awk '{p += $1; f += $2} END {print p + 0, f + 0}')
  echo "dotnet: $ok passed, $bad failed"
  passed=$((passed + ok)); failed=$((failed + bad))
  if [[ $ok -eq 0 ]]; then echo "dotnet ran no test"; failed=$((failed + 1)); fi
  if [[ $dotnet_rc -ne 0 && $bad -eq 0 ]]; then failed=$((failed + 1)); fi
  if [[ $dotnet_rc -ne 0 || $bad -gt 0 || $ok -eq 0 ]]; then status=1; fi
fi

echo
echo "$passed passed, $failed failed"
exit "$status"
