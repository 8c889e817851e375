#!/bin/sh
# install.sh: lays out Headframe modules for running on this host.
#
#   deploy/install.sh [--bin DIR] [--owner USER[:GROUP]] PREFIX MODULE...
#
# MODULE is jobmaster, gateway, metarelay, metawriter, mineragent, alertcenter, bitpeer or poolbench (a module
# with an example config in deploy/conf/), or "all". For each one, PREFIX/<module>/:
#   bin/<module>        the binary from --bin DIR, else $HF_BIN, else build/bin
#                       (relative to this checkout); replaced when it changed,
#                       by rename, so a running process keeps its old file
#   conf/<module>.json  deploy/conf/<module>.json, copied once and never
#                       overwritten: edit it there. Mode 0600 (owned by
#                       --owner): gateway and mineragent configs hold secrets
#   log/                the module's log (log.path "log/..."), its pid file,
#                       its stdout/stderr (<module>.out), watchdog.log
#   spool/              accounting spools (spool_dir "spool/...")
#   shell/              start.sh stop.sh restart.sh reload.sh check_alive.sh
#                       status.sh watchdog.sh common.sh: the same generic copy
#                       for every module (they take the module from the path)
# The module runs with PREFIX/<module> as its working directory, so the
# relative paths of the example configs resolve there.
# PREFIX/systemd/ gets headframe@.service and the gateway drop-in from
# deploy/systemd/, with /opt/headframe replaced by PREFIX (and the user by
# --owner): copy them to /etc/systemd/system/ to use systemd instead of
# the shell scripts.
#   --owner USER[:GROUP]  chown log/ and spool/ (the only places a module
#                         writes) to the user the modules run as
# Idempotent: a second run changes nothing and says so.
set -eu

src=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$src")

usage() {
    echo "usage: $0 [--bin DIR] [--owner USER[:GROUP]] PREFIX MODULE...|all" >&2
    exit 2
}
say() { echo "install: $*"; }
die() { echo "install: $*" >&2; exit 1; }

bindir=${HF_BIN:-build/bin}
owner=""
while [ $# -gt 0 ]; do
    case "$1" in
        --bin) [ $# -ge 2 ] || usage; bindir=$2; shift 2 ;;
        --bin=*) bindir=${1#--bin=}; shift ;;
        --owner) [ $# -ge 2 ] || usage; owner=$2; shift 2 ;;
        --owner=*) owner=${1#--owner=}; shift ;;
        -h | --help) usage ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -ge 2 ] || usage
prefix=$1
shift
case "$bindir" in /*) ;; *) bindir="$root/$bindir" ;; esac
case "$prefix" in
    *[[:space:]]* | *'|'* | *'%'* | *'\'*) die "PREFIX must not contain blanks, |, % or \\: $prefix" ;;
esac

known=$(cd "$src/conf" && ls -- *.json | sed 's/\.json$//')
modules=""
for m in "$@"; do
    if [ "$m" = all ]; then
        modules="$modules $known"
        continue
    fi
    echo "$known" | grep -qx -- "$m" || die "unknown module '$m' (known: $(echo $known))"
    modules="$modules $m"
done
for m in $modules; do
    [ -x "$bindir/$m" ] || die "no binary $bindir/$m: build first (make), or give --bin DIR / HF_BIN"
done
user="" group=""
if [ -n "$owner" ]; then
    user=${owner%%:*}
    id -u "$user" >/dev/null 2>&1 || die "no user $user (useradd --system first)"
    case "$owner" in
        *:?*) group=${owner#*:} ;;
        *) group=$(id -gn "$user") ;;
    esac
    owner="$user:$group"
fi

mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

# put SRC DST MODE: copies when DST is missing or differs (by rename, so a
# running binary or script is never written into); prints what happened.
put() {
    if [ -f "$2" ] && cmp -s "$1" "$2"; then
        echo unchanged
        return 0
    fi
    state=installed
    [ -e "$2" ] && state=updated
    cp "$1" "$2.new.$$"
    chmod "$3" "$2.new.$$"
    mv -f "$2.new.$$" "$2"
    echo "$state"
}

for m in $modules; do
    base="$prefix/$m"
    for d in bin conf log shell spool; do
        if [ ! -d "$base/$d" ]; then
            mkdir -p "$base/$d"
            say "$m: created $base/$d/"
        fi
    done

    st=$(put "$bindir/$m" "$base/bin/$m" 755)
    say "$m: bin/$m $st (from $bindir/$m)"

    if [ -e "$base/conf/$m.json" ]; then
        if cmp -s "$src/conf/$m.json" "$base/conf/$m.json"; then
            say "$m: conf/$m.json kept (still the example: edit it)"
        else
            say "$m: conf/$m.json kept (never overwritten; the example is $src/conf/$m.json)"
        fi
    else
        cp "$src/conf/$m.json" "$base/conf/$m.json"
        chmod 600 "$base/conf/$m.json"
        [ -z "$owner" ] || chown "$owner" "$base/conf/$m.json"
        say "$m: conf/$m.json installed from the example: edit it before starting"
    fi

    changed=""
    n=0
    for f in "$src"/shell/*.sh; do
        name=$(basename "$f")
        mode=755
        [ "$name" = common.sh ] && mode=644
        st=$(put "$f" "$base/shell/$name" "$mode")
        n=$((n + 1))
        [ "$st" = unchanged ] || changed="$changed $name($st)"
    done
    if [ -n "$changed" ]; then
        say "$m: shell/:$changed"
    else
        say "$m: shell/ unchanged ($n scripts)"
    fi

    if [ -n "$owner" ]; then
        chown -R "$owner" "$base/log" "$base/spool"
        say "$m: log/ and spool/ owned by $owner"
    fi
done

# systemd units for this PREFIX (and user).
mkdir -p "$prefix/systemd"
render() { # SRC DST
    if [ -n "$user" ]; then
        sed -e "s|/opt/headframe|$prefix|g" -e "s|^User=.*|User=$user|" \
            -e "s|^Group=.*|Group=$group|" "$1" >"$2.tmp.$$"
    else
        sed -e "s|/opt/headframe|$prefix|g" "$1" >"$2.tmp.$$"
    fi
    st=$(put "$2.tmp.$$" "$2" 644)
    rm -f "$2.tmp.$$"
    echo "$st"
}
st1=$(render "$src/systemd/headframe@.service" "$prefix/systemd/headframe@.service")
mkdir -p "$prefix/systemd/headframe@gateway.service.d"
st2=$(render "$src/systemd/headframe@gateway.service.d/gateway.conf" \
    "$prefix/systemd/headframe@gateway.service.d/gateway.conf")
if [ "$st1" = unchanged ] && [ "$st2" = unchanged ]; then
    say "systemd units in $prefix/systemd/ unchanged"
else
    say "systemd units for $prefix written to $prefix/systemd/ (headframe@.service $st1, headframe@gateway.service.d/gateway.conf $st2)"
fi
say "done: $prefix/<module>/shell/start.sh starts a module (docs/operations.md)"
