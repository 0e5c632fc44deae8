# syntax=docker/dockerfile:1
# anvil (the devnet chain) and the contracts deployment step, from the npm @foundry-rs packages pinned in
# package-lock.json (TOOLCHAIN.md: Foundry from npm, solc-js as the compiler, no native solc).
# The same image runs `anvil` (default) and `deploy-contracts` (the compose file's one-shot deployer).
#
#   docker build -f deploy/docker/chain.Dockerfile -t depinledger/chain .      (from the repository root)
#
# The npm launchers in node_modules/.bin always exit 0, so PATH names the real binaries (linux-amd64: build and
# run this image on an amd64 host or with --platform linux/amd64).

FROM node:22-bookworm-slim
# Runs as uid 1654, the depin image's user: the compose volumes both images write (the deployment folder) need
# one owner.
RUN groupadd --gid 1654 app \
    && useradd --uid 1654 --gid app --create-home app \
    && mkdir /app \
    && chown app:app /app
WORKDIR /app
USER app
COPY --chown=app:app package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY --chown=app:app foundry.toml ./
COPY --chown=app:app tools/solc.js tools/
COPY --chown=app:app contracts/src/ contracts/src/
COPY --chown=app:app contracts/script/ contracts/script/
ENV PATH=/app/node_modules/@foundry-rs/forge-linux-amd64/bin:/app/node_modules/@foundry-rs/anvil-linux-amd64/bin:/app/node_modules/@foundry-rs/cast-linux-amd64/bin:$PATH \
    FOUNDRY_SOLC=/app/tools/solc.js
# Compiled once here, so the deployment step only broadcasts. The deploy script writes
# deploy/addresses/<chainId>.json (foundry.toml allows that folder): the compose file mounts a volume there.
RUN forge build \
    && mkdir -p deploy/addresses
COPY --chmod=755 deploy/docker/deploy-contracts.sh /usr/local/bin/deploy-contracts
EXPOSE 8545
ENTRYPOINT ["anvil"]
CMD ["--host", "0.0.0.0", "--port", "8545", "--block-time", "1", "--mixed-mining"]
