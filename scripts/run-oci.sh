#!/usr/bin/env bash
# Runs an image from an OCI layout with runc, without Docker or a registry:
#
#   scripts/run-oci.sh DIR [SECONDS] [-- ARGS...]
#
# Unpacks the image's layers (in order, applying whiteouts) into a bundle
# rootfs, writes a runc config from the image config (Entrypoint/Cmd or ARGS,
# Env, WorkingDir, User), with hostname "weld-run", no terminal and no network
# but loopback, runs it and kills it after SECONDS (default 3). The container's
# stdout goes to stdout. Exits 0 when the container was still running at the
# deadline, else with the container's exit code. Root only. For trusted images:
# layers are unpacked with tar.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
  echo "usage: $0 DIR [SECONDS] [-- ARGS...]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
layout=$1
shift
seconds=3
if [ $# -gt 0 ] && [ "$1" != -- ]; then
  seconds=$1
  shift
fi
[[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ ]] || usage
args=()
if [ $# -gt 0 ]; then
  [ "$1" = -- ] || usage
  shift
  args=("$@")
fi

need runc "apt-get install runc"
need jq "apt-get install jq"
[ "$(id -u)" = 0 ] || die "run as root (runc)"
[ -f "$layout/index.json" ] || die "$layout is not an OCI layout (no index.json)"

blob() { printf '%s/blobs/%s' "$layout" "${1/://}"; }

# Find the image manifest: index.json may point at it or at an index of
# platforms (take linux/amd64 or the host's arch, else the first).
arch=$(uname -m)
case $arch in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
# shellcheck disable=SC2016 # $arch is a jq variable
pick='(.manifests | map(select(.platform == null or (.platform.os == "linux" and .platform.architecture == $arch))) | .[0].digest) // .manifests[0].digest'
ref=$(jq -r --arg arch "$arch" "$pick" "$layout/index.json")
for _ in 1 2 3; do
  mt=$(jq -r '.mediaType // ""' "$(blob "$ref")")
  case $mt in
    *image.index*|*manifest.list*) ref=$(jq -r --arg arch "$arch" "$pick" "$(blob "$ref")") ;;
    *) break ;;
  esac
done
manifest=$(blob "$ref")
[ -f "$manifest" ] || die "manifest $ref missing from $layout"
config=$(blob "$(jq -r .config.digest "$manifest")")
[ -f "$config" ] || die "image config missing from $layout"

work=$(mktemp -d "${TMPDIR:-/tmp}/weld-run.XXXXXX")
id="weld-run-$$"
state="$work/runc"
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  runc --root "$state" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
rootfs="$work/bundle/rootfs"
mkdir -p "$rootfs" "$state"

# Unpack the layers in order. Whiteouts first: .wh.NAME deletes NAME from the
# layers below; .wh..wh..opq empties its folder. Then the layer itself, minus
# the whiteout markers.
while IFS=$'\t' read -r digest mediatype; do
  file=$(blob "$digest")
  [ -f "$file" ] || die "layer $digest missing from $layout"
  case $mediatype in
    *gzip*) z=(-z) ;;
    *zstd*) z=(--zstd) ;;
    *) z=() ;;
  esac
  while IFS= read -r entry; do
    entry=${entry#./}
    base=${entry##*/}
    parent=.
    [[ "$entry" != */* ]] || parent=${entry%/*}
    [[ "$base" == .wh.* ]] || continue
    if [ "$base" = .wh..wh..opq ]; then
      find "$rootfs/$parent" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true
    else
      rm -rf "${rootfs:?}/$parent/${base#.wh.}"
    fi
  done < <(tar "${z[@]}" -tf "$file")
  tar "${z[@]}" -xf "$file" -C "$rootfs" --numeric-owner --same-permissions \
    --exclude='.wh.*' --exclude='*/.wh.*'
done < <(jq -r '.layers[] | [.digest, .mediaType] | @tsv' "$manifest")

# The process: Entrypoint + Cmd, or Entrypoint + ARGS.
mapfile -t entrypoint < <(jq -r '.config.Entrypoint // [] | .[]' "$config")
mapfile -t cmd < <(jq -r '.config.Cmd // [] | .[]' "$config")
[ ${#args[@]} -eq 0 ] || cmd=("${args[@]}")
process=("${entrypoint[@]}" "${cmd[@]}")
[ ${#process[@]} -gt 0 ] || die "the image has no Entrypoint or Cmd; pass -- ARGS"

cwd=$(jq -r '.config.WorkingDir // "" | if . == "" then "/" else . end' "$config")
env_json=$(jq -c '.config.Env // [] | if any(startswith("PATH=")) then . else . + ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] end | . + ["HOSTNAME=weld-run"]' "$config")

# User: "", "name", "uid", "name:group", "uid:gid", resolved in the image's /etc/passwd and /etc/group.
user=$(jq -r '.config.User // ""' "$config")
uid=0
gid=0
if [ -n "$user" ]; then
  u=${user%%:*}
  g=
  [[ "$user" != *:* ]] || g=${user#*:}
  if [[ "$u" =~ ^[0-9]+$ ]]; then
    uid=$u
    gid=$(awk -F: -v u="$u" '$3 == u {print $4; exit}' "$rootfs/etc/passwd" 2>/dev/null || true)
  else
    line=$(awk -F: -v u="$u" '$1 == u {print $3 ":" $4; exit}' "$rootfs/etc/passwd" 2>/dev/null || true)
    [ -n "$line" ] || die "user $u not found in the image's /etc/passwd"
    uid=${line%%:*}
    gid=${line#*:}
  fi
  if [ -n "$g" ]; then
    if [[ "$g" =~ ^[0-9]+$ ]]; then
      gid=$g
    else
      gid=$(awk -F: -v g="$g" '$1 == g {print $3; exit}' "$rootfs/etc/group" 2>/dev/null || true)
      [ -n "$gid" ] || die "group $g not found in the image's /etc/group"
    fi
  fi
  gid=${gid:-0}
fi

(cd "$work/bundle" && runc spec)
jq --argjson args "$(printf '%s\n' "${process[@]}" | jq -R . | jq -s .)" \
  --argjson env "$env_json" --arg cwd "$cwd" --argjson uid "$uid" --argjson gid "$gid" '
  .process.terminal = false
  | .process.args = $args
  | .process.env = $env
  | .process.cwd = $cwd
  | .process.user = {uid: $uid, gid: $gid}
  | .hostname = "weld-run"
  | .root.readonly = false
' "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

# Run it; stop it at the deadline.
runc --root "$state" run --bundle "$work/bundle" "$id" </dev/null &
pid=$!
deadline=$(awk -v s="$seconds" 'BEGIN {print int(s * 10)}')
for ((i = 0; i < deadline; i++)); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
  runc --root "$state" kill "$id" KILL >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null || true
  exit 0
fi
rc=0
wait "$pid" || rc=$?
exit "$rc"
