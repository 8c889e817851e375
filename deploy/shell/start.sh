#!/bin/sh
# start.sh: starts this module in the background.
#
#   PREFIX/<module>/shell/start.sh
#
# Runs BIN --config CONF in its own session with BASE as working directory,
# stdout/stderr appended to log/<module>.out, its pid in log/<module>.pid.
# Refuses (exit 1) when the pid file names a running copy. Waits until every
# /status of the module answers (HF_START_WAIT seconds, default 10); exit 1
# when the process dies meanwhile, with the last lines of its output (the
# pid file then stays: the module is wanted, watchdog.sh keeps retrying
# until stop.sh clears it).
# Raises the open-files limit to the hard limit first (HF_NOFILE asks for a
# given number, which needs the hard limit to allow it). See common.sh.
set -u
. "$(dirname "$0")/common.sh"

need_layout
lock || die "$LOCK_BUSY"
if systemd_managed; then
    die "is managed by systemd here: systemctl start headframe@$MODULE"
fi
if running; then
    die "already running (pid $PID, $PIDFILE); stop.sh or restart.sh first"
fi
if [ -n "$PID" ] || [ -f "$PIDFILE" ]; then
    say "removing stale pid file $PIDFILE (pid ${PID:-?} does not run $BIN)"
    rm -f "$PIDFILE"
fi
err=$(conf_check 2>&1) || die "$CONF is not valid JSON: $err"

# Open files: gateway holds one per miner connection.
want=${HF_NOFILE:-$(ulimit -Hn)}
if [ "$(ulimit -Sn)" != "$want" ] && ! ulimit -n "$want" 2>/dev/null; then
    say "warning: cannot raise the open-files limit to $want (now $(ulimit -Sn))"
fi

cd "$BASE" || die "cannot cd to $BASE"
echo "---- $(date '+%Y-%m-%d %H:%M:%S') start.sh: $BIN --config $CONF" >>"$OUT"
# Not a process group leader here (no job control), so setsid execs in place
# and $! is the module's pid. The lock fds (8: watchdog, 9: start/stop)
# stay behind, or the module would hold the locks for its lifetime.
setsid "$BIN" --config "$CONF" >>"$OUT" 2>&1 </dev/null 8>&- 9>&- &
pid=$!
echo "$pid" >"$PIDFILE"

urls=$(status_urls)
wait_s=${HF_START_WAIT:-10}
ticks=0
while :; do
    sleep 0.2
    ticks=$((ticks + 1))
    if ! pid_alive "$pid"; then
        wait "$pid" 2>/dev/null
        rc=$?
        # The pid file stays: the module is still wanted, watchdog.sh retries
        # (stop.sh clears it).
        echo "$MODULE: exited during start-up (status $rc); last lines of $OUT:" >&2
        tail -n 15 "$OUT" | sed 's/^/    /' >&2
        log=$(conf_value log.path)
        [ -n "$log" ] && [ "$log" != - ] && echo "    (its log: $log, relative to $BASE)" >&2
        exit 1
    fi
    if [ -z "$urls" ]; then
        # No status server: alive after a second is all we can tell.
        [ "$ticks" -ge 5 ] || continue
        pid_is_ours "$pid" || continue
        say "started (pid $pid, no HTTP status configured), output $OUT"
        exit 0
    fi
    up=1
    for u in $urls; do
        http_get "$u" /status >/dev/null 2>&1 || { up=0; break; }
    done
    if [ "$up" = 1 ] && pid_is_ours "$pid"; then
        say "started (pid $pid), status $(echo "$urls" | head -1)/status, output $OUT"
        exit 0
    fi
    if [ "$ticks" -ge $((wait_s * 5)) ]; then
        say "warning: started (pid $pid) but $u/status does not answer after $wait_s s; see $OUT and its log"
        exit 0
    fi
done
