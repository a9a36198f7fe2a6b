#!/usr/bin/env bash
# Build the MelNev image from the Dockerfile as it is, then check the image (issue #32).
#
#   scripts/check_image.sh              # build, report the size, run the checks
#   scripts/check_image.sh --no-build   # check an image built before
#
# Builder: Docker when a daemon answers, else buildah (Debian's package, installed here when
# missing and run as root; no daemon: STORAGE_DRIVER=vfs, BUILDAH_ISOLATION=chroot).
# Base: python:3.11-slim when present or pullable, else a stand-in made once with debootstrap
# (Debian bookworm + python3 + a venv in /usr/local, as in the official image), cached in
# $MELNEV_IMAGE_CACHE and stored under the official name with the label melnev.stand-in=1.
# The checks (scripts/check_image.py) run the health check as the image runs it, `melnev bot`
# against the fake Bot API server started here on 127.0.0.1, and look inside the image.
#
# Settings (environment):
#   MELNEV_IMAGE        tag to build and check (default localhost/melnev:check)
#   MELNEV_ENGINE       docker | buildah (default: docker with a daemon, else buildah)
#   MELNEV_BASE         auto | stand-in (stand-in: never pull, build on the stand-in)
#   MELNEV_IMAGE_CACHE  where the stand-in's root filesystem is kept (~/.cache/melnev-image)
#   MELNEV_MIRROR       Debian mirror for debootstrap (default: the one apt uses)
#   PIP_INDEX_URL       passed to the build stage's pip when set
#   MELNEV_BUILD_NETWORK  docker build --network (e.g. host, for a daemon started with
#                       --bridge=none; default: the daemon's)
#   PYTHON              Python with the project's dependencies, for the fake Bot API
#                       (default: .venv-ci, then .venv, then python3)
# Any failure exits non-zero.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
IMAGE=${MELNEV_IMAGE:-localhost/melnev:check}
BASE_NAME=docker.io/library/python:3.11-slim
CACHE=${MELNEV_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/melnev-image}
BUILD=1
for arg in "$@"; do
    case $arg in
        --no-build) BUILD=0 ;;
        -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "check_image: unknown argument $arg" >&2; exit 2 ;;
    esac
done

log() { printf '[check_image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# --- builder ---------------------------------------------------------------------------
ENGINE=${MELNEV_ENGINE:-}
if [[ -z $ENGINE ]]; then
    if command -v docker > /dev/null && docker info > /dev/null 2>&1; then
        ENGINE=docker
    else
        ENGINE=buildah
    fi
fi
case $ENGINE in docker | buildah) ;; *) die "MELNEV_ENGINE must be docker or buildah" ;; esac

apt_install() {
    [[ $(id -u) == 0 ]] || die "$* missing; install it (apt-get install $*) or run as root"
    log "installing $* (Debian packages)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" > /dev/null
}

if [[ $ENGINE == buildah ]]; then
    command -v buildah > /dev/null || apt_install buildah
    # vfs and chroot work anywhere as root, in a container too; buildah 1.28 reads the
    # driver from its flag, not from STORAGE_DRIVER.
    export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs} BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
fi
buildah() { command buildah --storage-driver "$STORAGE_DRIVER" "$@"; }
log "builder: $ENGINE $("$ENGINE" --version | head -n 1)"

# --- base image ------------------------------------------------------------------------
base_present() {
    if [[ $ENGINE == docker ]]; then
        docker image inspect "$BASE_NAME" > /dev/null 2>&1
    else
        buildah inspect --type image "$BASE_NAME" > /dev/null 2>&1
    fi
}

base_is_stand_in() {
    local label
    if [[ $ENGINE == docker ]]; then
        label=$(docker image inspect --format '{{index .Config.Labels "melnev.stand-in"}}' \
            "$BASE_NAME" 2> /dev/null || true)
    else
        label=$(buildah inspect --type image \
            --format '{{index .Docker.Config.Labels "melnev.stand-in"}}' "$BASE_NAME" \
            2> /dev/null || true)
    fi
    [[ $label == 1 ]]
}

debian_mirror() {
    if [[ -n ${MELNEV_MIRROR:-} ]]; then
        echo "$MELNEV_MIRROR"
        return
    fi
    local found
    found=$(grep -hoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list.d/*.sources \
        /etc/apt/sources.list 2> /dev/null | grep -v security | awk '{print $2}' | head -n 1 \
        || true)
    echo "${found:-http://deb.debian.org/debian}"
}

# The stand-in: Debian bookworm (as python:3.11-slim) with Debian's python3 (3.11) and a venv
# in /usr/local, so that python and pip sit in /usr/local/bin as in the official image.
make_stand_in() {
    local tarball=$CACHE/python-3.11-slim-stand-in.tar
    if [[ ! -s $tarball ]]; then
        command -v debootstrap > /dev/null || apt_install debootstrap
        [[ $(id -u) == 0 ]] || die "debootstrap needs root"
        mkdir -p "$CACHE"
        local rootfs mirror
        rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
        mirror=$(debian_mirror)
        log "making the stand-in base with debootstrap from $mirror (about 1 min)"
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            bookworm "$rootfs" "$mirror" > "$CACHE/debootstrap.log" 2>&1 \
            || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap"; }
        chroot "$rootfs" python3 -m venv /usr/local
        # The stand-in trusts what this machine trusts (a TLS-intercepting proxy's CA too),
        # so pip in the build stage reaches PyPI as pip here does; never in the final image's
        # settings (PIP_CERT is a build-stage argument).
        cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
        chroot "$rootfs" apt-get clean
        rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/tmp/*
        # mktemp made it 0700: as the image's / that would lock every non-root user out.
        chmod 755 "$rootfs"
        tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
        mv "$tarball.part" "$tarball"
        rm -rf "$rootfs"
    fi
    log "importing the stand-in base $tarball as $BASE_NAME"
    if [[ $ENGINE == docker ]]; then
        docker import --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV LANG=C.UTF-8' --change 'LABEL melnev.stand-in=1' \
            --change 'CMD ["python3"]' "$tarball" "$BASE_NAME" > /dev/null
    else
        local ctr
        ctr=$(buildah from scratch)
        buildah add --quiet "$ctr" "$tarball" / > /dev/null
        buildah config --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
            --env LANG=C.UTF-8 --label melnev.stand-in=1 --cmd python3 "$ctr"
        buildah commit --quiet --rm --format docker "$ctr" "$BASE_NAME" > /dev/null
    fi
}

ensure_base() {
    if base_present; then
        return
    fi
    if [[ ${MELNEV_BASE:-auto} != stand-in ]]; then
        log "pulling $BASE_NAME"
        if timeout 300 "$ENGINE" pull "$BASE_NAME" > /dev/null 2>&1; then
            return
        fi
        log "cannot pull $BASE_NAME (no registry?): building on the stand-in"
    fi
    make_stand_in
}

image_size() {
    if [[ $ENGINE == docker ]]; then
        docker image inspect --format '{{.Size}}' "$1" \
            | python3 -c 'import sys; print(f"{int(sys.stdin.read()) / 1e6:.0f} MB")'
    else
        buildah images --format '{{.Size}}' "$1"
    fi
}

# --- build -----------------------------------------------------------------------------
if [[ $BUILD == 1 ]]; then
    ensure_base
    if base_is_stand_in; then BASE_KIND=stand-in; else BASE_KIND=official; fi
    log "base: $BASE_NAME ($BASE_KIND, $(image_size "$BASE_NAME"))"
    build_args=()
    [[ -n ${PIP_INDEX_URL:-} ]] && build_args+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
    log "building $IMAGE from the Dockerfile"
    started=$(date +%s.%N)
    if [[ $ENGINE == docker ]]; then
        # Docker's builder cannot mount the host's CA bundle; the stand-in carries a copy.
        [[ $BASE_KIND == stand-in ]] \
            && build_args+=(--build-arg "PIP_CERT=/etc/ssl/certs/ca-certificates.crt")
        [[ -n ${MELNEV_BUILD_NETWORK:-} ]] && build_args+=(--network "$MELNEV_BUILD_NETWORK")
        docker build "${build_args[@]}" -t "$IMAGE" .
    else
        # The host's CA bundle, for a TLS-intercepting proxy between pip and PyPI: mounted
        # into the build only, never copied into the image.
        ca=/etc/ssl/certs/ca-certificates.crt
        [[ -s $ca ]] && build_args+=(-v "$ca:$ca:ro" --build-arg "PIP_CERT=$ca")
        previous=$(buildah images --quiet --no-trunc "$IMAGE" 2> /dev/null || true)
        buildah bud --pull-never --format docker --layers=false "${build_args[@]}" \
            -t "$IMAGE" .
        # The image this run replaced, now untagged (a full copy of its files with vfs).
        if [[ -n $previous && $previous != $(buildah images --quiet --no-trunc "$IMAGE") ]]; then
            buildah rmi "$previous" > /dev/null 2>&1 || true
        fi
    fi
    build_s=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.0f}')" \
        "$started")
    log "built $IMAGE in ${build_s} s: $(image_size "$IMAGE"), of which the base $(image_size "$BASE_NAME")"
fi

# --- checks ----------------------------------------------------------------------------
PYTHON=${PYTHON:-}
if [[ -z $PYTHON ]]; then
    for candidate in .venv-ci/bin/python .venv/bin/python python3; do
        if command -v "$candidate" > /dev/null; then PYTHON=$candidate; break; fi
    done
fi
log "checks with $PYTHON"
PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" scripts/check_image.py \
    --engine "$ENGINE" --image "$IMAGE"
log "image checks passed"
