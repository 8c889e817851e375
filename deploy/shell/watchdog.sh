#!/bin/sh
# watchdog.sh: restarts this module when it died.
#
#   PREFIX/<module>/shell/watchdog.sh                 one check (cron:
#       * * * * * PREFIX/<module>/shell/watchdog.sh)
#   PREFIX/<module>/shell/watchdog.sh --loop SECONDS  a check every SECONDS
#
# A module counts as wanted while its pid file exists: start.sh writes it,
# stop.sh removes it. So a module stopped with stop.sh stays stopped, and
# one whose process is gone (crash, SIGKILL, OOM killer, reboot) is started
# again with start.sh. What it does goes to log/watchdog.log and stdout
# (cron mails it); a check that finds the module fine prints nothing.
# Only one watchdog per module runs at a time (flock); it leaves a module
# that a systemd unit headframe@<module> manages to systemd.
set -u
. "$(dirname "$0")/common.sh"

WLOG="$BASE/log/watchdog.log"
wlog() {
    line="$(date '+%Y-%m-%d %H:%M:%S') $MODULE: $*"
    echo "$line"
    echo "$line" >>"$WLOG"
}

loop=""
case "${1:-}" in
    --loop)
        loop=${2:-}
        case "$loop" in '' | *[!0-9]* | 0) echo "usage: $0 [--loop SECONDS]" >&2; exit 2 ;; esac ;;
    '') ;;
    *) echo "usage: $0 [--loop SECONDS]" >&2; exit 2 ;;
esac

need_layout
if command -v flock >/dev/null 2>&1; then
    [ -e "$BASE/log/.watchdog.lock" ] || : >>"$BASE/log/.watchdog.lock"
    exec 8<"$BASE/log/.watchdog.lock" || die "cannot open $BASE/log/.watchdog.lock"
    if ! flock -n 8; then
        [ -z "$loop" ] && exit 0   # a --loop watchdog (or a slow run) has it
        die "another watchdog of $MODULE is running"
    fi
fi

check() {
    [ -f "$PIDFILE" ] || return 0   # stopped on purpose, or never started
    if systemd_managed; then
        return 0
    fi
    if ! lock; then
        wlog "not checked: $LOCK_BUSY"
        return 0
    fi
    if running; then
        exec 9>&-
        return 0
    fi
    wlog "pid ${PID:-?} from $PIDFILE is not running: restarting"
    if [ -f "$OUT" ]; then
        tail -n 5 "$OUT" | while IFS= read -r l; do wlog "  last output: $l"; done
    fi
    out=$(HF_LOCKED=1 "$HF_SHELL/start.sh" 2>&1)
    rc=$?
    printf '%s\n' "$out" | while IFS= read -r l; do [ -n "$l" ] && wlog "  $l"; done
    if [ "$rc" = 0 ]; then
        read_pid
        wlog "restarted (pid $PID)"
    else
        wlog "restart failed (start.sh exit $rc); next check tries again"
    fi
    exec 9>&-
    return 0
}

if [ -z "$loop" ]; then
    check
    exit 0
fi
wlog "watchdog started, a check every $loop s"
trap 'wlog "watchdog stopped"; exit 0' TERM INT
while :; do
    check
    sleep "$loop" &
    wait $!
done
