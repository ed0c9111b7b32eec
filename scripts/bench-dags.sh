# shellcheck shell=bash
# The DAGs of scripts/bench.sh, each written twice: as a weld project
# (build.yml and its Dockerfiles) and as the equivalent docker-bake.hcl.
# Source it; do not run it. It needs $images (the folder of the OCI layouts
# scripts/images.sh makes) and $WELD_ROOT.
#
#   gen_dag NAME DIR   writes DIR/build.yml, the Dockerfiles and DIR/docker-bake.hcl
#
# How the two are made equivalent:
#   - A weld artifact (a file copied out of one step's image into a dependent's
#     context) is, in bake, a named context `root = "target:root"` and a
#     `COPY --from=root` in the dependent's Dockerfile (Dockerfile.*.bake).
#   - `FROM <step name>` is the same Dockerfile for both: bake maps the name to
#     the target with `contexts = { "chain-step1" = "target:step1" }`.
#   - Base images: weld gets --image REF=oci-layout://DIR (bench.sh passes it),
#     bake `contexts = { REF = "oci-layout://DIR@sha256:..." }`, from the same
#     layouts under $WELD_TOOLS/images.
#   - Outputs: a step weld publishes (it has a name and no publish: false) is
#     written by both as an OCI layout folder (tar=false), weld's to
#     $OUT/<step>/ (--output oci:$OUT), bake's to the same path (output =
#     type=oci,dest=$OUT/<target>,tar=false), with the step's name as the image
#     name and a min-mode provenance attestation, as weld's default. A step
#     that is not published is output = type=cacheonly in bake, and only built
#     as a context of what needs it (the group lists the published targets).
#   - Secrets: weld's build.yml secret (type: file) is bake's
#     secret = ["id=token,src=FILE"].
#   - Reproducible images: bench.sh sets REWRITE (",rewrite-timestamp=true",
#     appended to every OCI output) and SOURCE_DATE_EPOCH for bake, as weld
#     rewrites layer times by default.
#   - Build args: every target takes NONCE (the bake variable, from $NONCE),
#     as weld's --build NONCE=...
# The names of the DAGs, in the order bench.sh runs and prints them.
bench_dags=(secretapp fanout fanout32 wide16 chain10 big512 fanout64 fanout100)

# layout_ref NAME prints oci-layout://DIR@DIGEST for the layout $images/NAME.
layout_ref() {
  # shellcheck disable=SC2154 # images is set by bench.sh
  printf 'oci-layout://%s@%s' "$images/$1" "$(jq -r '.manifests[0].digest' "$images/$1/index.json")"
}

# hcl_head prints the variables every docker-bake.hcl starts with.
hcl_head() {
  cat <<'EOF'
# Written by scripts/bench-dags.sh: the bake twin of build.yml in this folder.
variable "OUT" {
  default = "out"
}
variable "NONCE" {
  default = "0"
}
variable "SECRET" {
  default = ""
}
variable "REWRITE" {
  default = ""
}
EOF
}

# hcl_group TARGET... prints the default group.
hcl_group() {
  local t list=
  for t in "$@"; do list+="${list:+, }\"$t\""; done
  printf 'group "default" {\n  targets = [%s]\n}\n' "$list"
}

# hcl_target NAME DOCKERFILE IMAGE CONTEXTS [ATTR...] prints one target.
# IMAGE is the published image's name, or "" for a cacheonly target.
# CONTEXTS is the inside of the contexts map; each ATTR a line of HCL.
hcl_target() {
  local name=$1 df=$2 image=$3 ctx=$4 a
  shift 4
  printf 'target "%s" {\n  dockerfile = "%s"\n' "$name" "$df"
  printf '  contexts = { %s }\n' "$ctx"
  for a in "$@"; do printf '  %s\n' "$a"; done
  if [ -n "$image" ]; then
    printf '  tags = ["%s"]\n' "$image"
    printf '  attest = ["type=provenance,mode=min"]\n'
    # shellcheck disable=SC2016 # ${OUT} is bake's variable
    printf '  output = ["type=oci,dest=${OUT}/%s,tar=false${REWRITE}"]\n' "$name"
  else
    printf '  output = ["type=cacheonly"]\n'
  fi
  printf '}\n'
}

# gen_dag NAME DIR writes the DAG NAME into DIR.
gen_dag() {
  mkdir -p "$2"
  case $1 in
    secretapp) gen_secretapp "$2" ;;
    fanout) gen_fanout "$2" 8 ;;
    fanout[0-9]*) gen_fanout "$2" "${1#fanout}" ;;
    wide16) gen_wide "$2" 16 ;;
    chain10) gen_chain "$2" 10 ;;
    big512) gen_big "$2" 512 ;;
    *) die "unknown DAG $1 (want one of: ${bench_dags[*]})" ;;
  esac
}

# gen_secretapp DIR: examples/secretapp (compile with a secret → scratch and
# busybox runtimes), its runtimes' bake Dockerfiles taking the binary from the
# compile target.
gen_secretapp() {
  local d=$1 go bb
  cp "$WELD_ROOT"/examples/secretapp/{build.yml,go.mod,main.go,Dockerfile.compile} "$d/"
  cp "$WELD_ROOT"/examples/secretapp/Dockerfile.{minimal,alpine}.production "$d/"
  sed 's|^ADD secretapp /$|COPY --from=compile /usr/bin/secretapp /|' \
    "$d/Dockerfile.minimal.production" >"$d/Dockerfile.minimal.bake"
  sed 's|^ADD secretapp /usr/local/bin/secretapp$|COPY --from=compile /usr/bin/secretapp /usr/local/bin/secretapp|' \
    "$d/Dockerfile.alpine.production" >"$d/Dockerfile.alpine.bake"
  if ! grep -q -- '--from=compile' "$d/Dockerfile.minimal.bake" || ! grep -q -- '--from=compile' "$d/Dockerfile.alpine.bake"; then
    die "examples/secretapp's runtime Dockerfiles changed; update gen_secretapp"
  fi
  go=$(layout_ref golang)
  bb=$(layout_ref busybox)
  {
    hcl_head
    hcl_group runtime_minimal runtime_alpine
    # shellcheck disable=SC2016 # ${SECRET} is bake's variable
    hcl_target compile Dockerfile.compile "" "\"golang:1.26\" = \"$go\"" \
      'secret = ["id=token,src=${SECRET}"]' 'args = { NONCE = NONCE }'
    hcl_target runtime_minimal Dockerfile.minimal.bake secretapp 'compile = "target:compile"' \
      'args = { NONCE = NONCE }'
    hcl_target runtime_alpine Dockerfile.alpine.bake secretapp-alpine \
      "\"alpine:3.20\" = \"$bb\", compile = \"target:compile\"" 'args = { NONCE = NONCE }'
  } >"$d/docker-bake.hcl"
}

# gen_fanout DIR N: root (RUN sleep 2, writes /artifact) → leaf1..leafN, each
# copying the artifact, then RUN sleep 1; the leaves are published. N = 8 is
# bench/fanout itself; other Ns get a build.yml of the same shape.
gen_fanout() {
  local d=$1 n=$2 i bb leaves=()
  cp "$WELD_ROOT"/bench/fanout/Dockerfile.{root,leaf} "$d/"
  sed 's|^COPY artifact /artifact$|COPY --from=root /artifact /artifact|' "$d/Dockerfile.leaf" >"$d/Dockerfile.leaf.bake"
  grep -q -- '--from=root' "$d/Dockerfile.leaf.bake" || die "bench/fanout/Dockerfile.leaf changed; update gen_fanout"
  if [ "$n" = 8 ]; then
    cp "$WELD_ROOT/bench/fanout/build.yml" "$d/"
  else
    {
      printf '# A 1→%s fan-out written by scripts/bench-dags.sh (the shape of bench/fanout).\n' "$n"
      printf 'build:\n  version: 2016-03-14\n  steps:\n'
      printf '    root:\n      name: fanout-root\n      dockerfile: Dockerfile.root\n      publish: false\n'
      printf '      artifacts:\n        - /artifact\n'
      for ((i = 1; i <= n; i++)); do
        printf '    leaf%d:\n      name: fanout-leaf%d\n      dockerfile: Dockerfile.leaf\n' "$i" "$i"
        printf '      args:\n        LEAF: "%d"\n      depends_on:\n        - root\n' "$i"
      done
    } >"$d/build.yml"
  fi
  bb=$(layout_ref busybox)
  for ((i = 1; i <= n; i++)); do leaves+=("leaf$i"); done
  {
    hcl_head
    hcl_group "${leaves[@]}"
    hcl_target root Dockerfile.root "" "busybox = \"$bb\"" 'args = { NONCE = NONCE }'
    for ((i = 1; i <= n; i++)); do
      hcl_target "leaf$i" Dockerfile.leaf.bake "fanout-leaf$i" "busybox = \"$bb\", root = \"target:root\"" \
        "args = { NONCE = NONCE, LEAF = \"$i\" }"
    done
  } >"$d/docker-bake.hcl"
}

# gen_wide DIR N: N independent published steps, each RUN sleep 1.
gen_wide() {
  local d=$1 n=$2 i bb steps=()
  cat >"$d/Dockerfile.step" <<'EOF'
# One of the independent steps: 1 s of work.
FROM busybox
ARG NONCE=0
ARG STEP=0
RUN sleep 1 && echo "step $STEP $NONCE" >/step
EOF
  {
    printf '# %s independent steps written by scripts/bench-dags.sh.\n' "$n"
    printf 'build:\n  version: 2016-03-14\n  steps:\n'
    for ((i = 1; i <= n; i++)); do
      printf '    step%d:\n      name: wide-step%d\n      dockerfile: Dockerfile.step\n' "$i" "$i"
      printf '      args:\n        STEP: "%d"\n' "$i"
    done
  } >"$d/build.yml"
  bb=$(layout_ref busybox)
  for ((i = 1; i <= n; i++)); do steps+=("step$i"); done
  {
    hcl_head
    hcl_group "${steps[@]}"
    for ((i = 1; i <= n; i++)); do
      hcl_target "step$i" Dockerfile.step "wide-step$i" "busybox = \"$bb\"" \
        "args = { NONCE = NONCE, STEP = \"$i\" }"
    done
  } >"$d/docker-bake.hcl"
}

# gen_chain DIR N: step1 (FROM busybox) ← step2 (FROM chain-step1) ← … ←
# stepN, each RUN sleep 0.3; only stepN is published.
gen_chain() {
  local d=$1 n=$2 i bb from ctx image
  bb=$(layout_ref busybox)
  {
    hcl_head
    hcl_group "step$n"
  } >"$d/docker-bake.hcl"
  {
    printf '# A chain of %s FROM <step> written by scripts/bench-dags.sh.\n' "$n"
    printf 'build:\n  version: 2016-03-14\n  steps:\n'
  } >"$d/build.yml"
  for ((i = 1; i <= n; i++)); do
    from=busybox ctx="busybox = \"$bb\""
    if [ "$i" -gt 1 ]; then
      from="chain-step$((i - 1))" ctx="\"$from\" = \"target:step$((i - 1))\""
    fi
    # shellcheck disable=SC2016 # $NONCE is the Dockerfile's
    printf '# Link %d of the chain: 0.3 s of work.\nFROM %s\nARG NONCE=0\nRUN sleep 0.3 && echo "%d $NONCE" >>/chain\n' \
      "$i" "$from" "$i" >"$d/Dockerfile.step$i"
    {
      printf '    step%d:\n      name: chain-step%d\n      dockerfile: Dockerfile.step%d\n' "$i" "$i" "$i"
      [ "$i" = "$n" ] || printf '      publish: false\n'
    } >>"$d/build.yml"
    image=
    [ "$i" != "$n" ] || image="chain-step$i"
    hcl_target "step$i" "Dockerfile.step$i" "$image" "$ctx" 'args = { NONCE = NONCE }' >>"$d/docker-bake.hcl"
  done
}

# gen_big DIR MIB: root writes MIB MiB of random bytes to /artifact; sink, FROM
# scratch, copies it and is published.
gen_big() {
  local d=$1 mib=$2 bb
  cat >"$d/Dockerfile.root" <<EOF
# ${mib} MiB of random bytes (they do not compress) as one artifact.
FROM busybox
ARG NONCE=0
RUN head -c $((mib * 1024 * 1024)) /dev/urandom >/artifact && echo "\$NONCE" >>/artifact
EOF
  cat >"$d/Dockerfile.sink" <<'EOF'
# The big artifact alone on scratch.
FROM scratch
COPY artifact /artifact
USER 65534:65534
EOF
  sed 's|^COPY artifact /artifact$|COPY --from=root /artifact /artifact|' "$d/Dockerfile.sink" >"$d/Dockerfile.sink.bake"
  cat >"$d/build.yml" <<EOF
# A ${mib} MiB artifact → scratch, written by scripts/bench-dags.sh.
build:
  version: 2016-03-14
  steps:
    root:
      name: big-root
      dockerfile: Dockerfile.root
      publish: false
      artifacts:
        - /artifact
    sink:
      name: big-sink
      dockerfile: Dockerfile.sink
      depends_on:
        - root
EOF
  bb=$(layout_ref busybox)
  {
    hcl_head
    hcl_group sink
    hcl_target root Dockerfile.root "" "busybox = \"$bb\"" 'args = { NONCE = NONCE }'
    hcl_target sink Dockerfile.sink.bake big-sink 'root = "target:root"' 'args = { NONCE = NONCE }'
  } >"$d/docker-bake.hcl"
}
