# Sourced by the scripts next to it (start.sh, stop.sh, ...); not run itself.
#
# One copy of these scripts serves every module: deploy/install.sh puts them
# in PREFIX/<module>/shell/, and they find everything else from there:
#   BASE     PREFIX/<module>            (HF_BASE overrides)
#   MODULE   the name of BASE           (HF_MODULE overrides)
#   BIN      BASE/bin/MODULE
#   CONF     BASE/conf/MODULE.json      (HF_CONF overrides)
#   PIDFILE  BASE/log/MODULE.pid        present = the module should be running
#   OUT      BASE/log/MODULE.out        the process's stdout/stderr (start-up
#                                       errors, sanitizer reports); its own log
#                                       is the config's log.path
# The module runs with BASE as its working directory, so the relative paths
# of the example configs (log/..., spool/...) land in BASE/log and BASE/spool.
#
# Environment knobs:
#   HF_HTTP_TIMEOUT   seconds for one /status request [5]
#   HF_START_WAIT     seconds start.sh waits for /status to answer [10]
#   HF_STOP_TIMEOUT   seconds stop.sh waits after SIGTERM before SIGKILL
#                     [30 + the config's stratum.shutdown_grace]

HF_SHELL=$(cd "$(dirname "$0")" && pwd)
BASE=${HF_BASE:-$(dirname "$HF_SHELL")}
MODULE=${HF_MODULE:-$(basename "$BASE")}
BIN="$BASE/bin/$MODULE"
CONF=${HF_CONF:-"$BASE/conf/$MODULE.json"}
PIDFILE="$BASE/log/$MODULE.pid"
OUT="$BASE/log/$MODULE.out"
HF_HTTP_TIMEOUT=${HF_HTTP_TIMEOUT:-5}

say() { echo "$MODULE: $*"; }
die() { echo "$MODULE: $*" >&2; exit 1; }

# Refuses to go on unless BASE looks like an installed module.
need_layout() {
    [ -x "$BIN" ] || die "no executable $BIN (install with deploy/install.sh PREFIX $MODULE, or set HF_BASE/HF_MODULE)"
    [ -f "$CONF" ] || die "no config $CONF"
}

# ---- the config -------------------------------------------------------------
# conf_value KEY.SUBKEY: the string or number at that path of CONF, or nothing
# (missing, or not a scalar). python3 when present, else jq.
conf_value() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
if isinstance(v, bool):
    v = "true" if v else "false"
if isinstance(v, (str, int, float)):
    print(v)' "$CONF" "$1"
    elif command -v jq >/dev/null 2>&1; then
        jq -r --arg p "$1" '(try getpath($p | split(".")) catch null) as $v
            | if ($v | type) == "string" or ($v | type) == "number" then $v else empty end' "$CONF"
    else
        die "need python3 or jq to read $CONF"
    fi
}

# conf_check: CONF is valid JSON, else prints why and fails (the module
# checks the rest itself when it starts).
conf_check() {
    if command -v python3 >/dev/null 2>&1; then
        err=$(python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$CONF" 2>&1) ||
            { echo "$err" | tail -1; return 1; }
    elif command -v jq >/dev/null 2>&1; then
        jq empty "$CONF"
    fi
}

# status_urls: one base URL per line for the module's HTTP status server(s),
# nothing when the config has none. The key is "http" ("tcp@HOST:PORT":
# jobmaster, metarelay, metawriter) or "http.bind" (gateway, whose worker i
# listens on PORT + i, "workers" of them). A wildcard bind host is asked on
# loopback. "unix@/path" comes out as "unix:/path".
status_urls() {
    spec=$(conf_value http.bind)
    [ -n "$spec" ] || spec=$(conf_value http)
    [ -n "$spec" ] || return 0
    n=$(conf_value workers)
    case "$n" in '' | *[!0-9]*) n=1 ;; esac
    case "$spec" in
        unix@*) echo "unix:${spec#unix@}"; return 0 ;;
        tcp@*) spec=${spec#tcp@} ;;
        *@*) return 0 ;;
    esac
    host=${spec%:*} port=${spec##*:}
    case "$port" in '' | *[!0-9]*) return 0 ;; esac
    host=${host#[} host=${host%]}
    case "$host" in
        '' | 0.0.0.0 | '*') host=127.0.0.1 ;;
        ::) host=::1 ;;
    esac
    case "$host" in *:*) host="[$host]" ;; esac
    i=0
    while [ "$i" -lt "$n" ]; do
        echo "http://$host:$((port + i))"
        i=$((i + 1))
    done
}

# http_get URL PATH: the body on stdout; non-zero when there is no 2xx answer
# within HF_HTTP_TIMEOUT seconds.
http_get() {
    case "$1" in
        unix:*) sock=${1#unix:} url="http://localhost$2" ;;
        *) sock="" url="$1$2" ;;
    esac
    if command -v curl >/dev/null 2>&1; then
        if [ -n "$sock" ]; then
            curl -sSf --max-time "$HF_HTTP_TIMEOUT" --unix-socket "$sock" "$url"
        else
            curl -sSf --max-time "$HF_HTTP_TIMEOUT" "$url"
        fi
    elif [ -z "$sock" ] && command -v python3 >/dev/null 2>&1; then
        python3 -c 'import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])) as r:
    sys.stdout.buffer.write(r.read())' "$url" "$HF_HTTP_TIMEOUT"
    else
        echo "need curl to ask $1" >&2
        return 1
    fi
}

# ---- the process ------------------------------------------------------------
# read_pid: PID from PIDFILE (empty when there is none or it is garbage).
read_pid() {
    PID=""
    [ -f "$PIDFILE" ] || return 0
    PID=$(head -c 32 "$PIDFILE" 2>/dev/null | tr -cd '0-9')
}

# pid_is_ours PID: the process runs BIN (its argv[0] names the same file).
# A zombie has an empty command line and does not count.
pid_is_ours() {
    [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] || return 1
    argv0=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -1)
    [ -n "$argv0" ] || return 1
    [ "$argv0" = "$BIN" ] && return 0
    a=$(readlink -f "$argv0" 2>/dev/null) b=$(readlink -f "$BIN" 2>/dev/null)
    [ -n "$a" ] && [ "$a" = "$b" ]
}

# pid_alive PID: the process exists and is not a zombie (whatever it runs).
pid_alive() {
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$st" ] && [ "$st" != Z ]
}

# pid_pgrp PID: its process group id.
pid_pgrp() {
    sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f3
}

# running: PIDFILE names a live process of ours (sets PID).
running() {
    read_pid
    pid_is_ours "$PID"
}

# lock: serializes start/stop/restart/watchdog of this module when flock(1)
# exists (fd 9 on log/.shell.lock, opened read-only so that root and the
# module's user can share it; the module itself never inherits it).
# A script that calls another with the lock held exports HF_LOCKED=1.
# Fails when the lock stays taken for the given seconds [150].
lock() {
    [ -z "${HF_LOCKED:-}" ] || return 0
    command -v flock >/dev/null 2>&1 || return 0
    [ -e "$BASE/log/.shell.lock" ] || : >>"$BASE/log/.shell.lock"
    exec 9<"$BASE/log/.shell.lock" || return 1
    flock -w "${1:-150}" 9
}
LOCK_BUSY="another start/stop of this module holds log/.shell.lock"

# systemd_managed: a systemd unit headframe@MODULE is enabled or running here,
# so the scripts must not start a second copy next to it.
systemd_managed() {
    [ -z "${HF_IGNORE_SYSTEMD:-}" ] || return 1
    [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 || return 1
    systemctl is-enabled --quiet "headframe@$MODULE.service" 2>/dev/null ||
        systemctl is-active --quiet "headframe@$MODULE.service" 2>/dev/null
}
