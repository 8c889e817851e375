#!/bin/sh
# restart.sh: stop.sh, then start.sh, under one lock (a watchdog run in
# between cannot start a second copy). Exit status of start.sh.
#
#   PREFIX/<module>/shell/restart.sh
set -u
. "$(dirname "$0")/common.sh"

need_layout
lock || die "$LOCK_BUSY"
HF_LOCKED=1
export HF_LOCKED
"$HF_SHELL/stop.sh" || exit 1
exec "$HF_SHELL/start.sh"
