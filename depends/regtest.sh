#!/bin/sh
# Starts and stops a throw-away bcoin regtest node for tests and `make run`.
#
#   regtest.sh start DATADIR RPCPORT P2PPORT [APIKEY]   start, wait for RPC, print the pid
#   regtest.sh stop DATADIR                             stop the node started in DATADIR
#   regtest.sh rpc RPCPORT APIKEY METHOD [JSON-PARAMS]  one JSON-RPC call, prints the reply
#
# RPC is HTTP basic auth (any user, the API key as password) on 127.0.0.1:RPCPORT.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bcoin="$here/node_modules/.bin/bcoin"

rpc() {
    port=$1 key=$2 method=$3 params=${4:-[]}
    curl -s --max-time 30 -u "x:$key" -H 'Content-Type: application/json' \
        -d "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"$method\",\"params\":$params}" \
        "http://127.0.0.1:$port/"
}

start() {
    dir=$1 rport=$2 pport=$3 key=${4:-headframe}
    [ -x "$bcoin" ] || { echo "regtest: bcoin missing, run depends/install.sh" >&2; exit 1; }
    mkdir -p "$dir"
    "$bcoin" --network=regtest --no-wallet --workers=false --prefix="$dir" \
        --http-host=127.0.0.1 --http-port="$rport" --host=127.0.0.1 --port="$pport" \
        --api-key="$key" --log-level=info --listen=true \
        >"$dir/node.out" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/node.pid"
    i=0
    while [ $i -lt 300 ]; do
        if rpc "$rport" "$key" getblockcount 2>/dev/null | grep -q '"result"'; then
            echo "$pid"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "regtest: node exited, see $dir/node.out" >&2
            tail -20 "$dir/node.out" >&2
            exit 1
        fi
        i=$((i + 1))
        sleep 0.1
    done
    echo "regtest: RPC on 127.0.0.1:$rport did not answer within 30 s" >&2
    kill "$pid" 2>/dev/null || true
    exit 1
}

stop() {
    dir=$1
    [ -f "$dir/node.pid" ] || return 0
    pid=$(cat "$dir/node.pid")
    if kill "$pid" 2>/dev/null; then
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/node.pid"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    rpc) shift; rpc "$@"; echo ;;
    *) echo "usage: $0 start DIR RPCPORT P2PPORT [KEY] | stop DIR | rpc PORT KEY METHOD [PARAMS]" >&2; exit 2 ;;
esac
