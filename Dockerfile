# The Kodosumi Indexer: reads Kodosumi's data directory (mounted read-only at /data), keeps its index on
# the volume /var/lib/kodosumi-indexer and serves the dashboard API on port 3371.
# Classic builder syntax only. The base images are arguments so that a machine without a registry can
# build from local images (see .ci/prepare-docker.sh).
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
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
# The page's browser libraries come from npm, which a build container may not reach: they are vendored
# on the machine first (`dotnet build Api` runs `npm ci` into Api/wwwroot/vendor) and copied in here.
RUN test -f Api/wwwroot/vendor/d3/d3.min.js \
    || { echo "Api/wwwroot/vendor is missing: run 'dotnet build Api' (needs npm) before 'docker build'" >&2; exit 1; }
RUN dotnet publish Api/Api.csproj -c Release -r "$(cat /rid)" --self-contained false -o /app --no-restore \
      -p:UseAppHost=false -p:SkipClientVendor=true

FROM ${RUNTIME_IMAGE}
# A fixed uid, so that volume ownership can be set from outside (chown 10001 / Kubernetes fsGroup).
RUN groupadd --system --gid 10001 kodosumi \
 && useradd --system --uid 10001 --gid kodosumi --create-home --shell /usr/sbin/nologin kodosumi \
 && mkdir -p /data /var/lib/kodosumi-indexer \
 && chown kodosumi:kodosumi /var/lib/kodosumi-indexer
# Every setting can be overridden with an environment variable: Indexer__DataDir, Indexer__ExecDir,
# Indexer__AdminDatabase, Indexer__IndexPath, Indexer__RescanInterval, Kodosumi's own KODO_EXEC_DIR,
# KODO_ADMIN_DATABASE and KODO_SECRET_KEY (no default here: a secret does not belong in an image).
ENV ASPNETCORE_URLS=http://+:3371 \
    Indexer__DataDir=/data \
    Indexer__IndexPath=/var/lib/kodosumi-indexer/index.db
VOLUME /var/lib/kodosumi-indexer
WORKDIR /app
COPY --from=build /app ./
USER kodosumi
EXPOSE 3371
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["dotnet", "/app/Kodosumi.Api.dll", "healthcheck"]
# Exec form: the process is PID 1 and gets docker stop's SIGTERM, then closes the index cleanly.
ENTRYPOINT ["dotnet", "/app/Kodosumi.Api.dll"]
