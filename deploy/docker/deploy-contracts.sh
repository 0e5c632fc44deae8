#!/usr/bin/env bash
# The compose devnet's contracts step (runs in the chain image, from /app): deploys the contracts with
# contracts/script/DeployDePin.s.sol unless the deployment file's token already has code on this chain, registers
# the model that model.json describes (`depin model info MODEL --json`, written by the compose `model` service)
# unless it is registered, and mints DPIN to each funded account that holds none. Idempotent: a second run on the
# same chain sends nothing.
#
# Environment: DEPIN_RPC (JSON-RPC URL), DEPIN_MNEMONIC (index 0 deploys and mints; anvil funds these accounts
# with ether), DEPIN_FUND_INDEXES (mnemonic indexes that receive tokens, default "1 2 3 4 5 6 9": the six
# operators and the coordinator), DEPIN_FUND_TOKENS (whole DPIN each, default 2000), DEPIN_ADDRESSES_DIR
# (default /app/deploy/addresses, the folder the deploy script may write), DEPIN_MODEL_METADATA (default the
# model file's name). Contract parameters: the DEPIN_* variables of contracts/script/DeployDePin.s.sol.
set -euo pipefail

: "${DEPIN_RPC:?DEPIN_RPC must name the chain JSON-RPC endpoint}"
: "${DEPIN_MNEMONIC:?DEPIN_MNEMONIC must hold the mnemonic of the deployer (index 0) and of the funded accounts}"
addresses_dir=${DEPIN_ADDRESSES_DIR:-/app/deploy/addresses}
model_info="$addresses_dir/model.json"
fund_indexes=${DEPIN_FUND_INDEXES:-1 2 3 4 5 6 9}
fund_tokens=${DEPIN_FUND_TOKENS:-2000}

# One field of a JSON file (node is in the image; jq is not).
field() {
  node -e 'const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
           if (v === undefined) { console.error(`no field ${process.argv[2]} in ${process.argv[1]}`); process.exit(1); }
           console.log(v)' "$1" "$2"
}

deployer_key=$(cast wallet private-key "$DEPIN_MNEMONIC" 0)
chain_id=$(cast chain-id --rpc-url "$DEPIN_RPC")
deployment="$addresses_dir/$chain_id.json"

if [[ -f "$deployment" && "$(cast code "$(field "$deployment" token)" --rpc-url "$DEPIN_RPC")" != "0x" ]]; then
  echo "deploy-contracts: already deployed on chain $chain_id ($deployment)"
else
  echo "deploy-contracts: deploying to chain $chain_id"
  DEPIN_ADDRESSES_FILE="$deployment" forge script contracts/script/DeployDePin.s.sol \
    --rpc-url "$DEPIN_RPC" --broadcast --private-key "$deployer_key" >/dev/null
  echo "deploy-contracts: wrote $deployment"
fi
registry=$(field "$deployment" modelRegistry)
token=$(field "$deployment" token)

[[ -f "$model_info" ]] || { echo "deploy-contracts: $model_info is missing (the model service writes it)" >&2; exit 2; }
model_id=$(field "$model_info" model_id)
if [[ "$(cast call "$registry" 'isRegistered(bytes32)(bool)' "$model_id" --rpc-url "$DEPIN_RPC")" == "true" ]]; then
  echo "deploy-contracts: model $model_id already registered"
else
  dims="($(field "$model_info" layers),$(field "$model_info" heads),$(field "$model_info" kv_heads),$(field "$model_info" dim),$(field "$model_info" hidden_dim),$(field "$model_info" vocab_size),$(field "$model_info" seq_len))"
  metadata=${DEPIN_MODEL_METADATA:-$(basename "$(field "$model_info" path)" .bin)}
  cast send "$registry" 'registerModel(bytes32,bytes32,(uint16,uint16,uint16,uint32,uint32,uint32,uint32),address,string)' \
    "$model_id" "$(field "$model_info" weights_root)" "$dims" "$(field "$deployment" stepVerifier)" "$metadata" \
    --rpc-url "$DEPIN_RPC" --private-key "$deployer_key" >/dev/null
  echo "deploy-contracts: registered model $model_id ($dims) as \"$metadata\""
fi

for index in $fund_indexes; do
  account=$(cast wallet address --private-key "$(cast wallet private-key "$DEPIN_MNEMONIC" "$index")")
  balance=$(cast call "$token" 'balanceOf(address)(uint256)' "$account" --rpc-url "$DEPIN_RPC" | cut -d' ' -f1)
  if [[ "$balance" != "0" ]]; then
    echo "deploy-contracts: account $index ($account) already holds DPIN"
    continue
  fi
  cast send "$token" 'mint(address,uint256)' "$account" "${fund_tokens}ether" --rpc-url "$DEPIN_RPC" --private-key "$deployer_key" >/dev/null
  echo "deploy-contracts: minted $fund_tokens DPIN to account $index ($account)"
done
