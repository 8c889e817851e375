#!/bin/sh
# check_alive.sh: is this module alive? For cron and monitoring.
#
#   PREFIX/<module>/shell/check_alive.sh [-q]
#
# Exit 0 when the pid in log/<module>.pid runs this module's binary and,
# when the config has an HTTP status address (http, or http.bind for
# gateway: every worker's port), each /status answers within
# HF_HTTP_TIMEOUT seconds (default 5). Otherwise one line on stdout saying
# why, and exit 1 (not running) or 2 (running, /status does not answer).
# -q: print nothing when alive.
set -u
. "$(dirname "$0")/common.sh"

quiet=0
[ "${1:-}" = -q ] && quiet=1

read_pid
if [ -z "$PID" ]; then
    echo "$MODULE: not alive: not running (no pid file $PIDFILE)"
    exit 1
fi
if ! pid_is_ours "$PID"; then
    echo "$MODULE: not alive: pid $PID from $PIDFILE is not running $BIN"
    exit 1
fi
[ -f "$CONF" ] || { echo "$MODULE: not alive: pid $PID runs but its config $CONF is gone"; exit 2; }
urls=$(status_urls)
for u in $urls; do
    if ! http_get "$u" /status >/dev/null 2>&1; then
        echo "$MODULE: not alive: pid $PID runs but $u/status does not answer within $HF_HTTP_TIMEOUT s"
        exit 2
    fi
done
if [ "$quiet" = 0 ]; then
    if [ -n "$urls" ]; then
        echo "$MODULE: alive: pid $PID, /status answers on" $urls
    else
        echo "$MODULE: alive: pid $PID (no HTTP status configured)"
    fi
fi
exit 0
