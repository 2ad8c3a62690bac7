# The Kodosumi Indexer: reads Kodosumi's data directory (mounted read-only at /data), keeps its index on
# the volume /var/lib/kodosumi-indexer and serves the dashboard API on port 3371.
# Builds from a clean checkout with nothing on the host: npm and NuGet restore inside the build.
# Classic builder syntax only. The base images are arguments so that a machine without a registry can
# build from local images (see .ci/prepare-docker.sh).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0
ARG NODE_IMAGE=node:20-bookworm-slim

# The dashboard page's browser libraries, at the versions pinned in the lock file.
FROM ${NODE_IMAGE} AS web
WORKDIR /web
COPY Api/web/package.json Api/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM ${SDK_IMAGE} AS build
# Directory.Build.props holds the version; the build refuses another one, so image and assembly agree.
ARG VERSION=1.0.0
WORKDIR /src
# Restore from the project files alone, so that a code change reuses the restored layer.
COPY Directory.Build.props Directory.Packages.props global.json ./
COPY Shared/Shared.csproj Shared/
COPY Indexer/Indexer.csproj Indexer/
COPY Api/Api.csproj Api/
# For the machine's own architecture, which ReadyToRun compiles for (Api.csproj).
RUN uname -m | sed 's/^x86_64$/linux-x64/; s/^aarch64$/linux-arm64/' > /rid \
 && dotnet restore Api/Api.csproj -r "$(cat /rid)"
# Then everything else .dockerignore lets through (root files such as .editorconfig included).
COPY . .
RUN grep -q "<Version>${VERSION}</Version>" Directory.Build.props \
    || { echo "VERSION=${VERSION} is not the <Version> in Directory.Build.props: pass --build-arg VERSION=<that>" >&2; exit 1; }
# The Node stage's packages; Api.csproj copies the files the page serves into wwwroot/vendor.
COPY --from=web /web/node_modules Api/web/node_modules/
RUN dotnet publish Api/Api.csproj -c Release -r "$(cat /rid)" --self-contained false -o /app --no-restore \
      -p:UseAppHost=false -p:ClientPackagesInstalled=true

FROM ${RUNTIME_IMAGE}
ARG VERSION=1.0.0
# Where the source of this image is published (org.opencontainers.image.source).
ARG SOURCE_URL=https://github.com/kodosumi/kodosumi-indexer
LABEL org.opencontainers.image.title="Kodosumi Indexer" \
      org.opencontainers.image.description="Indexes Kodosumi's execution databases and serves its dashboard API" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed uid, so that volume ownership can be set from outside (chown 10001 / Kubernetes fsGroup).
RUN groupadd --system --gid 10001 kodosumi \
 && useradd --system --uid 10001 --gid kodosumi --create-home --shell /usr/sbin/nologin kodosumi \
 && mkdir -p /data /var/lib/kodosumi-indexer \
 && chown kodosumi:kodosumi /var/lib/kodosumi-indexer
# Every setting can be overridden with an environment variable: Indexer__DataDir, Indexer__ExecDir,
# Indexer__AdminDatabase, Indexer__IndexPath, Indexer__RescanInterval, Kodosumi's own KODO_EXEC_DIR,
# KODO_ADMIN_DATABASE and KODO_SECRET_KEY or KODO_SECRET_KEY_FILE (no default here: a secret does not
# belong in an image). Logs are one JSON object per line; Logging__Console__FormatterName=simple for text.
ENV ASPNETCORE_URLS=http://+:3371 \
    Indexer__DataDir=/data \
    Indexer__IndexPath=/var/lib/kodosumi-indexer/index.db \
    Logging__Console__FormatterName=json
VOLUME /var/lib/kodosumi-indexer
WORKDIR /app
COPY --from=build /app ./
USER kodosumi
EXPOSE 3371
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["dotnet", "/app/Kodosumi.Api.dll", "healthcheck"]
# Exec form: the process is PID 1 and gets docker stop's SIGTERM, then closes the index cleanly.
ENTRYPOINT ["dotnet", "/app/Kodosumi.Api.dll"]
