# syntax=docker/dockerfile:1
# The `depin` command (worker, coordinator, wallet, node, db migrate, model …) as a container image.
# Multi-stage: the .NET SDK publishes, the ASP.NET Core runtime image runs it as the image's non-root user.
# Model files are never baked in: they come from a volume at /models ($DEPIN_MODELS); a known name such as
# stories260K that is not there is downloaded into it on first use and checked against its pinned sha256.
#
#   docker build -f deploy/docker/depin.Dockerfile -t depinledger/depin .      (from the repository root)
#
# depin.Dockerfile.dockerignore beside this file is the build context's ignore list (BuildKit reads
# <Dockerfile>.dockerignore before the context root's .dockerignore).

ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# .editorconfig carries the code-style rules the build enforces (warnings are errors).
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
COPY migrations/ migrations/
# The package cache survives between builds; the output is framework-dependent (the runtime image has .NET).
RUN --mount=type=cache,target=/root/.nuget/packages \
    dotnet publish src/DePinLedger.Cli/DePinLedger.Cli.csproj -c Release -o /app --nologo -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
WORKDIR /app
COPY --from=build /app ./
# `depin` on PATH for shell one-shots; the mount points exist and belong to the runtime user, so that a fresh
# named volume mounted there is writable by it (Docker copies the folder's owner into an empty volume).
RUN printf '#!/bin/sh\nexec dotnet /app/depin.dll "$@"\n' > /usr/local/bin/depin \
    && chmod 755 /usr/local/bin/depin \
    && mkdir -p /models /keystore /deployment /traces \
    && chown "$APP_UID" /models /keystore /deployment /traces
ENV DEPIN_MODELS=/models \
    DEPIN_KEYSTORE=/keystore \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
# APP_UID (1654, user "app") is defined by the .NET runtime images.
USER $APP_UID
# Worker gRPC (h2c) and coordinator HTTP, as the compose file and the manifests use them.
EXPOSE 7000 7001 8080
ENTRYPOINT ["depin"]
CMD ["--help"]
