#!/usr/bin/env bash
# idcapture's one entry point for set-up, the demo and the tests.
#
#   ./run.sh demo [ARGS]   set up, then run the full capture demo on the simulators
#                          (with the card-holder fingerprint check on the ID_Fpr simulator)
#   ./run.sh test [ARGS]   set up, then lint, type-check and run the whole test suite
#                          (with coverage per package; COVERAGE=0 runs without it)
#   ./run.sh setup         set up only (system packages, .venv, compiled test libraries)
#
# Set-up is idempotent and quick when nothing changed. It needs Debian (apt) for the
# system packages; as non-root it uses sudo when available.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

# System packages: compilers for the C simulators of the vendor ABIs.
APT_PACKAGES=(gcc make libc6-dev python3-dev  # python3-dev: the FP_ simulator embeds Python (cffi)
    pcscd vsmartcard-vpcd libpcsclite-dev swig  # PC/SC test stack; pyscard builds from source
    chromium fonts-noto-cjk  # browser tests of the web frontend (Playwright drives Debian's chromium)
    libreoffice-calc-nogui)  # the export workbook must open in LibreOffice too (~265 MB)

log() { printf '[run.sh] %s\n' "$*" >&2; }

apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null; then
        log "missing system packages (${missing[*]}) and no apt-get: install them by hand"
        return 1
    fi
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    log "installing system packages: ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_venv() {
    if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
        log "Python >= 3.10 is required ($PY is $("$PY" --version 2>&1))"; exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating virtual environment in .venv"
        "$PY" -m venv "$VENV" 2>/dev/null || { apt_install python3-venv && "$PY" -m venv "$VENV"; }
    fi
    local stamp; stamp=$(cat pyproject.toml | sha256sum | cut -c1-16)
    if [ "$(cat "$VENV/.idcapture-stamp" 2>/dev/null)" != "$stamp" ]; then
        log "installing idcapture and its dependencies into .venv"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[all,dev]"
        echo "$stamp" > "$VENV/.idcapture-stamp"
    fi
}

build_native() {
    if [ -f native/Makefile ]; then
        make -s -C native BUILD="$ROOT/build/native" PYTHON="$VENV/bin/python"
    fi
}

setup() {
    apt_install "${APT_PACKAGES[@]}"
    setup_venv
    build_native
    "$VENV/bin/python" -m idcapture.i18n >/dev/null  # the message catalogues' .mo files
}

run_tests() {
    # Every stage runs; the command fails if any of them failed.
    local failed=()
    local lint=()
    for d in src tests benchmarks examples; do [ -d "$d" ] && lint+=("$d"); done
    log "ruff"
    "$VENV/bin/python" -m ruff check "${lint[@]}" || failed+=(ruff)
    log "mypy"
    "$VENV/bin/python" -m mypy || failed+=(mypy)
    log "pytest"
    local rc=0
    if [ "${COVERAGE:-1}" = 1 ]; then
        # line and branch coverage of src/idcapture, subprocesses included (pyproject.toml)
        rm -rf build/coverage && mkdir -p build/coverage
        "$VENV/bin/python" -m coverage run -m pytest "$@" || rc=$?
    else
        "$VENV/bin/python" -m pytest "$@" || rc=$?
    fi
    if [ $rc -eq 5 ]; then log "pytest collected no tests"; failed+=(pytest); fi
    [ $rc -ne 0 ] && [ $rc -ne 5 ] && failed+=(pytest)
    if [ "${COVERAGE:-1}" = 1 ] && [ $rc -ne 5 ]; then
        log "coverage"
        "$VENV/bin/python" -m coverage combine -q || true
        local floor=(); [ $# -gt 0 ] && floor=(--no-floor)  # the floor is for the whole suite
        "$VENV/bin/python" tests/coverage_by_package.py "${floor[@]}" || failed+=(coverage)
    fi
    if [ ${#failed[@]} -gt 0 ]; then log "FAILED: ${failed[*]}"; return 1; fi
    log "all checks passed"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
    setup) setup ;;
    demo)
        setup
        # the stations' card-holder check runs on the compiled simulator of the ID_Fpr
        # algorithm library unless the caller names another (or --finger-algorithm none)
        alg=()
        case " $* " in *" --finger-algorithm"*) ;; *)
            [ -f build/native/libID_Fpr.so ] && alg=(--finger-algorithm "idfpr:?lib=$ROOT/build/native/libID_Fpr.so") ;;
        esac
        exec "$VENV/bin/idcapture" demo "${alg[@]}" "$@" ;;
    test) setup; run_tests "$@" ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
esac
