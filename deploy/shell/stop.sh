#!/bin/sh
# stop.sh: stops this module and removes its pid file.
#
#   PREFIX/<module>/shell/stop.sh
#
# SIGTERM to the pid in log/<module>.pid, then waits HF_STOP_TIMEOUT seconds
# (default 30 + the config's stratum.shutdown_grace: gateway tells every
# miner client.reconnect, waits the grace, then flushes its accounting spool)
# and sends SIGKILL to the module's whole process group (gateway's workers
# too) if it is still there. Exit 0 when the module is not running anymore,
# also when it was not running; 1 when even SIGKILL did not end it.
set -u
. "$(dirname "$0")/common.sh"

lock || die "$LOCK_BUSY"
read_pid
if [ -z "$PID" ]; then
    rm -f "$PIDFILE"
    say "not running (no pid file $PIDFILE)"
    exit 0
fi
if ! pid_is_ours "$PID"; then
    rm -f "$PIDFILE"
    say "not running (pid $PID from $PIDFILE is gone); pid file removed"
    exit 0
fi

timeout=${HF_STOP_TIMEOUT:-}
if [ -z "$timeout" ]; then
    grace=$(conf_value stratum.shutdown_grace 2>/dev/null)
    grace=${grace%%.*}
    case "$grace" in '' | *[!0-9]*) grace=0 ;; esac
    timeout=$((30 + grace + 1))
fi

kill -s TERM "$PID" 2>/dev/null
say "SIGTERM to pid $PID, waiting up to $timeout s"
ticks=0
while pid_alive "$PID" && [ "$ticks" -lt $((timeout * 10)) ]; do
    sleep 0.1
    ticks=$((ticks + 1))
done
if pid_alive "$PID"; then
    if [ "$(pid_pgrp "$PID")" = "$PID" ]; then
        say "still running after $timeout s: SIGKILL to process group $PID"
        kill -s KILL -- "-$PID" 2>/dev/null
    else
        say "still running after $timeout s: SIGKILL to pid $PID"
        kill -s KILL "$PID" 2>/dev/null
    fi
    ticks=0
    while pid_alive "$PID" && [ "$ticks" -lt 50 ]; do
        sleep 0.1
        ticks=$((ticks + 1))
    done
    pid_alive "$PID" && die "pid $PID is still there after SIGKILL"
fi
rm -f "$PIDFILE"
say "stopped (pid $PID)"
