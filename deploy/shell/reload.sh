#!/bin/sh
# reload.sh: SIGHUP to the module: it reopens its log file (after an
# external logrotate moved it; gateway's supervisor passes it to every
# worker). Nothing else is re-read: a config change needs restart.sh.
#
#   PREFIX/<module>/shell/reload.sh
set -u
. "$(dirname "$0")/common.sh"

running || die "not running (pid file $PIDFILE)"
kill -s HUP "$PID" || die "cannot signal pid $PID"
say "SIGHUP to pid $PID: log reopened"
