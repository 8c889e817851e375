#!/bin/sh
# status.sh: prints the module's /status JSON (or /metrics).
#
#   PREFIX/<module>/shell/status.sh [--metrics] [--raw] [WORKER]
#
# The address comes from the config: "http" (jobmaster, metarelay,
# metawriter) or "http.bind" (gateway; WORKER i, default 0, answers on that
# port + i; every worker's /status has its own counts and the totals of all
# workers under "total"). JSON is indented with python3 unless --raw.
# Exit 1 when nothing answers, 2 when the config has no HTTP address.
set -u
. "$(dirname "$0")/common.sh"

path=/status raw=0 worker=0
for a in "$@"; do
    case "$a" in
        --metrics | -m) path=/metrics ;;
        --raw | -r) raw=1 ;;
        *[!0-9]* | '') echo "usage: $0 [--metrics] [--raw] [WORKER]" >&2; exit 2 ;;
        *) worker=$a ;;
    esac
done
[ -f "$CONF" ] || die "no config $CONF"
urls=$(status_urls)
if [ -z "$urls" ]; then
    echo "$MODULE: no HTTP status address in $CONF (key \"http\" or \"http.bind\")" >&2
    exit 2
fi
url=$(echo "$urls" | sed -n "$((worker + 1))p")
[ -n "$url" ] || die "no worker $worker (the config has $(echo "$urls" | wc -l))"
body=$(http_get "$url" "$path") || die "$url$path does not answer"
if [ "$path" = /status ] && [ "$raw" = 0 ] && command -v python3 >/dev/null 2>&1; then
    printf '%s\n' "$body" | python3 -m json.tool
else
    printf '%s\n' "$body"
fi
