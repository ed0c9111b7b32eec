#!/usr/bin/env bash
# Makes weld's offline base images as OCI layouts, without any registry:
#
#   $WELD_TOOLS/images/busybox   docker.io/library/busybox:latest
#       Debian's busybox-static, one symlink per applet, /etc/passwd and
#       /etc/group with root, daemon (uid 1) and nobody. It stands in for alpine.
#   $WELD_TOOLS/images/golang    docker.io/library/golang:1.26
#       FROM busybox + this machine's Go toolchain (go env GOROOT) at /usr/local/go.
#   $WELD_TOOLS/images/busybox-multi   docker.io/library/busybox:latest
#       One image index for linux/amd64 (the busybox above's rootfs) and
#       linux/arm64 (Debian's busybox-static:arm64, apt-get download + dpkg-deb -x),
#       for the platform tests. Needs arm64 emulation (scripts/binfmt.sh) on amd64.
#
# Usage: scripts/images.sh [--force] [--verify]
#   --force   rebuild even when a valid layout exists
#   --verify  build the check Dockerfiles against the images even when nothing was rebuilt
#
# Builds with buildctl and the dockerfile.v0 frontend built into buildkitd (nothing
# is pulled), against $BUILDKIT_HOST or, when that is unset, a temporary daemon.
# Prints each image's manifest digest.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# Bump when the recipe below changes, so existing layouts are rebuilt.
recipe=1
force=false
verify=false
for a in "$@"; do
  case $a in
    --force) force=true ;;
    --verify) verify=true ;;
    *) echo "usage: $0 [--force] [--verify]" >&2; exit 2 ;;
  esac
done

need buildctl "scripts/install-buildkit.sh builds it"
need jq "apt-get install jq"
need go
images="$WELD_TOOLS/images"
mkdir -p "$images"

# One writer at a time: CI, the example and a developer may all call this.
exec 9>"$images/.lock"
flock 9

busybox_bin=/bin/busybox
goroot=$(go env GOROOT)
gover=$(go env GOVERSION)

# Each layout records what it was made from in NAME.source, next to it.
source_busybox() {
  printf 'recipe %s\nbusybox %s\n' "$recipe" "$(sha256sum "$busybox_bin" | cut -d' ' -f1)"
}
source_busybox-multi() {
  printf 'recipe %s\nbusybox %s\narm64 %s\n' "$recipe" "$(sha256sum "$busybox_bin" | cut -d' ' -f1)" "$(arm64_version)"
}
source_golang() {
  printf 'recipe %s\ngo %s %s\nbusybox %s\n' "$recipe" "$gover" "$goroot" "$(digest "$images/busybox")"
}

# digest DIR prints the manifest digest of the single image in the layout DIR.
digest() { jq -r '.manifests[0].digest' "$1/index.json"; }

# valid NAME succeeds when the layout exists, every blob it names is there,
# and it was made from the same sources.
valid() {
  local dir="$images/$1" m blob
  [ -f "$dir/oci-layout" ] && [ -f "$dir/index.json" ] || return 1
  [ "$(jq '.manifests | length' "$dir/index.json")" = 1 ] || return 1
  m=$(digest "$dir")
  [ -f "$dir/blobs/${m/://}" ] || return 1
  for blob in $(jq -r '.config.digest, .layers[].digest' "$dir/blobs/${m/://}"); do
    [ -f "$dir/blobs/${blob/://}" ] || return 1
  done
  [ "$(cat "$images/$1.source" 2>/dev/null)" = "$("source_$1")" ]
}

# valid_index NAME succeeds when the layout holds one image index whose every
# platform's manifest, config and layers are there, made from the same sources.
valid_index() {
  local dir="$images/$1" idx m blob
  [ -f "$dir/oci-layout" ] && [ -f "$dir/index.json" ] || return 1
  [ "$(jq '.manifests | length' "$dir/index.json")" = 1 ] || return 1
  idx=$(digest "$dir")
  [ -f "$dir/blobs/${idx/://}" ] || return 1
  [ "$(jq -r '[.manifests[].platform | select(.) | .os + "/" + .architecture] | sort | join(",")' "$dir/blobs/${idx/://}")" = linux/amd64,linux/arm64 ] || return 1
  for m in $(jq -r '.manifests[] | select(.platform) | .digest' "$dir/blobs/${idx/://}"); do
    [ -f "$dir/blobs/${m/://}" ] || return 1
    for blob in $(jq -r '.config.digest, .layers[].digest' "$dir/blobs/${m/://}"); do
      [ -f "$dir/blobs/${blob/://}" ] || return 1
    done
  done
  [ "$(cat "$images/$1.source" 2>/dev/null)" = "$("source_$1")" ]
}

# arm64_version prints the busybox-static:arm64 version apt would download.
arm64_version() {
  dpkg --print-foreign-architectures | grep -qx arm64 || { echo none; return 0; }
  apt-cache policy busybox-static:arm64 2>/dev/null | awk '/Candidate:/ {print $2; exit}'
}

work=$(mktemp -d "${TMPDIR:-/tmp}/weld-images.XXXXXX")
daemon_dir=
cleanup() {
  if [ -n "$daemon_dir" ]; then
    "$WELD_ROOT/scripts/buildkitd.sh" stop "$daemon_dir" >/dev/null 2>&1 || true
    rm -rf "$daemon_dir"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# daemon makes sure BUILDKIT_HOST names a daemon, starting a temporary one if needed.
daemon() {
  [ -z "${BUILDKIT_HOST:-}" ] || return 0
  daemon_dir=$(mktemp -d /tmp/weld-bk.XXXXXX)
  BUILDKIT_HOST=$("$WELD_ROOT/scripts/buildkitd.sh" start "$daemon_dir")
  export BUILDKIT_HOST
}

# build NAME REF CONTEXT [buildctl args...] builds CONTEXT/Dockerfile into the
# layout $images/NAME, replacing any old one only when the build succeeds.
build() {
  local name=$1 ref=$2 ctx=$3
  shift 3
  local out="$images/.$name.new"
  rm -rf "$out"
  log "building $name ($ref)"
  buildctl build --progress plain \
    --frontend dockerfile.v0 \
    --local context="$ctx" --local dockerfile="$ctx" \
    --opt build-arg:SOURCE_DATE_EPOCH=0 \
    --output "type=oci,dest=$out,tar=false,name=$ref,rewrite-timestamp=true" \
    "$@" 2>"$work/$name.log" || {
    tail -n 40 "$work/$name.log" >&2
    die "building the $name image failed (log above)"
  }
  rm -rf "${images:?}/$name"
  mv "$out" "$images/$name"
  "source_$name" >"$images/$name.source"
}

# rootfs ROOT BUSYBOX writes a busybox root file system into ROOT.
rootfs() {
  local root=$1 bin=$2 app
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,tmp,var/tmp,home,proc,sys,dev,run}
  cp "$bin" "$root/bin/busybox"
  for app in $("$bin" --list-full); do
    [ -e "$root/$app" ] || ln -s /bin/busybox "$root/$app"
  done
  [ -e "$root/bin/sh" ] || ln -s busybox "$root/bin/sh"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
nogroup:x:65534:
EOF
  cat >"$root/etc/os-release" <<'EOF'
NAME="weld busybox"
ID=busybox
PRETTY_NAME="weld offline busybox (Debian busybox-static, standing in for alpine)"
EOF
  chmod 0700 "$root/root"
  chmod 1777 "$root/tmp" "$root/var/tmp"
}

make_busybox() {
  [ -x "$busybox_bin" ] || die "$busybox_bin missing: apt-get install busybox-static"
  [[ "$(ldd "$busybox_bin" 2>&1 || true)" == *"not a dynamic executable"* ]] ||
    die "$busybox_bin is not static (is Debian's busybox installed instead of busybox-static?)"
  local ctx="$work/busybox"
  rootfs "$ctx/rootfs" "$busybox_bin"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY rootfs /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
EOF
  build busybox docker.io/library/busybox:latest "$ctx"
}

# make_busybox_multi builds busybox-multi: the amd64 rootfs from this machine's
# busybox-static, the arm64 one from Debian's busybox-static:arm64, one index.
make_busybox_multi() {
  "$WELD_ROOT/scripts/binfmt.sh" --check || die "arm64 emulation is missing: run scripts/binfmt.sh as root"
  local ctx="$work/busybox-multi" deb
  mkdir -p "$ctx/deb"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "adding the arm64 architecture to dpkg (for busybox-static:arm64)"
    dpkg --add-architecture arm64
    apt-get update -qq || die "apt-get update after adding arm64 failed"
  fi
  (cd "$ctx/deb" && apt-get download -qq busybox-static:arm64) || {
    apt-get update -qq
    (cd "$ctx/deb" && apt-get download -qq busybox-static:arm64) || die "apt-get download busybox-static:arm64 failed"
  }
  deb=$(ls "$ctx"/deb/busybox-static_*_arm64.deb)
  dpkg-deb -x "$deb" "$ctx/arm64"
  [ -x "$ctx/arm64/bin/busybox" ] || die "$deb holds no bin/busybox"
  rootfs "$ctx/rootfs-amd64" "$busybox_bin"
  rootfs "$ctx/rootfs-arm64" "$ctx/arm64/bin/busybox"
  rm -rf "$ctx/deb" "$ctx/arm64"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
ARG TARGETARCH
COPY rootfs-${TARGETARCH} /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
EOF
  build busybox-multi docker.io/library/busybox:latest "$ctx" --opt platform=linux/amd64,linux/arm64
}

make_golang() {
  [ -x "$goroot/bin/go" ] || die "no Go toolchain at GOROOT $goroot"
  local ctx="$work/golang" bb
  mkdir -p "$ctx/go"
  # The toolchain without what building needs not: the Go distribution's own
  # tests, docs, API lists, testdata folders and _test.go files.
  tar -C "$goroot" -cf - \
    --exclude=./test --exclude=./doc --exclude=./api \
    --exclude=testdata --exclude='*_test.go' . | tar -C "$ctx/go" -xf -
  cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox
COPY go /usr/local/go
ENV PATH=/usr/local/go/bin:/go/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    GOPATH=/go GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0 HOME=/root
RUN mkdir -p /go/bin /go/src && chmod -R 1777 /go
WORKDIR /go
CMD ["/bin/sh"]
EOF
  bb=$(digest "$images/busybox")
  build golang docker.io/library/golang:1.26 "$ctx" \
    --oci-layout "busybox=$images/busybox" \
    --opt "context:busybox=oci-layout://busybox@$bb"
}

# check builds Dockerfiles FROM the new images, as the example uses them.
check() {
  local ctx="$work/check" go bb
  go=$(digest "$images/golang")
  bb=$(digest "$images/busybox")
  mkdir -p "$ctx"
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/token"
  cat >"$ctx/Dockerfile" <<'EOF'
FROM golang:1.26 AS go
RUN go version && go env GOROOT GOPATH GOTOOLCHAIN
RUN --mount=type=secret,id=token test -s /run/secrets/token && cat /run/secrets/token >/dev/null
RUN mkdir -p /src/hello && cd /src/hello && printf 'module hello\ngo 1.22\n' >go.mod && \
    printf 'package main\nimport "fmt"\nfunc main() { fmt.Println("hello from golang") }\n' >main.go && \
    go build -trimpath -o /hello . && /hello
FROM alpine:3.20
COPY --from=go /hello /usr/local/bin/hello
RUN id daemon && test "$(stat -c %a /tmp)" = 1777 && test -L /bin/sh
USER daemon
RUN hello && id -u | grep -qx 1
EOF
  log "checking the images: go build inside golang:1.26, a secret mount, USER daemon on busybox"
  buildctl build --progress plain \
    --frontend dockerfile.v0 \
    --local context="$ctx" --local dockerfile="$ctx" \
    --secret "id=token,src=$work/token" \
    --oci-layout "golang=$images/golang" --oci-layout "busybox=$images/busybox" \
    --opt "context:golang:1.26=oci-layout://golang@$go" \
    --opt "context:alpine:3.20=oci-layout://busybox@$bb" \
    2>"$work/check.log" || {
    tail -n 40 "$work/check.log" >&2
    die "the check build against the new images failed (log above)"
  }
  grep -q 'go version go' "$work/check.log" || die "the check build did not print go version"
  grep -q 'hello from golang' "$work/check.log" || die "the program built in golang:1.26 did not run"
  grep -E 'go version go|hello from golang|uid=1\(daemon\)' "$work/check.log" | sed 's/^/    /' >&2
}

built=false
if $force || ! valid busybox; then
  daemon
  make_busybox
  built=true
fi
if $force || $built || ! valid golang; then
  daemon
  make_golang
  built=true
fi
if $built || $verify; then
  daemon
  check
fi
if $force || ! valid_index busybox-multi; then
  daemon
  make_busybox_multi
fi

for name in busybox golang busybox-multi; do
  printf '%-13s %s  %s  (%s)\n' "$name" "$(digest "$images/$name")" "$images/$name" "$(du -sh "$images/$name" | cut -f1)"
done
