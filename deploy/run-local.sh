#!/bin/sh
# The one-machine Headframe cluster that `make run` starts and `make stop` stops.
#
#   deploy/run-local.sh start    regtest node, segwit, payout key, jobmaster, gateway,
#                                accounting (metarelay, metawriter, redis-server) when
#                                built, a mineragent in front of the gateway (TLS, with a
#                                throwaway CA in run/certs), and a demo hfminer split
#                                between the gateway and the agent; then ~20 s of blocks
#   deploy/run-local.sh stop     stops everything start started, by pid
#   deploy/run-local.sh status   what runs, the chain height, the gateway's counts
#
# Everything lives in run/ (ignored by git): run/conf/ generated configs,
# run/log/ logs, run/*.pid pids, run/node/ the chain, run/redis/ Redis data,
# run/payout-key.json the pool's payout key, run/ports.env the ports in use.
# Binaries come from $HF_BIN (default build/bin). Ports: the defaults below
# when free, else any free port (run/ports.env says which).
#   HF_DEMO_THREADS   hashing threads of the demo miner (default 1; 0 = no miner)
#   HF_DEMO_DIFF      its suggested start difficulty (default 0.002)
#   HF_WATCH          seconds of block watching after start (default 20)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
run="$root/run"
bin="${HF_BIN:-build/bin}"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
regtest="$root/depends/regtest.sh"

say() { echo "run-local: $*"; }
die() { echo "run-local: $*" >&2; exit 1; }

# ---- ports ------------------------------------------------------------------
# A port for NAME: the one saved in run/ports.env (same cluster as before), or
# DEFAULT when nothing listens on it, or whatever free port the kernel gives.
pick_port() {
    python3 - "$1" <<'EOF'
import socket, sys
want = int(sys.argv[1])
def free(p):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", p))
            return True
        except OSError:
            return False
if want == 0 or not free(want):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        want = s.getsockname()[1]
print(want)
EOF
}

load_ports() {
    [ -f "$run/ports.env" ] && . "$run/ports.env"
    return 0
}

choose_ports() {
    used=" "
    for spec in NODE_RPC:48332 NODE_P2P:48444 JM:7001 JM_HTTP:7003 STRATUM:3333 \
                GW_HTTP:8300 MR:7601 MR_HTTP:7611 MW:7602 MW_HTTP:7612 REDIS:6380 \
                AGENT:3334 AG_STRATUM:3335 AG_HTTP:8500 AC:7700 AC_HTTP:7710 SMTP:2525 \
                STATS:7620 NODE2_RPC:48342 NODE2_P2P:48454 BP:7801 BP_HTTP:7811 \
                PB:7901 PB_HTTP:7911 BM:7821 BM_HTTP:7831; do
        name=${spec%%:*} def=${spec#*:}
        p=$(pick_port "$def")
        # Two names must not get the same kernel-chosen port.
        while case "$used" in *" $p "*) true ;; *) false ;; esac; do p=$(pick_port 0); done
        used="$used$p "
        eval "${name}_PORT=$p"
    done
    {
        for name in NODE_RPC NODE_P2P JM JM_HTTP STRATUM GW_HTTP MR MR_HTTP MW MW_HTTP REDIS \
                    AGENT AG_STRATUM AG_HTTP AC AC_HTTP SMTP STATS NODE2_RPC NODE2_P2P BP \
                    BP_HTTP PB PB_HTTP BM BM_HTTP; do
            eval "echo ${name}_PORT=\$${name}_PORT"
        done
    } >"$run/ports.env"
}

# ---- processes ----------------------------------------------------------------
# is_ours NAME: run/NAME.pid names a live process running the expected program.
is_ours() {
    f="$run/$1.pid"
    [ -f "$f" ] || return 1
    pid=$(cat "$f")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2"
}

# spawn NAME CMD...: starts CMD in its own session (a Ctrl-C of `make run`
# does not reach it), output in run/log/NAME.out, pid in run/NAME.pid.
spawn() {
    name=$1
    shift
    setsid "$@" >"$run/log/$name.out" 2>&1 </dev/null &
    echo $! >"$run/$name.pid"
}

# stop_pid NAME PATTERN: SIGTERM, up to 15 s, then SIGKILL.
stop_pid() {
    f="$run/$1.pid"
    [ -f "$f" ] || return 0
    if is_ours "$1" "$2"; then
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$pid" 2>/dev/null; then
            say "$1 (pid $pid) ignored SIGTERM for 15 s: SIGKILL"
            kill -9 "$pid" 2>/dev/null || true
        fi
        say "stopped $1 (pid $pid)"
    fi
    rm -f "$f"
}

rpc() { # METHOD [JSON-PARAMS] -> the reply's result (raw JSON)
    "$regtest" rpc "$NODE_RPC_PORT" "$NODE_KEY" "$1" "${2:-[]}" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)
if r.get("error"): sys.exit("rpc error: %s" % r["error"])
print(json.dumps(r["result"]) if not isinstance(r["result"], str) else r["result"])'
}

wait_port() { # PORT SECONDS NAME PIDNAME
    i=0
    while [ $i -lt $(($2 * 10)) ]; do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" \
            2>/dev/null; then
            return 0
        fi
        if ! is_ours "$4" "$4"; then
            tail -20 "$run/log/$4.out" "$run/log/$4.log" 2>/dev/null >&2 || true
            die "$3 exited during start-up (logs: $run/log/$4.*)"
        fi
        sleep 0.1
        i=$((i + 1))
    done
    die "$3 does not listen on 127.0.0.1:$1 after $2 s (logs: $run/log/$4.*)"
}

# ---- keys -------------------------------------------------------------------------
new_key_json() {
    NODE_PATH="$root/depends/node_modules" node -e '
const b = require("bcoin");
const k = b.KeyRing.generate(); k.witness = true;
console.log(JSON.stringify({wif: k.toSecret("regtest"),
  address: k.getAddress().toString("regtest"),
  script: b.Script.fromAddress(k.getAddress()).toRaw().toString("hex")}));'
}

json_field() { # FILE FIELD
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# ---- the agent's TLS certificates and secret ---------------------------------------
# A throwaway CA and a certificate for 127.0.0.1 for the gateway's agent port,
# made once with the openssl command; the agent's secret, made once.
make_agent_creds() {
    d="$run/certs"
    mkdir -p "$d"
    if [ ! -f "$d/gateway.pem" ]; then
        key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        # shellcheck disable=SC2086
        (cd "$d" &&
            openssl req -x509 $key -keyout ca.key -out ca.pem -days 3650 \
                -subj "/CN=headframe local CA" &&
            openssl req $key -keyout gateway.key -out gateway.csr -subj "/CN=local gateway" &&
            echo "subjectAltName=IP:127.0.0.1,DNS:localhost" >ext.cnf &&
            openssl x509 -req -in gateway.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                -out gateway.pem -days 3650 -extfile ext.cnf) >"$run/log/certs.out" 2>&1 ||
            die "openssl could not make the agent port's certificates (see $run/log/certs.out)"
        chmod 600 "$d/ca.key" "$d/gateway.key"
    fi
    [ -f "$run/agent.secret" ] || od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$run/agent.secret"
    chmod 600 "$run/agent.secret"
    AGENT_SECRET=$(cat "$run/agent.secret")
}

# ---- configs ----------------------------------------------------------------------
write_configs() {
    # Every module sends its ERROR/FATAL lines to alertcenter (when it runs).
    alert="\"alert\": {\"addr\": [\"udp@127.0.0.1:$AC_PORT\"]},"
    mkdir -p "$run/conf" "$run/spool/gateway" "$run/spool/metarelay" "$run/spool/mineragent" \
        "$run/redis"
    # blockmaster on the second node: jobmaster sends it every found block thin,
    # authenticated with a secret made here (run/blockmaster.secret).
    bmaster=""
    if [ -x "$bin/blockmaster" ]; then
        [ -f "$run/blockmaster.secret" ] ||
            (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$run/blockmaster.secret")
        bm_secret=$(cat "$run/blockmaster.secret")
        bmaster="\"blockmaster\": {\"addr\": [\"tcp@127.0.0.1:$BM_PORT\"], \"id\": \"jm-local\",
    \"secret\": \"$bm_secret\"},"
        cat >"$run/conf/blockmaster.json" <<EOF
{
  "node": {"url": "http://127.0.0.1:$NODE2_RPC_PORT/", "user": "x", "password": "$NODE_KEY"},
  "rpc": {"bind": "tcp@127.0.0.1:$BM_PORT", "allow": ["127.0.0.1"],
          "agents": [{"id": "jm-local", "secret": "$bm_secret"}]},
  "http": {"bind": "tcp@127.0.0.1:$BM_HTTP_PORT", "allow": ["127.0.0.1"]},
  $alert
  "log": {"path": "$run/log/blockmaster.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
    fi
    cat >"$run/conf/jobmaster.json" <<EOF
{
  "network": "bcoin-regtest",
  "nodes": [{"url": "http://127.0.0.1:$NODE_RPC_PORT/", "user": "x", "password": "$NODE_KEY"}],
  "payouts": [{"address": "$PAYOUT_ADDRESS", "weight": 1}],
  "pool_tag": "/headframe-local/",
  "extranonce_size": 12,
  "poll_interval": 0.1,
  "refresh_interval": 10,
  "gateway": {"bind": "tcp@127.0.0.1:$JM_PORT", "allow": ["127.0.0.1"]},
  "http": {"bind": "tcp@127.0.0.1:$JM_HTTP_PORT", "allow": ["127.0.0.1"]},
  "bitpeer": {"addr": ["tcp@127.0.0.1:$BP_PORT"]},
  "poolbench": {"addr": ["tcp@127.0.0.1:$PB_PORT"]},
  $bmaster
  $alert
  "log": {"path": "$run/log/jobmaster.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
    cat >"$run/conf/bitpeer.json" <<EOF
{
  "network": "regtest",
  "peers": {"addr": ["tcp@127.0.0.1:$NODE_P2P_PORT", "tcp@127.0.0.1:$NODE2_P2P_PORT"]},
  "rpc": {"bind": "tcp@127.0.0.1:$BP_PORT", "allow": ["127.0.0.1"]},
  "http": {"bind": "tcp@127.0.0.1:$BP_HTTP_PORT", "allow": ["127.0.0.1"]},
  $alert
  "log": {"path": "$run/log/bitpeer.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
    # poolbench watches "other pools": here the demo's own gateway (a pool
    # never ahead of itself, so it shows the wiring, not a tip it did not have).
    cat >"$run/conf/poolbench.json" <<EOF
{
  "pools": [{"name": "self", "addr": "tcp@127.0.0.1:$STRATUM_PORT", "user": "poolbench.watch",
             "password": "x"}],
  "reconnect_min": 0.5, "reconnect_max": 10,
  "rpc": {"bind": "tcp@127.0.0.1:$PB_PORT", "allow": ["127.0.0.1"]},
  "http": {"bind": "tcp@127.0.0.1:$PB_HTTP_PORT", "allow": ["127.0.0.1"]},
  $alert
  "log": {"path": "$run/log/poolbench.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
    meta=""
    if [ "$ACCOUNTING" = 1 ]; then
        meta="\"meta\": {\"addr\": \"tcp@127.0.0.1:$MR_PORT\", \"coin\": \"btc\",
           \"spool_dir\": \"$run/spool/gateway\", \"source\": \"gw1\", \"flush_interval\": 5},"
        cat >"$run/conf/metawriter.json" <<EOF
{
  "rpc": {"bind": "tcp@127.0.0.1:$MW_PORT", "allow": ["127.0.0.1"]},
  "http": {"bind": "tcp@127.0.0.1:$MW_HTTP_PORT", "allow": ["127.0.0.1"]},
  "coin": "btc",
  "redis": {"host": "127.0.0.1", "port": $REDIS_PORT, "db": 0, "timeout": 10},
  $alert
  "log": {"path": "$run/log/metawriter.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
        cat >"$run/conf/statsapi.json" <<EOF
{
  "http": {"bind": "tcp@127.0.0.1:$STATS_PORT"},
  "coin": "btc",
  "redis": {"host": "127.0.0.1", "port": $REDIS_PORT, "db": 0, "timeout": 5},
  "jobmaster_status": "http://127.0.0.1:$JM_HTTP_PORT/status",
  "refresh": 5,
  "stratum_url": "stratum+tcp://127.0.0.1:$STRATUM_PORT",
  "web_dir": "$root/statsapi/web",
  "node": {"url": "http://127.0.0.1:$NODE_RPC_PORT/", "user": "x", "password": "$NODE_KEY"},
  "log": {"path": "$run/log/statsapi.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
        cat >"$run/conf/metarelay.json" <<EOF
{
  "rpc": {"bind": "tcp@127.0.0.1:$MR_PORT", "allow": ["127.0.0.1"]},
  "http": {"bind": "tcp@127.0.0.1:$MR_HTTP_PORT", "allow": ["127.0.0.1"]},
  "upstream": {"addr": "tcp@127.0.0.1:$MW_PORT"},
  "spool_dir": "$run/spool/metarelay",
  $alert
  "log": {"path": "$run/log/metarelay.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
    fi
    cat >"$run/conf/gateway.json" <<EOF
{
  "gateway_id": 1,
  "host": "local",
  "workers": 1,
  "stratum": {"bind": "tcp@127.0.0.1:$STRATUM_PORT", "version_mask": "1fffe000"},
  "jobmaster": {"addr": "tcp@127.0.0.1:$JM_PORT"},
  "vardiff": {"start": 0.0001, "min": 0.000001, "max": 1000000, "target": 2, "retarget": 10},
  "ban": {"enabled": true, "exempt": ["127.0.0.1"]},
  "http": {"bind": "tcp@127.0.0.1:$GW_HTTP_PORT", "allow": ["127.0.0.1"]},
  $meta
  "agents": {"bind": "tcp@127.0.0.1:$AGENT_PORT", "allow": ["127.0.0.1"],
             "tls": {"cert_file": "$run/certs/gateway.pem", "key_file": "$run/certs/gateway.key"},
             "list": [{"id": "farm1", "num": 1, "secret": "$AGENT_SECRET"}]},
  $alert
  "log": {"path": "$run/log/gateway.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
    cat >"$run/conf/mineragent.json" <<EOF
{
  "agent": {"id": "farm1", "secret": "$AGENT_SECRET"},
  "host": "farm1",
  "upstream": {"addr": ["tcp@127.0.0.1:$AGENT_PORT"],
               "tls": {"ca_file": "$run/certs/ca.pem"}},
  "stratum": {"bind": "tcp@127.0.0.1:$AG_STRATUM_PORT", "version_mask": "1fffe000"},
  "vardiff": {"start": 0.0001, "min": 0.000001, "max": 1000000, "target": 2, "retarget": 10},
  "meta": {"coin": "btc", "spool_dir": "$run/spool/mineragent", "flush_interval": 5},
  "http": {"bind": "tcp@127.0.0.1:$AG_HTTP_PORT", "allow": ["127.0.0.1"]},
  $alert
  "log": {"path": "$run/log/mineragent.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
    chmod 600 "$run/conf/gateway.json" "$run/conf/mineragent.json"
    if [ "$ACCOUNTING" = 1 ]; then
        cat >"$run/conf/alertcenter.json" <<EOF
{
  "recv": {"bind": "udp@127.0.0.1:$AC_PORT", "allow": ["127.0.0.1"]},
  "http": {"bind": "tcp@127.0.0.1:$AC_HTTP_PORT", "allow": ["127.0.0.1"]},
  "coin": "btc",
  "redis": {"host": "127.0.0.1", "port": $REDIS_PORT},
  "mail": {"url": "smtp://127.0.0.1:$SMTP_PORT", "from": "alertcenter@localhost",
           "to": ["ops@localhost"], "gather": 2, "interval": 60},
  "health": {"interval": 5,
             "jobmaster": {"url": "http://127.0.0.1:$JM_HTTP_PORT/status", "no_job_after": 600},
             "watch": [{"name": "gateway", "url": "http://127.0.0.1:$GW_HTTP_PORT/status",
                        "backlog": "meta.pending_batches", "backlog_max": 100},
                       {"name": "metawriter", "url": "http://127.0.0.1:$MW_HTTP_PORT/status"}]},
  "miners": {"interval": 10, "offline_after": 60,
             "subscriptions": [{"user": "demo", "email": "demo@localhost"},
                               {"user": "farm", "email": "farm@localhost"}]},
  "log": {"path": "$run/log/alertcenter.log", "level": "info", "max_size": 104857600, "max_files": 3}
}
EOF
    fi
}

# ---- start ------------------------------------------------------------------------
start() {
    if is_ours node bcoin || is_ours gateway gateway || is_ours jobmaster jobmaster; then
        say "already running (./deploy/run-local.sh stop, or make stop, first); status:"
        status
        return 0
    fi
    for b in jobmaster gateway; do
        [ -x "$bin/$b" ] || die "$bin/$b is missing: run 'make run' (or 'make build') first"
    done
    command -v node >/dev/null 2>&1 || die "node.js missing: run 'make depends'"
    [ -x "$root/depends/node_modules/.bin/bcoin" ] || die "bcoin missing: run 'make depends'"
    mkdir -p "$run/log"
    choose_ports
    ACCOUNTING=0
    if [ -x "$bin/metarelay" ] && [ -x "$bin/metawriter" ] && command -v redis-server \
        >/dev/null 2>&1; then
        ACCOUNTING=1
    fi

    # The node: its API key is made once and kept with the chain.
    [ -f "$run/node.key" ] || od -An -N12 -tx1 /dev/urandom | tr -d ' \n' >"$run/node.key"
    NODE_KEY=$(cat "$run/node.key")
    tries=0
    while :; do
        say "starting the bcoin regtest node (RPC 127.0.0.1:$NODE_RPC_PORT, data $run/node)"
        if setsid "$regtest" start "$run/node" "$NODE_RPC_PORT" "$NODE_P2P_PORT" "$NODE_KEY" \
            >"$run/log/node-start.out" 2>&1; then
            break
        fi
        tries=$((tries + 1))
        # Another program took the port since we looked: take other ports.
        if [ $tries -lt 3 ] && grep -q EADDRINUSE "$run/node/node.out" 2>/dev/null; then
            NODE_RPC_PORT=$(pick_port 0) NODE_P2P_PORT=$(pick_port 0)
            sed -i -e "s/^NODE_RPC_PORT=.*/NODE_RPC_PORT=$NODE_RPC_PORT/" \
                -e "s/^NODE_P2P_PORT=.*/NODE_P2P_PORT=$NODE_P2P_PORT/" "$run/ports.env"
            continue
        fi
        cat "$run/log/node-start.out" >&2
        die "the regtest node did not start"
    done
    tail -1 "$run/log/node-start.out" >"$run/node.pid"

    # Keys: the pool's payout key and the key the segwit activation blocks pay.
    [ -f "$run/payout-key.json" ] || new_key_json >"$run/payout-key.json"
    [ -f "$run/activation-key.json" ] || new_key_json >"$run/activation-key.json"
    chmod 600 "$run/payout-key.json" "$run/activation-key.json" "$run/node.key"
    PAYOUT_ADDRESS=$(json_field "$run/payout-key.json" address)
    height=$(rpc getblockcount)
    if [ "$height" -lt 450 ]; then
        say "activating segwit: $((450 - height)) blocks to $(json_field "$run/activation-key.json" address)"
        rpc generatetoaddress "[$((450 - height)), \"$(json_field "$run/activation-key.json" address)\"]" >/dev/null
    fi
    rpc getblocktemplate '[{"rules":["segwit"]}]' | grep -q 'segwit' ||
        die "segwit is not active on the node"

    make_agent_creds
    write_configs
    if [ "$ACCOUNTING" = 1 ]; then
        say "starting redis-server (127.0.0.1:$REDIS_PORT), metawriter, metarelay"
        spawn redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$run/redis" \
            --save "" --appendonly yes --protected-mode no
        wait_port "$REDIS_PORT" 20 redis-server redis
        spawn metawriter "$bin/metawriter" --config "$run/conf/metawriter.json"
        wait_port "$MW_PORT" 20 metawriter metawriter
        spawn metarelay "$bin/metarelay" --config "$run/conf/metarelay.json"
        wait_port "$MR_PORT" 20 metarelay metarelay
        if [ -x "$bin/alertcenter" ]; then
            say "starting the SMTP catcher (127.0.0.1:$SMTP_PORT, mails in $run/mail/) and alertcenter"
            spawn smtp-catcher /usr/bin/python3 "$root/deploy/smtp-catcher.py" "$SMTP_PORT" "$run/mail"
            wait_port "$SMTP_PORT" 20 smtp-catcher smtp-catcher
            spawn alertcenter "$bin/alertcenter" --config "$run/conf/alertcenter.json"
            wait_port "$AC_HTTP_PORT" 20 alertcenter alertcenter
        fi
    else
        say "accounting not built (metarelay/metawriter) or redis-server missing: skipped"
    fi
    BITPEER=0
    if [ -x "$bin/bitpeer" ]; then
        start_node2
        say "starting bitpeer (P2P to both nodes, jobmaster link on $BP_PORT)"
        spawn bitpeer "$bin/bitpeer" --config "$run/conf/bitpeer.json"
        wait_port "$BP_HTTP_PORT" 20 bitpeer bitpeer
        BITPEER=1
    fi
    BMASTER=0
    if [ -x "$bin/blockmaster" ]; then
        start_node2
        say "starting blockmaster (thin blocks from jobmaster rebuilt on the second node, port $BM_PORT)"
        spawn blockmaster "$bin/blockmaster" --config "$run/conf/blockmaster.json"
        wait_port "$BM_HTTP_PORT" 20 blockmaster blockmaster
        BMASTER=1
    fi
    say "starting jobmaster and gateway"
    spawn jobmaster "$bin/jobmaster" --config "$run/conf/jobmaster.json"
    wait_port "$JM_PORT" 20 jobmaster jobmaster
    spawn gateway "$bin/gateway" --config "$run/conf/gateway.json"
    wait_port "$STRATUM_PORT" 20 gateway gateway
    POOLBENCH=0
    if [ -x "$bin/poolbench" ]; then
        say "starting poolbench (watching the gateway's own Stratum port $STRATUM_PORT as a demo)"
        spawn poolbench "$bin/poolbench" --config "$run/conf/poolbench.json"
        wait_port "$PB_HTTP_PORT" 20 poolbench poolbench
        POOLBENCH=1
    fi
    STATS=0
    if [ "$ACCOUNTING" = 1 ] && [ -x "$bin/statsapi" ]; then
        say "starting statsapi (the dashboard and the statistics API)"
        spawn statsapi "$bin/statsapi" --config "$run/conf/statsapi.json"
        wait_port "$STATS_PORT" 20 statsapi statsapi
        STATS=1
    fi
    AGENT=0
    if [ -x "$bin/mineragent" ]; then
        say "starting mineragent farm1 (TLS to the gateway's agent port $AGENT_PORT)"
        spawn mineragent "$bin/mineragent" --config "$run/conf/mineragent.json"
        wait_port "$AG_STRATUM_PORT" 30 mineragent mineragent
        AGENT=1
    fi

    threads=${HF_DEMO_THREADS:-1}
    if [ "$threads" -gt 0 ] && [ -x "$bin/hfminer" ]; then
        say "starting the demo miner: hfminer, $threads thread(s), user demo.cpu0"
        spawn hfminer "$bin/hfminer" --url "stratum+tcp://127.0.0.1:$STRATUM_PORT" \
            --user demo.cpu0 --password "d=${HF_DEMO_DIFF:-0.002}" --threads "$threads" \
            --version-rolling --progress 30
        if [ "$AGENT" = 1 ]; then
            say "starting the demo miner behind the agent: hfminer, $threads thread(s), user farm.cpu0"
            spawn hfminer-agent "$bin/hfminer" --url "stratum+tcp://127.0.0.1:$AG_STRATUM_PORT" \
                --user farm.cpu0 --password "d=${HF_DEMO_DIFF:-0.002}" --threads "$threads" \
                --version-rolling --progress 30
        fi
    fi
    info
    watch "${HF_WATCH:-20}"
    echo
    echo "The cluster keeps running: 'make stop' (or ./deploy/run-local.sh stop) stops it."
}

# A second regtest node for bitpeer: peered with the first (it syncs the
# chain from it over P2P), data in run/node2.
start_node2() {
    key2=$(cat "$run/node.key")
    if ! is_ours node2 bcoin; then
        say "starting the second regtest node (RPC 127.0.0.1:$NODE2_RPC_PORT, P2P $NODE2_P2P_PORT)"
        setsid "$regtest" start "$run/node2" "$NODE2_RPC_PORT" "$NODE2_P2P_PORT" "$key2" \
            >"$run/log/node2-start.out" 2>&1 || die "the second regtest node did not start"
        tail -1 "$run/log/node2-start.out" >"$run/node2.pid"
    fi
    "$regtest" rpc "$NODE2_RPC_PORT" "$key2" addnode "[\"127.0.0.1:$NODE_P2P_PORT\", \"add\"]" \
        >/dev/null
    want=$(rpc getblockcount) i=0 got=0
    while [ $i -lt 120 ]; do
        got=$("$regtest" rpc "$NODE2_RPC_PORT" "$key2" getblockcount |
              python3 -c 'import json,sys; print(json.load(sys.stdin)["result"])' 2>/dev/null ||
              echo 0)
        [ "$got" -ge "$want" ] && break
        sleep 0.5
        i=$((i + 1))
    done
    say "second node at height $got (first node $want)"
}

info() {
    cat <<EOF

Headframe is running on this machine (bcoin regtest):
EOF
    if [ "${STATS:-0}" = 1 ]; then
        cat <<EOF

  Dashboard:        http://127.0.0.1:$STATS_PORT/   (the demo's workers: http://127.0.0.1:$STATS_PORT/user/demo)
  Statistics API:   http://127.0.0.1:$STATS_PORT/api/v1/pool   (docs/stats-api.md)
EOF
    fi
    cat <<EOF

  Stratum:          stratum+tcp://127.0.0.1:$STRATUM_PORT   user: any name, e.g. alice.rig1, password: anything
                    (a password "d=0.01" suggests a start difficulty)
  gateway status:   http://127.0.0.1:$GW_HTTP_PORT/status   http://127.0.0.1:$GW_HTTP_PORT/metrics
  jobmaster status: http://127.0.0.1:$JM_HTTP_PORT/status   http://127.0.0.1:$JM_HTTP_PORT/metrics
EOF
    if [ "${BITPEER:-0}" = 1 ]; then
        cat <<EOF
  bitpeer status:   http://127.0.0.1:$BP_HTTP_PORT/status   http://127.0.0.1:$BP_HTTP_PORT/metrics
                    (P2P to the node :$NODE_P2P_PORT and the second node :$NODE2_P2P_PORT, RPC $NODE2_RPC_PORT)
EOF
    fi
    if [ "${POOLBENCH:-0}" = 1 ]; then
        cat <<EOF
  poolbench status: http://127.0.0.1:$PB_HTTP_PORT/status   http://127.0.0.1:$PB_HTTP_PORT/metrics
                    (watches the gateway's own Stratum port as the "other pool"; jobmaster link on $PB_PORT)
EOF
    fi
    if [ "${BMASTER:-0}" = 1 ]; then
        cat <<EOF
  blockmaster:      http://127.0.0.1:$BM_HTTP_PORT/status   http://127.0.0.1:$BM_HTTP_PORT/metrics
                    (rebuilds the pool's blocks thin on the second node, RPC $NODE2_RPC_PORT)
EOF
    fi
    if [ "${AGENT:-0}" = 1 ]; then
        cat <<EOF
  agent Stratum: stratum+tcp://127.0.0.1:$AG_STRATUM_PORT   (mineragent farm1, TLS to gateway port $AGENT_PORT)
  agent status:     http://127.0.0.1:$AG_HTTP_PORT/status   http://127.0.0.1:$AG_HTTP_PORT/metrics
EOF
    fi
    if [ "$ACCOUNTING" = 1 ]; then
        cat <<EOF
  metarelay:        http://127.0.0.1:$MR_HTTP_PORT/status    metawriter: http://127.0.0.1:$MW_HTTP_PORT/status
  Redis keys:       redis-cli -p $REDIS_PORT keys 'btc:*'
                    redis-cli -p $REDIS_PORT lrange newblock 0 -1
EOF
        if [ -x "$bin/alertcenter" ]; then
            cat <<EOF
  alertcenter:      http://127.0.0.1:$AC_HTTP_PORT/status   http://127.0.0.1:$AC_HTTP_PORT/metrics
  alert mails:      $run/mail/  (one .eml file per mail; ops@localhost, and demo@localhost
                    when a demo worker stops hashing for 1 minute)
EOF
        fi
    fi
    cat <<EOF
  payout address:   $PAYOUT_ADDRESS   (key: $run/payout-key.json)
  logs:             $run/log/  (jobmaster.log, gateway.log, hfminer.out, ...)
  blocks:           depends/regtest.sh rpc $NODE_RPC_PORT $NODE_KEY getblockcount
                    depends/regtest.sh rpc $NODE_RPC_PORT $NODE_KEY getbestblockhash
  status:           ./deploy/run-local.sh status
  stop:             make stop

EOF
}

watch() { # SECONDS: prints height and best hash whenever they change
    secs=$1
    [ "$secs" -gt 0 ] || return 0
    say "watching the chain for $secs s (blocks found by the pool):"
    last="" end=$(($(date +%s) + secs)) h0=$(rpc getblockcount)
    while [ "$(date +%s)" -lt "$end" ]; do
        best=$(rpc getbestblockhash 2>/dev/null || true)
        if [ -n "$best" ] && [ "$best" != "$last" ]; then
            # The height of this very block (getblockcount could already be newer).
            h=$(rpc getblockheader "[\"$best\", true]" 2>/dev/null |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["height"])' 2>/dev/null ||
                echo "?")
            echo "  $(date +%H:%M:%S)  height $h  best $best"
            last=$best
        fi
        sleep 0.5
    done
    say "$(($(rpc getblockcount) - h0)) blocks in $secs s"
}

# ---- stop / status ---------------------------------------------------------------
stop() {
    [ -d "$run" ] || { say "nothing to stop"; return 0; }
    stop_pid hfminer hfminer
    stop_pid hfminer-agent hfminer
    stop_pid mineragent mineragent
    stop_pid gateway gateway
    stop_pid jobmaster jobmaster
    stop_pid bitpeer bitpeer
    stop_pid poolbench poolbench
    stop_pid blockmaster blockmaster
    if [ -f "$run/node2/node.pid" ]; then
        "$regtest" stop "$run/node2"
        say "stopped the second regtest node"
    fi
    rm -f "$run/node2.pid"
    stop_pid alertcenter alertcenter
    stop_pid smtp-catcher smtp-catcher
    stop_pid statsapi statsapi
    stop_pid metarelay metarelay
    stop_pid metawriter metawriter
    stop_pid redis redis-server
    if [ -f "$run/node/node.pid" ]; then
        pid=$(cat "$run/node/node.pid")
        "$regtest" stop "$run/node"
        say "stopped the regtest node (pid $pid)"
    fi
    rm -f "$run/node.pid"
    say "stopped; data kept in $run (rm -rf run/ for a fresh chain)"
}

status() {
    [ -f "$run/ports.env" ] || { say "not started"; return 0; }
    load_ports
    NODE_KEY=$(cat "$run/node.key" 2>/dev/null || true)
    any=0
    for spec in node:bcoin redis:redis-server metawriter:metawriter metarelay:metarelay \
                alertcenter:alertcenter smtp-catcher:smtp-catcher statsapi:statsapi \
                node2:bcoin bitpeer:bitpeer poolbench:poolbench blockmaster:blockmaster \
                jobmaster:jobmaster gateway:gateway mineragent:mineragent hfminer:hfminer \
                hfminer-agent:hfminer; do
        name=${spec%%:*} pat=${spec#*:}
        [ -f "$run/$name.pid" ] || continue
        any=1
        if is_ours "$name" "$pat"; then
            printf '  %-11s running  pid %s\n' "$name" "$(cat "$run/$name.pid")"
        else
            printf '  %-11s DOWN     (pid file %s)\n' "$name" "$run/$name.pid"
        fi
    done
    [ "$any" = 1 ] || { say "not running (make run starts it)"; return 0; }
    if is_ours node bcoin; then
        echo "  chain       height $(rpc getblockcount)  best $(rpc getbestblockhash)"
    fi
    if is_ours gateway gateway; then
        curl -s --max-time 5 "http://127.0.0.1:$GW_HTTP_PORT/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)["total"]
print("  gateway     connections %d  shares accepted %d  rejected %s  blocks found %d accepted %d"
      % (s["connections"], s["shares"]["accepted"], s["shares"]["rejected"],
         s["blocks"]["found"], s["blocks"]["accepted"]))' 2>/dev/null || true
    fi
    if is_ours mineragent mineragent; then
        curl -s --max-time 5 "http://127.0.0.1:$AG_HTTP_PORT/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)
u, f = s["upstream"], s["farm"] or {"connections": 0, "shares": {"accepted": 0}}
print("  mineragent  upstream %s (%s)  miners %d  shares accepted %d  blocks accepted %d"
      % ("up" if u["up"] else "DOWN", u["gateway"], f["connections"], f["shares"]["accepted"],
         u["blocks"]["accepted"]))' 2>/dev/null || true
    fi
    echo "  stratum     stratum+tcp://127.0.0.1:$STRATUM_PORT   logs in $run/log/"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
