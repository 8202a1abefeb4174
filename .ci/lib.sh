# .ci/lib.sh -- helpers shared by .ci/setup and .ci/test (sourced, not run).

# Debian packages needed to build and test mini.  python3 is the oracle the
# script tests compare against; libcriterion-dev is for the unit tests.
MINI_PACKAGES="build-essential cmake flex bison pkg-config libgc-dev libgmp-dev
libcriterion-dev libedit-dev libssl-dev python3"

JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

log() { printf '\n==> %s\n' "$*"; }

# Install whichever of $MINI_PACKAGES are missing (nothing to do, and no
# network, when all are present).  Uses sudo only when not root.
ensure_packages() {
    local missing=() p
    for p in $MINI_PACKAGES; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "all required Debian packages are installed"
        return 0
    fi
    log "installing missing packages: ${missing[*]}"
    local SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            SUDO="sudo"
        else
            echo "error: not root and no sudo; install these packages first: ${missing[*]}" >&2
            return 1
        fi
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# configure_and_build DIR [cmake args...]: configure (if needed) and build all
# targets (mini, unit_tests) in DIR.
configure_and_build() {
    local dir=$1; shift
    log "configuring $dir ($*)"
    cmake -S . -B "$dir" "$@"
    log "building $dir with $JOBS jobs"
    cmake --build "$dir" -j "$JOBS"
}
