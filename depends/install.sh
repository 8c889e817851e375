#!/bin/sh
# Brings a fresh Debian 12 machine to a working Headframe build: installs the
# missing Debian packages from debian-packages.txt and the pinned regtest node
# (bcoin, see package.json) into depends/node_modules. Idempotent: a second run
# installs nothing and says so.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
log() { echo "depends: $*"; }

missing=""
for pkg in $(grep -v '^#' "$here/debian-packages.txt"); do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done
# node and npm may come from outside Debian's archive (a preinstalled nodejs);
# only ask apt for them when the commands are missing.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    missing=$(echo "$missing" | tr ' ' '\n' | grep -vxE 'nodejs|npm' | tr '\n' ' ')
fi
missing=$(echo "$missing" | xargs)

if [ -n "$missing" ]; then
    log "installing Debian packages: $missing"
    if [ "$(id -u)" -ne 0 ]; then
        echo "depends: need root to install: $missing" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
else
    log "Debian packages: all present"
fi

bcoin_ver=""
if [ -f "$here/node_modules/bcoin/package.json" ]; then
    bcoin_ver=$(node -e "console.log(require('$here/node_modules/bcoin/package.json').version)")
fi
if [ "$bcoin_ver" = "1.0.2" ] && [ -x "$here/node_modules/.bin/bcoin" ]; then
    log "bcoin 1.0.2: present"
else
    log "installing bcoin 1.0.2 from the npm registry into depends/node_modules"
    (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
    "$here/node_modules/.bin/bcoin" --version >/dev/null 2>&1 || true
fi
log "ready"
