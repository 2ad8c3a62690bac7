# Sourced by .ci/run (set -euo pipefail is in force): a real Docker engine and local base images for the
# container tests. No registry is reachable from here, so the images the Dockerfile builds FROM are made
# from a debootstrap root file system, this machine's certificate bundle, its own .NET and Debian's Node,
# and cached keyed on their inputs.
# See ../shared/ci-notes.md. Exports what the tests need; prints how long it took.

prep_started=$SECONDS
step_started=$SECONDS
ci_cache=/var/cache/kodosumi-ci
mkdir -p "$ci_cache"

# Prints how long the step that just ended took, so a slow CI run shows where the time went.
step_done() {
  echo "prepare-docker: $1 ($((SECONDS - step_started)) s)"
  step_started=$SECONDS
}

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/tmp/apt-docker.log 2>&1 || { tail -20 /tmp/apt-docker.log; exit 1; }
  step_done "installed ${missing[*]}"
fi

# Docker here is 20.10: API 1.41 and the classic builder only. Ryuk's image would come from a registry.
export DOCKER_API_VERSION=1.41 DOCKER_BUILDKIT=0 TESTCONTAINERS_RYUK_DISABLED=true

if ! docker info >/dev/null 2>&1; then
  setsid dockerd >/tmp/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start:"; tail -20 /tmp/dockerd.log; exit 1; }
  step_done "started dockerd"
fi

# A tag per set of inputs: when an input changes the tag changes and the image is made again.
key() { sha256sum | cut -c1-12; }
has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Builds image $1 from a throwaway context: $2 is the Dockerfile text, the rest are paths copied in.
build_from() {
  local tag=$1 dockerfile=$2 ctx
  shift 2
  ctx=$(mktemp -d)
  [ $# -gt 0 ] && cp -a "$@" "$ctx/"
  printf '%s\n' "$dockerfile" >"$ctx/Dockerfile"
  docker build -t "$tag" "$ctx" >/tmp/docker-build-base.log 2>&1 || { tail -20 /tmp/docker-build-base.log; exit 1; }
  rm -rf "$ctx"
}

# 1. Debian root file system → base image. The tarball is kept too, so a wiped Docker skips debootstrap.
suite=bookworm
packages=libicu72,libssl3,ca-certificates,tzdata
base_key=$(echo "$suite minbase $packages" | key)
base_image=kodosumi-ci/debian:$suite-$base_key
if ! has_image "$base_image"; then
  rootfs_tar=$ci_cache/rootfs-$base_key.tar
  if [ ! -f "$rootfs_tar" ]; then
    rootfs=$(mktemp -d)
    debootstrap --variant=minbase --include=$packages $suite "$rootfs" >/tmp/debootstrap.log 2>&1 \
      || { tail -20 /tmp/debootstrap.log; exit 1; }
    # apt lists and caches only make the image bigger.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
    tar -C "$rootfs" -cf "$rootfs_tar.part" . && mv "$rootfs_tar.part" "$rootfs_tar"
    rm -rf "$rootfs"
    step_done "debootstrap $suite"
  fi
  docker import "$rootfs_tar" "$base_image" >/dev/null
  step_done "imported $base_image"
fi

# 2. The same base trusting this machine's certificate bundle: a build container reaches NuGet, npm and
# Debian's archive only through it. Every stand-in image below starts from this one.
ca_bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
ca_key=$( { echo "$base_image"; cat "$ca_bundle"; } | key)
ca_image=kodosumi-ci/debian-ca:$suite-$ca_key
if ! has_image "$ca_image"; then
  ca_dir=$(mktemp -d)
  cp "$ca_bundle" "$ca_dir/ca-certificates.crt"
  build_from "$ca_image" "FROM $base_image
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" "$ca_dir/ca-certificates.crt"
  rm -rf "$ca_dir"
  step_done "built $ca_image"
fi

# 3. Runtime image (as mcr.microsoft.com/dotnet/aspnet) and SDK image (as .../sdk): that base + this machine's .NET.
dotnet_root=/usr/share/dotnet
dotnet_key=$( { echo "$ca_image"; dotnet --list-runtimes; dotnet --list-sdks; } | key)
runtime_image=kodosumi-ci/aspnet:10.0-$dotnet_key
sdk_image=kodosumi-ci/sdk:10.0-$dotnet_key
dotnet_env='ENV DOTNET_RUNNING_IN_CONTAINER=true DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1'
if ! has_image "$runtime_image"; then
  runtime=$(mktemp -d)
  mkdir "$runtime/dotnet"
  cp -a "$dotnet_root"/{dotnet,host,shared,LICENSE.txt,ThirdPartyNotices.txt} "$runtime/dotnet/"
  build_from "$runtime_image" "FROM $ca_image
COPY dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
$dotnet_env" "$runtime/dotnet"
  rm -rf "$runtime"
  step_done "built $runtime_image"
fi
if ! has_image "$sdk_image"; then
  # Certificate revocation lists are not reachable from here: package signatures are checked offline.
  build_from "$sdk_image" "FROM $ca_image
COPY dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
$dotnet_env NUGET_CERT_REVOCATION_MODE=offline" "$dotnet_root"
  step_done "built $sdk_image"
fi

# 4. Node image (as node:20-bookworm-slim): that base + Debian's nodejs and npm, for the Dockerfile's npm ci.
node_image=kodosumi-ci/node:bookworm-$ca_key
if ! has_image "$node_image"; then
  build_from "$node_image" "FROM $ca_image
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null && rm -rf /var/lib/apt/lists/*"
  step_done "built $node_image"
fi

# Build arguments for the project's Dockerfile, read by Tests/Container.
export KODOSUMI_DOCKER_BUILD_ARGS="SDK_IMAGE=$sdk_image RUNTIME_IMAGE=$runtime_image NODE_IMAGE=$node_image"
echo "prepare-docker: ready in $((SECONDS - prep_started)) s: $(docker version --format 'engine {{.Server.Version}}'), $KODOSUMI_DOCKER_BUILD_ARGS"
