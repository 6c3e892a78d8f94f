# shellcheck shell=bash
# Shared definitions for lab-up.sh, lab-down.sh and lab-ctl.sh. Source it; do not run it.
#
# Topology (B = LAB_PORT_BASE, default 15300; every port moves with it so labs can coexist):
#   primary site  127.0.0.2: app blue B+1, app green B+2, sshd B+22, PostgreSQL primary B+32, nginx B+80
#   failover site 127.0.0.3: app blue B+1, app green B+2, sshd B+22, PostgreSQL replica B+32, HAProxy B+80
#   DNS           127.0.0.1: PowerDNS B+53 (API B+81), BIND 9 B+54
#
# `lab_vars DIR BASE` sets every port and path; `start_proc NAME` starts one server the same
# way lab-up and lab-ctl do, so a restarted process is indistinguishable from the first one.

LAB_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_ROOT="$(cd "$LAB_HERE/../.." && pwd)"          # the project root (node_modules lives here)
PGBIN=/usr/lib/postgresql/15/bin
# tsig-keygen, named-checkconf, nginx, sshd live in /usr/sbin: not on a non-root user's PATH
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac

# Every process lab-up starts, in start order. lab-ctl accepts these names.
LAB_PROCS=(pdns named primary-sshd failover-sshd pg-primary pg-replica
           primary-blue primary-green failover-blue failover-green primary-nginx failover-haproxy)

now_ms() { date +%s%3N; }
die() { echo "lab: $*" >&2; exit 1; }

# lab_vars DIR BASE : all ports and paths of the lab in DIR.
lab_vars() {
  L="$1"; B="$2"
  [[ "$B" =~ ^[0-9]+$ ]] && [ "$B" -ge 1024 ] && [ "$B" -le 65400 ] || die "LAB_PORT_BASE must be 1024..65400 (got '$B')"
  PRIMARY_ADDR=127.0.0.2; FAILOVER_ADDR=127.0.0.3; DNS_ADDR=127.0.0.1
  APP_BLUE_PORT=$((B + 1)); APP_GREEN_PORT=$((B + 2)); SSH_PORT=$((B + 22)); PG_PORT=$((B + 32))
  PDNS_DNS_PORT=$((B + 53)); BIND_DNS_PORT=$((B + 54)); ROUTER_PORT=$((B + 80)); PDNS_API_PORT=$((B + 81))
  ZONE=lab.test; TSIG_KEY_NAME=standby-key; APP_VERSION=1.0.0
  PIDS="$L/pids"; LOGS="$L/logs"; SECRETS="$L/secrets"; APPDIR="$L/app"; LAB_BIN="$L/bin"
  PDNS_API_KEY_FILE="$SECRETS/pdns-api-key"; PG_PASSWORD_FILE="$SECRETS/pg-password"
  PDNS_DIR="$L/dns/pdns"; BIND_DIR="$L/dns/bind"; TSIG_KEY_FILE="$BIND_DIR/tsig.key"
  CLIENT_KEY="$L/ssh/client_ed25519"; KNOWN_HOSTS="$L/ssh/known_hosts"; AUTH_KEYS="$L/ssh/authorized_keys"
  NGINX_DIR="$L/primary/nginx"; NGINX_UPSTREAM="$NGINX_DIR/upstream.conf"
  NGINX_CMD=(/usr/sbin/nginx -e "$NGINX_DIR/error.log" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf")
  HAPROXY_DIR="$L/failover/haproxy"; HAPROXY_SOCKET="$HAPROXY_DIR/admin.sock"
  HAPROXY_MASTER_SOCKET="$HAPROXY_DIR/master.sock"; HAPROXY_STATE_FILE="$HAPROXY_DIR/server-state"
  PG_PRIMARY_DATA="$L/primary/pgdata"; PG_PRIMARY_SOCK="$L/primary/pgsock"
  PG_REPLICA_DATA="$L/failover/pgdata"; PG_REPLICA_SOCK="$L/failover/pgsock"
  PG_REPLICA_PASSFILE="$L/failover/pgpass"   # replication password; the replica server reads it
  PG_PRIMARY_PASSFILE="$L/primary/pgpass"    # the same, for the primary node once rejoined as a replica
  WORKSPACE="$L/workspace.yaml"; PORTS_ENV="$L/ports.env"; LAB_ENV="$L/lab.env"
  APP_NODE="${LAB_APP_NODE:-/usr/bin/node}"
}

# Reads LAB_PORT_BASE / LAB_USER / PG_MODULE / APP_NODE back from DIR/lab.env (written first by
# lab-up, also kept after a failed start; DIR/ports.env is the same file, written only on success).
lab_load() {
  local dir="$1" f="$1/lab.env"
  [ -f "$f" ] || f="$1/ports.env"
  [ -f "$f" ] || die "$dir has no lab.env / ports.env: not a lab directory"
  local base user pgmod node
  base="$(sed -n 's/^LAB_PORT_BASE=//p' "$f")"; user="$(sed -n 's/^LAB_USER=//p' "$f")"
  pgmod="$(sed -n 's/^PG_MODULE=//p' "$f")"; node="$(sed -n 's/^APP_NODE=//p' "$f")"
  lab_vars "$dir" "$base"
  LAB_USER="$user"; PG_MODULE="$pgmod"; [ -n "$node" ] && APP_NODE="$node"
  return 0
}

is_root() { [ "$(id -u)" = 0 ]; }

# lab_enter : make the lab dir the working directory of this script and of everything it starts.
# The lab user may not be able to enter the directory we were started from (a root home, a 0700
# mktemp -d); servers that chdir back to their start directory (HAProxy) or read it (node) fail there.
lab_enter() { cd "$L" || die "cannot enter $L"; }

# Run a command as the lab user when root (setpriv execs: no extra parent process).
as_lab() {
  if is_root; then setpriv --reuid="$LAB_USER" --regid="$LAB_USER" --init-groups --reset-env "$@"; else "$@"; fi
}

# wait_until TIMEOUT_S CMD... : poll every 50 ms until CMD succeeds (bounded).
wait_until() {
  local limit=$(( $1 * 20 )) i=0; shift
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -ge "$limit" ] && return 1
    sleep 0.05
  done
}
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# pid_alive PID : true if the process exists and is not a zombie (PID 1 here may not reap).
pid_alive() {
  local s
  s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  s="${s##*) }"
  [ "${s%% *}" != Z ] && [ "${s%% *}" != X ]
}

# expected_comm NAME : the /proc/PID/comm of that server.
expected_comm() {
  case "$1" in
    *-blue|*-green) echo node ;;
    *-nginx) echo nginx ;;
    *-haproxy) echo haproxy ;;
    *-sshd) echo sshd ;;
    pdns) echo pdns_server ;;
    named) echo named ;;
    pg-*) echo postgres ;;
    *) return 1 ;;
  esac
}

# is_ours PID NAME : PID runs the expected program and its command line names this lab dir
# (PIDs are reused; never signal a process we cannot prove is ours).
is_ours() {
  local pid="$1" want comm cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  want="$(expected_comm "$2")" || return 1
  pid_alive "$pid" || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null)" || return 1
  cmd="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)"
  [ "$comm" = "$want" ] && [[ "$cmd" == *"$L/"* ]]
}

recorded_pid() { cat "$PIDS/$1.pid" 2>/dev/null; }

# proc_cmd NAME : sets CMD (array) to the server's command line (foreground, no daemonizing).
proc_cmd() {
  local site slot addr port
  case "$1" in
    primary-blue|primary-green|failover-blue|failover-green)
      site="${1%%-*}"; slot="${1#*-}"
      addr=$PRIMARY_ADDR; [ "$site" = failover ] && addr=$FAILOVER_ADDR
      port=$APP_BLUE_PORT; [ "$slot" = green ] && port=$APP_GREEN_PORT
      # The PostgreSQL password arrives on fd 3 (opened by start_proc): the secret file stays
      # root-only and never appears in argv or the environment.
      CMD=("$APP_NODE" "$APPDIR/lab-app.cjs" --site "$site" --slot "$slot" --version "$APP_VERSION"
           --host "$addr" --port "$port" --pg-host "$addr" --pg-port "$PG_PORT" --pg-database app
           --pg-user postgres --pg-password-fd 3 --pg-module "$PG_MODULE") ;;
    primary-nginx) CMD=("${NGINX_CMD[@]}" -g 'daemon off;') ;;
    # -W master-worker: reload = SIGUSR2 to this PID (it re-execs in place, PID kept); -db: foreground
    failover-haproxy) CMD=(/usr/sbin/haproxy -W -db -f "$HAPROXY_DIR/haproxy.cfg" -S "$HAPROXY_MASTER_SOCKET,mode,600") ;;
    primary-sshd) CMD=(/usr/sbin/sshd -D -e -f "$L/primary/ssh/sshd_config") ;;
    failover-sshd) CMD=(/usr/sbin/sshd -D -e -f "$L/failover/ssh/sshd_config") ;;
    pdns) CMD=(/usr/sbin/pdns_server --config-dir="$PDNS_DIR") ;;
    named) CMD=(/usr/sbin/named -f -4 -c "$BIND_DIR/named.conf") ;;
    # Site settings on the command line win over postgresql.conf / postgresql.auto.conf, so they
    # survive pg_rewind (which copies the source's config files) and ALTER SYSTEM.
    pg-primary) CMD=("$PGBIN/postgres" -D "$PG_PRIMARY_DATA" -c "listen_addresses=$PRIMARY_ADDR" -c "port=$PG_PORT"
                     -c "unix_socket_directories=$PG_PRIMARY_SOCK" -c cluster_name=lab-primary) ;;
    pg-replica) CMD=("$PGBIN/postgres" -D "$PG_REPLICA_DATA" -c "listen_addresses=$FAILOVER_ADDR" -c "port=$PG_PORT"
                     -c "unix_socket_directories=$PG_REPLICA_SOCK" -c cluster_name=lab-replica) ;;
    *) die "unknown process '$1' (one of: ${LAB_PROCS[*]})" ;;
  esac
}

# start_proc NAME : start in the background as the lab user, log to logs/NAME.log, pid to pids/NAME.pid.
# `setpriv … cmd &` (not a shell function) so that $! is the server itself.
start_proc() {
  local name="$1"
  proc_cmd "$name"
  case "$name" in
    *-blue|*-green)
      if is_root; then
        setpriv --reuid="$LAB_USER" --regid="$LAB_USER" --init-groups --reset-env "${CMD[@]}" \
          </dev/null >>"$LOGS/$name.log" 2>&1 3<"$PG_PASSWORD_FILE" &
      else
        "${CMD[@]}" </dev/null >>"$LOGS/$name.log" 2>&1 3<"$PG_PASSWORD_FILE" &
      fi ;;
    *)
      if is_root; then
        setpriv --reuid="$LAB_USER" --regid="$LAB_USER" --init-groups --reset-env "${CMD[@]}" \
          </dev/null >>"$LOGS/$name.log" 2>&1 &
      else
        "${CMD[@]}" </dev/null >>"$LOGS/$name.log" 2>&1 &
      fi ;;
  esac
  echo $! > "$PIDS/$name.pid"
}

pdns_api() { # pdns_api METHOD PATH [JSON] : the key goes to curl on stdin, never in argv
  local data=()
  [ $# -ge 3 ] && data=(--data-raw "$3" -H 'Content-Type: application/json')
  curl -sf --max-time 3 -X "$1" -H @- "${data[@]}" "http://$DNS_ADDR:$PDNS_API_PORT/api/v1$2" \
    <<<"X-API-Key: $(cat "$PDNS_API_KEY_FILE")"
}

# proc_ready NAME : true once the server answers.
proc_ready() {
  case "$1" in
    primary-blue)  tcp_open "$PRIMARY_ADDR" "$APP_BLUE_PORT" ;;
    primary-green) tcp_open "$PRIMARY_ADDR" "$APP_GREEN_PORT" ;;
    failover-blue)  tcp_open "$FAILOVER_ADDR" "$APP_BLUE_PORT" ;;
    failover-green) tcp_open "$FAILOVER_ADDR" "$APP_GREEN_PORT" ;;
    primary-nginx) curl -sf --max-time 1 "http://$PRIMARY_ADDR:$ROUTER_PORT/nginx-health" >/dev/null ;;
    failover-haproxy) [ -S "$HAPROXY_SOCKET" ] && tcp_open "$FAILOVER_ADDR" "$ROUTER_PORT" ;;
    primary-sshd)  ssh-keyscan -T 1 -t ed25519 -p "$SSH_PORT" "$PRIMARY_ADDR" 2>/dev/null | grep -q ssh-ed25519 ;;
    failover-sshd) ssh-keyscan -T 1 -t ed25519 -p "$SSH_PORT" "$FAILOVER_ADDR" 2>/dev/null | grep -q ssh-ed25519 ;;
    pdns) pdns_api GET /servers/localhost >/dev/null ;;
    named) dig +short +time=1 +tries=1 @"$DNS_ADDR" -p "$BIND_DNS_PORT" "app.$ZONE" A | grep -q . ;;
    pg-primary) "$PGBIN/pg_isready" -q -h "$PG_PRIMARY_SOCK" -p "$PG_PORT" ;;
    pg-replica) "$PGBIN/pg_isready" -q -h "$PG_REPLICA_SOCK" -p "$PG_PORT" ;;
    *) return 1 ;;
  esac
}

# stop_pid PID NAME : TERM (fast-shutdown INT for postgres), wait ≤5 s, then KILL. Only if ours.
stop_pid() {
  local pid="$1" name="$2" sig=TERM i
  is_ours "$pid" "$name" || return 0
  [[ "$name" == pg-* ]] && sig=INT   # TERM = "smart" shutdown, which waits for the apps' pooled sessions
  kill -"$sig" "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do pid_alive "$pid" || return 0; sleep 0.05; done
  echo "lab: $name ($pid) ignored SIG$sig for 5 s: KILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

# port_taken ADDR PORT : a TCP or UDP listener holds ADDR:PORT (or the wildcard address).
port_taken() {
  local a="$1" p="$2"
  if command -v ss >/dev/null; then
    ss -Hltun 2>/dev/null | awk -v a="$a" -v p="$p" '
      { n = split($5, x, ":"); port = x[n]; host = substr($5, 1, length($5) - length(port) - 1)
        if (port == p && (host == a || host == "0.0.0.0" || host == "*" || host == "[::]" || host == "[::ffff:" a "]")) f = 1 }
      END { exit f ? 0 : 1 }'
  else
    tcp_open "$a" "$p"
  fi
}
