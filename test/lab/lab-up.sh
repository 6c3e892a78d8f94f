#!/usr/bin/env bash
# Start Standby's two-site lab on loopback into DIR (empty or absent; keep it short, e.g. /tmp/sblab.XXXXXX).
#   usage: [LAB_PORT_BASE=15300] bash test/lab/lab-up.sh DIR
# Writes DIR/ports.env (ports, paths; only once the lab is up), DIR/workspace.yaml (validated against the workspace schema)
# and DIR/pids/NAME.pid for every server. Stop with: bash test/lab/lab-down.sh DIR [--rm]
# Runs as root (servers run as the user `oplab`, created here if missing) or as any user
# (servers run as that user). On failure it stops whatever it started and keeps DIR/logs.
# Optional env: LAB_APP_NODE (node ≥ 18 for the lab app, default /usr/bin/node).
# Servers run with DIR as working directory and read only files in DIR, so the project may sit
# where the lab user cannot enter (a root home, a 0700 mktemp -d).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# The workspace, runbooks and known_hosts must not be writable by others (Standby refuses them, as
# OpenSSH StrictModes does): whatever umask the caller has, the lab writes them 0644 at most.
umask 022

DIR_ARG="${1:?usage: lab-up.sh DIR}"
DIR="$(realpath -m "$DIR_ARG")"   # created only after the preflight checks pass
# Empty, or only the console's store and audit log that `lab-down.sh --keep-store` kept: the
# console goes on with its run journal and audit chain.
[ ! -e "$DIR" ] || [ -z "$(find "$DIR" -mindepth 1 -maxdepth 1 ! -name 'standby.sqlite*' -print -quit)" ] \
  || die "$DIR is not empty (a lab already there? stop it with: bash $LAB_HERE/lab-down.sh $DIR --keep-store, or --rm to delete the console's store too)"
lab_vars "$DIR" "${LAB_PORT_BASE:-15300}"
T_START=$(now_ms)

if is_root; then LAB_USER="${LAB_USER:-oplab}"; else LAB_USER="$(id -un)"; fi

# ---------------------------------------------------------------- preflight (nothing started yet)
for bin in "$PGBIN/initdb" "$PGBIN/postgres" "$PGBIN/pg_basebackup" "$PGBIN/psql" /usr/sbin/pdns_server \
           /usr/sbin/named /usr/sbin/nginx /usr/sbin/haproxy /usr/sbin/sshd "$APP_NODE" sqlite3 curl dig \
           openssl ssh-keygen ssh-keyscan tsig-keygen named-checkconf; do
  command -v "$bin" >/dev/null || die "missing $bin (run .ci/install-apt.sh)"
done
[ -f /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql ] || die "missing pdns-backend-sqlite3 (run .ci/install-apt.sh)"
for s in "$HAPROXY_MASTER_SOCKET" "$PG_PRIMARY_SOCK/.s.PGSQL.$PG_PORT.lock" "$PG_REPLICA_SOCK/.s.PGSQL.$PG_PORT.lock"; do
  [ "${#s}" -le 107 ] || die "unix socket path too long (${#s} > 107 bytes): $s — use a shorter DIR"
done
taken=()
for ap in "$PRIMARY_ADDR:$APP_BLUE_PORT" "$PRIMARY_ADDR:$APP_GREEN_PORT" "$PRIMARY_ADDR:$SSH_PORT" "$PRIMARY_ADDR:$PG_PORT" \
          "$PRIMARY_ADDR:$ROUTER_PORT" "$FAILOVER_ADDR:$APP_BLUE_PORT" "$FAILOVER_ADDR:$APP_GREEN_PORT" \
          "$FAILOVER_ADDR:$SSH_PORT" "$FAILOVER_ADDR:$PG_PORT" "$FAILOVER_ADDR:$ROUTER_PORT" \
          "$DNS_ADDR:$PDNS_DNS_PORT" "$DNS_ADDR:$BIND_DNS_PORT" "$DNS_ADDR:$PDNS_API_PORT"; do
  port_taken "${ap%:*}" "${ap##*:}" && taken+=("$ap")
done
[ ${#taken[@]} -eq 0 ] || die "port(s) already in use: ${taken[*]} — another lab on base $B? pick another LAB_PORT_BASE"

mkdir -p "$DIR"
if is_root; then
  if ! id "$LAB_USER" >/dev/null 2>&1; then
    useradd --system --create-home --home-dir "/var/lib/$LAB_USER" --shell /bin/bash "$LAB_USER"
  fi
  # With UsePAM no, sshd refuses even key logins for a *locked* account ('!' in shadow, as
  # useradd leaves it); '*' = no password but not locked.
  [ "$(passwd -S "$LAB_USER" 2>/dev/null | awk '{print $2}')" = L ] && usermod -p '*' "$LAB_USER"
  chown root: "$DIR"; chmod 755 "$DIR"
fi
as_lab test -x "$DIR" || die "$LAB_USER cannot enter $DIR (every parent directory must be traversable)"
lab_enter

# ---------------------------------------------------------------- layout + failure handling
mkdir -p "$PIDS" "$LOGS" "$APPDIR" "$L/ssh" "$L/primary" "$L/failover" "$L/dns"
mkdir -m 700 "$SECRETS"
mkdir -p "$NGINX_DIR/tmp" "$L/primary/ssh" "$L/failover/ssh" "$HAPROXY_DIR" "$PDNS_DIR" "$BIND_DIR"
mkdir -m 700 "$PG_PRIMARY_DATA" "$PG_PRIMARY_SOCK" "$PG_REPLICA_DATA" "$PG_REPLICA_SOCK"
if is_root; then
  chown -R "$LAB_USER:" "$NGINX_DIR" "$L/primary/ssh" "$L/failover/ssh" "$HAPROXY_DIR" "$PDNS_DIR" "$BIND_DIR" \
    "$PG_PRIMARY_DATA" "$PG_PRIMARY_SOCK" "$PG_REPLICA_DATA" "$PG_REPLICA_SOCK"
fi
TIMES="$LOGS/start-times.txt"; : > "$TIMES"
record() { printf '%-34s %6s ms\n' "$1" "$2" >> "$TIMES"; }

on_exit() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    echo "lab-up: FAILED (exit $rc) after $(( $(now_ms) - T_START )) ms; logs in $LOGS — stopping what was started" >&2
    for f in "$LOGS"/*.log; do [ -s "$f" ] && { echo "--- tail $f" >&2; tail -n 5 "$f" >&2; }; done
    bash "$LAB_HERE/lab-down.sh" "$DIR" >&2 || true
  fi
}
trap on_exit EXIT

# The lab user reads nothing from the project, which may sit where it cannot enter (a root home,
# a 0700 mktemp -d): the app, `pg` and the scripts a database's startCommand runs are copied here.
[ -f "$LAB_ROOT/node_modules/pg/package.json" ] || die "cannot find 'pg' in $LAB_ROOT/node_modules (npm ci)"
# Copy pg and its dependency closure into DIR/app/node_modules (flat; pg has no version clashes).
{
  "$APP_NODE" - "$LAB_ROOT" "$APPDIR/node_modules" <<'EOF'
const fs = require('fs'), path = require('path');
const [root, dest] = process.argv.slice(2);
const done = new Set();
function find(name, from) {
  for (let d = from; ; d = path.dirname(d)) {
    const c = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(c, 'package.json'))) return c;
    if (d === path.dirname(d)) return null;
  }
}
function visit(name, from, optional) {
  const dir = find(name, from);
  if (!dir) { if (optional) return; throw new Error(`cannot find ${name} from ${from}`); }
  if (done.has(name)) return;
  done.add(name);
  fs.cpSync(dir, path.join(dest, name), { recursive: true, dereference: true });
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const d of Object.keys(pj.dependencies || {})) visit(d, dir, false);
  for (const d of Object.keys(pj.optionalDependencies || {})) visit(d, dir, true);
}
visit('pg', root, false);
EOF
  chmod -R a+rX "$APPDIR/node_modules"
}
PG_MODULE="$APPDIR/node_modules/pg"
as_lab "$APP_NODE" -e 'require(process.argv[1])' "$PG_MODULE" || die "copied pg into $APPDIR but $LAB_USER cannot load it"
install -m 644 "$LAB_HERE/app/lab-app.cjs" "$APPDIR/lab-app.cjs"
install -d -m 755 "$LAB_BIN" && install -m 644 "$LAB_HERE/lib.sh" "$LAB_HERE/lab-ctl.sh" "$LAB_BIN/"

# lab.env first: lab-down and lab-ctl read it, also after a failed start. It becomes ports.env
# once everything is up (so "ports.env exists" means "this lab started"). No secrets in it.
cat > "$LAB_ENV" <<EOF
# Standby lab in $L (generated by test/lab/lab-up.sh). Sourceable by bash; secrets are files.
LAB_DIR=$L
LAB_PORT_BASE=$B
LAB_USER=$LAB_USER
PRIMARY_ADDR=$PRIMARY_ADDR
FAILOVER_ADDR=$FAILOVER_ADDR
DNS_ADDR=$DNS_ADDR
APP_BLUE_PORT=$APP_BLUE_PORT
APP_GREEN_PORT=$APP_GREEN_PORT
SSH_PORT=$SSH_PORT
PG_PORT=$PG_PORT
ROUTER_PORT=$ROUTER_PORT
PDNS_DNS_PORT=$PDNS_DNS_PORT
BIND_DNS_PORT=$BIND_DNS_PORT
PDNS_API_PORT=$PDNS_API_PORT
PRIMARY_ENTRY_URL=http://$PRIMARY_ADDR:$ROUTER_PORT/health
FAILOVER_ENTRY_URL=http://$FAILOVER_ADDR:$ROUTER_PORT/health
PDNS_API_URL=http://$DNS_ADDR:$PDNS_API_PORT
ZONE=$ZONE
RECORD=app.$ZONE
PDNS_API_KEY_FILE=$PDNS_API_KEY_FILE
PG_PASSWORD_FILE=$PG_PASSWORD_FILE
TSIG_KEY_FILE=$TSIG_KEY_FILE
TSIG_KEY_NAME=$TSIG_KEY_NAME
SSH_KEY=$CLIENT_KEY
SSH_KNOWN_HOSTS=$KNOWN_HOSTS
NGINX_UPSTREAM_FILE=$NGINX_UPSTREAM
NGINX_COMMAND='${NGINX_CMD[*]}'
HAPROXY_SOCKET=$HAPROXY_SOCKET
HAPROXY_MASTER_SOCKET=$HAPROXY_MASTER_SOCKET
HAPROXY_STATE_FILE=$HAPROXY_STATE_FILE
HAPROXY_BACKEND=be
PG_PRIMARY_DATA=$PG_PRIMARY_DATA
PG_PRIMARY_SOCKET_DIR=$PG_PRIMARY_SOCK
PG_REPLICA_DATA=$PG_REPLICA_DATA
PG_REPLICA_SOCKET_DIR=$PG_REPLICA_SOCK
PG_BIN=$PGBIN
PG_MODULE=$PG_MODULE
APP_NODE=$APP_NODE
WORKSPACE=$WORKSPACE
LOGS=$LOGS
PIDS=$PIDS
EOF
chmod 644 "$LAB_ENV"

# ---------------------------------------------------------------- secrets (root-only files, mode 600)
t0=$(now_ms)
( umask 077   # secret files hold the bare value (no trailing newline)
  printf '%s' "$(openssl rand -hex 16)" > "$PDNS_API_KEY_FILE"
  printf '%s' "$(openssl rand -hex 24)" > "$PG_PASSWORD_FILE"
  ssh-keygen -q -t ed25519 -N '' -C standby-lab-client -f "$CLIENT_KEY" )
REPL_PASSWORD="$(openssl rand -hex 24)"
chmod 644 "$CLIENT_KEY.pub"; install -m 644 "$CLIENT_KEY.pub" "$AUTH_KEYS"
for site in primary failover; do
  as_lab ssh-keygen -q -t ed25519 -N '' -C "standby-lab-$site-host" -f "$L/$site/ssh/host_ed25519"
done
# TSIG key for RFC 2136 (named reads it: group = lab user, mode 640).
tsig-keygen -a hmac-sha256 "$TSIG_KEY_NAME" > "$TSIG_KEY_FILE"
if is_root; then chown "root:$(id -gn "$LAB_USER")" "$TSIG_KEY_FILE"; fi
chmod 640 "$TSIG_KEY_FILE"
# PowerDNS ≥ 4.6 accepts a salted scrypt hash as api-key: its config never holds the key itself.
PDNS_API_KEY_CONF="$(pdnsutil --config-dir="$PDNS_DIR" hash-password < "$PDNS_API_KEY_FILE" 2>/dev/null | tail -n 1)" || true
[[ "$PDNS_API_KEY_CONF" == '$scrypt$'* ]] || PDNS_API_KEY_CONF="$(cat "$PDNS_API_KEY_FILE")"
record "secrets + keys" $(( $(now_ms) - t0 ))

# ---------------------------------------------------------------- configs
t0=$(now_ms)
cat > "$PDNS_DIR/pdns.conf" <<EOF
launch=gsqlite3
gsqlite3-database=$PDNS_DIR/pdns.sqlite3
local-address=$DNS_ADDR:$PDNS_DNS_PORT
api=yes
api-key=$PDNS_API_KEY_CONF
webserver=yes
webserver-address=$DNS_ADDR
webserver-port=$PDNS_API_PORT
webserver-allow-from=127.0.0.0/8
daemon=no
guardian=no
socket-dir=$PDNS_DIR
disable-syslog=yes
log-timestamp=yes
loglevel=4
# no secpoll: it would resolve secpoll.powerdns.com through the system resolver (off loopback)
security-poll-suffix=
default-ttl=30
default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 30
EOF
sqlite3 "$PDNS_DIR/pdns.sqlite3" < /usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
if is_root; then chown -R "$LAB_USER:" "$PDNS_DIR"; fi
chmod 600 "$PDNS_DIR/pdns.conf"

cat > "$BIND_DIR/named.conf" <<EOF
include "$TSIG_KEY_FILE";
options {
  directory "$BIND_DIR";
  pid-file "$BIND_DIR/named.pid";
  session-keyfile "$BIND_DIR/session.key";  // default is under /run/named (root-owned)
  managed-keys-directory "$BIND_DIR";
  listen-on port $BIND_DNS_PORT { $DNS_ADDR; };
  listen-on-v6 { none; };
  recursion no;                             // authoritative only: never queries the outside
  allow-recursion { none; };
  dnssec-validation no;
  notify no;
  allow-query { 127.0.0.0/8; };
  allow-transfer { key "$TSIG_KEY_NAME"; };
};
controls { };                               // no rndc listener on 127.0.0.1:953
logging {
  channel to_stderr { stderr; severity info; print-time yes; };
  category default { to_stderr; };
  category update { to_stderr; };
};
zone "$ZONE" {
  type primary;
  file "$BIND_DIR/$ZONE.zone";              // the dir must be writable: named writes $ZONE.zone.jnl
  allow-update { key "$TSIG_KEY_NAME"; };
};
EOF
cat > "$BIND_DIR/$ZONE.zone" <<EOF
\$TTL 30
@   IN SOA ns1.$ZONE. hostmaster.$ZONE. ( 1 60 30 3600 30 )
    IN NS  ns1.$ZONE.
ns1 30 IN A 127.0.0.1
app 30 IN A $PRIMARY_ADDR
EOF
if is_root; then chown "$LAB_USER:" "$BIND_DIR/named.conf" "$BIND_DIR/$ZONE.zone"; fi
as_lab named-checkconf "$BIND_DIR/named.conf" || die "named-checkconf failed"

for site in primary failover; do
  addr=$PRIMARY_ADDR; [ "$site" = failover ] && addr=$FAILOVER_ADDR
  S="$L/$site/ssh"
  cat > "$S/sshd_config" <<EOF
# sshd for the $site site; runs as $LAB_USER (so it can only log in as $LAB_USER), key-only.
ListenAddress $addr:$SSH_PORT
HostKey $S/host_ed25519
PidFile $S/sshd.pid
AuthorizedKeysFile $AUTH_KEYS
# StrictModes rejects key files below a world-writable dir such as /tmp
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $LAB_USER
AllowTcpForwarding local
# tunnels only to the two PostgreSQL nodes
PermitOpen $PRIMARY_ADDR:$PG_PORT $FAILOVER_ADDR:$PG_PORT
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
PrintMotd no
LogLevel VERBOSE
EOF
  if is_root; then chown "$LAB_USER:" "$S/sshd_config"; fi
  as_lab /usr/sbin/sshd -t -f "$S/sshd_config" || die "sshd -t failed for $site"
done
{
  printf '[%s]:%s %s\n' "$PRIMARY_ADDR" "$SSH_PORT" "$(cut -d' ' -f1,2 "$L/primary/ssh/host_ed25519.pub")"
  printf '[%s]:%s %s\n' "$FAILOVER_ADDR" "$SSH_PORT" "$(cut -d' ' -f1,2 "$L/failover/ssh/host_ed25519.pub")"
} > "$KNOWN_HOSTS"
chmod 644 "$KNOWN_HOSTS"

echo "upstream app { server $PRIMARY_ADDR:$APP_BLUE_PORT; keepalive 8; }" > "$NGINX_UPSTREAM"
cat > "$NGINX_DIR/nginx.conf" <<EOF
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log notice;
events { worker_connections 512; }
http {
  access_log $NGINX_DIR/access.log;
  # the compiled-in temp paths are under /var/lib/nginx (root only)
  client_body_temp_path $NGINX_DIR/tmp/body;
  proxy_temp_path       $NGINX_DIR/tmp/proxy;
  fastcgi_temp_path     $NGINX_DIR/tmp/fastcgi;
  uwsgi_temp_path       $NGINX_DIR/tmp/uwsgi;
  scgi_temp_path        $NGINX_DIR/tmp/scgi;
  # the live slot: rewritten (then nginx -t, nginx -s reload) to switch blue <-> green
  include $NGINX_UPSTREAM;
  server {
    listen $PRIMARY_ADDR:$ROUTER_PORT;
    location = /nginx-health { return 200 "ok\n"; }
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_connect_timeout 2s;
      proxy_read_timeout 10s;
    }
  }
}
EOF
if is_root; then chown "$LAB_USER:" "$NGINX_UPSTREAM" "$NGINX_DIR/nginx.conf"; fi
as_lab "${NGINX_CMD[@]}" -t >"$LOGS/nginx-t.log" 2>&1 || { cat "$LOGS/nginx-t.log" >&2; die "nginx -t failed"; }

cat > "$HAPROXY_DIR/haproxy.cfg" <<EOF
global
  stats socket $HAPROXY_SOCKET mode 600 level admin expose-fd listeners
  pidfile $HAPROXY_DIR/haproxy.pid
  # Runtime state (set server ... state/weight) survives a reload only through this file:
  # dump "show servers state" into it before reloading (SIGUSR2 to the master / master socket "reload").
  server-state-file $HAPROXY_STATE_FILE
  log stderr format short local0 notice
defaults
  mode http
  log global
  option dontlognull
  load-server-state-from-file global
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind $FAILOVER_ADDR:$ROUTER_PORT
  default_backend be
backend be
  option httpchk GET /health
  http-check expect status 200
  retries 2
  option redispatch
  server blue  $FAILOVER_ADDR:$APP_BLUE_PORT  check inter 1s
  server green $FAILOVER_ADDR:$APP_GREEN_PORT check inter 1s disabled
EOF
: > "$HAPROXY_STATE_FILE"
if is_root; then chown "$LAB_USER:" "$HAPROXY_DIR/haproxy.cfg" "$HAPROXY_STATE_FILE"; fi
as_lab /usr/sbin/haproxy -c -f "$HAPROXY_DIR/haproxy.cfg" >"$LOGS/haproxy-c.log" 2>&1 \
  || { cat "$LOGS/haproxy-c.log" >&2; die "haproxy -c failed"; }
record "configs" $(( $(now_ms) - t0 ))

# ---------------------------------------------------------------- DNS + sshd (start now, check later)
t0=$(now_ms)
for p in pdns named primary-sshd failover-sshd; do start_proc "$p"; done

# ---------------------------------------------------------------- PostgreSQL primary
as_lab "$PGBIN/initdb" -D "$PG_PRIMARY_DATA" -U postgres --auth-local=trust --auth-host=trust \
  -E UTF8 --locale=C.UTF-8 --no-sync --no-instructions >"$LOGS/initdb.log" 2>&1 || die "initdb failed (see $LOGS/initdb.log)"
record "initdb" $(( $(now_ms) - t0 ))
cat >> "$PG_PRIMARY_DATA/postgresql.conf" <<EOF
# --- Standby lab. Site settings are repeated on the postgres command line (lib.sh), which wins
# over this file: pg_rewind copies the source's config files and would swap them.
listen_addresses = '$PRIMARY_ADDR'
port = $PG_PORT
unix_socket_directories = '$PG_PRIMARY_SOCK'
cluster_name = 'lab-primary'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = '128MB'
wal_log_hints = on            # lets pg_rewind turn a fenced old primary into a replica
hot_standby = on
hot_standby_feedback = on
shared_buffers = 32MB
max_connections = 60
log_line_prefix = '%m [%p] %q%a '
EOF
# Local (socket) connections: trust, but the socket dir is 700 and owned by the lab user.
cat > "$PG_PRIMARY_DATA/pg_hba.conf" <<EOF
local   all          all                       trust
local   replication  all                       trust
host    all          all          127.0.0.0/8  scram-sha-256
host    replication  replicator   127.0.0.0/8  scram-sha-256
EOF
t0=$(now_ms)
start_proc pg-primary
wait_until 20 proc_ready pg-primary || die "PostgreSQL primary did not start (see $LOGS/pg-primary.log)"
record "pg primary start" $(( $(now_ms) - t0 ))
"$PGBIN/psql" -h "$PG_PRIMARY_SOCK" -p "$PG_PORT" -U postgres -d postgres -qAtX -v ON_ERROR_STOP=1 >/dev/null <<EOF
ALTER ROLE postgres PASSWORD '$(cat "$PG_PASSWORD_FILE")';
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$REPL_PASSWORD';
CREATE DATABASE app;
\c app
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE side_effects (id serial PRIMARY KEY, kind text NOT NULL, item_id int, created_at timestamptz NOT NULL DEFAULT now());
EOF
for p in primary-blue primary-green; do start_proc "$p"; done

# ---------------------------------------------------------------- PostgreSQL streaming replica
t0=$(now_ms)
# The replication password sits in a passfile the replica server reads (lab user, 600);
# -R writes primary_conninfo with passfile=…, -C -S creates the physical slot replica1.
( umask 077; printf '%s:%s:*:replicator:%s\n' "$PRIMARY_ADDR" "$PG_PORT" "$REPL_PASSWORD" > "$PG_REPLICA_PASSFILE"
  # After a failover the old primary is rejoined as a replica of the failover node (db.rejoin):
  # its primary_conninfo points at this passfile (workspace databases[].replicationPassfile).
  printf '%s:%s:*:replicator:%s\n' "$FAILOVER_ADDR" "$PG_PORT" "$REPL_PASSWORD" > "$PG_PRIMARY_PASSFILE" )
if is_root; then chown "$LAB_USER:" "$PG_REPLICA_PASSFILE" "$PG_PRIMARY_PASSFILE"; fi
as_lab env PGPASSFILE="$PG_REPLICA_PASSFILE" "$PGBIN/pg_basebackup" -h "$PRIMARY_ADDR" -p "$PG_PORT" -U replicator \
  -D "$PG_REPLICA_DATA" -R -X stream -C -S replica1 -c fast --no-sync >"$LOGS/basebackup.log" 2>&1 \
  || die "pg_basebackup failed (see $LOGS/basebackup.log)"
grep -q passfile "$PG_REPLICA_DATA/postgresql.auto.conf" \
  || die "pg_basebackup -R wrote no passfile into primary_conninfo"
# The copy carries the primary's postgresql.conf: override the site settings (last one wins).
cat >> "$PG_REPLICA_DATA/postgresql.conf" <<EOF
listen_addresses = '$FAILOVER_ADDR'
unix_socket_directories = '$PG_REPLICA_SOCK'
cluster_name = 'lab-replica'
EOF
record "pg_basebackup -R -C -S replica1" $(( $(now_ms) - t0 ))
t0=$(now_ms)
start_proc pg-replica
wait_until 20 proc_ready pg-replica || die "PostgreSQL replica did not start (see $LOGS/pg-replica.log)"
for p in failover-blue failover-green; do start_proc "$p"; done
streaming() {
  [ "$("$PGBIN/psql" -h "$PG_PRIMARY_SOCK" -p "$PG_PORT" -U postgres -d postgres -qAtX -c \
    "select count(*) from pg_stat_replication where state = 'streaming'")" = 1 ]
}
wait_until 20 streaming || die "the replica is not streaming (see $LOGS/pg-replica.log)"
record "pg replica start + streaming" $(( $(now_ms) - t0 ))
# A database's startCommand (workspace.yaml) is `lab-ctl.sh DIR start pg-…` run over SSH as the
# lab user, so it must be able to record the new PID and append to the log, like lab-ctl as root.
if is_root; then
  for p in pg-primary pg-replica; do chown "$LAB_USER:" "$PIDS/$p.pid" "$LOGS/$p.log"; done
fi

# ---------------------------------------------------------------- apps, routers
t0=$(now_ms)
for p in primary-blue primary-green failover-blue failover-green; do
  wait_until 10 proc_ready "$p" || die "$p is not listening (see $LOGS/$p.log)"
done
start_proc primary-nginx
start_proc failover-haproxy
wait_until 10 proc_ready primary-nginx || die "nginx did not start (see $NGINX_DIR/error.log)"
wait_until 10 proc_ready failover-haproxy || die "haproxy did not start (see $LOGS/failover-haproxy.log)"
record "apps + nginx + haproxy" $(( $(now_ms) - t0 ))

# ---------------------------------------------------------------- DNS zone, sshd
t0=$(now_ms)
wait_until 15 proc_ready pdns || die "PowerDNS API did not come up (see $LOGS/pdns.log)"
pdns_api POST /servers/localhost/zones "$(cat <<EOF
{"name":"$ZONE.","kind":"Native","nameservers":["ns1.$ZONE."],
 "rrsets":[{"name":"ns1.$ZONE.","type":"A","ttl":30,"records":[{"content":"127.0.0.1","disabled":false}]},
           {"name":"app.$ZONE.","type":"A","ttl":30,"records":[{"content":"$PRIMARY_ADDR","disabled":false}]}]}
EOF
)" >/dev/null || die "cannot create zone $ZONE in PowerDNS"
wait_until 15 proc_ready named || die "named does not answer (see $LOGS/named.log)"
for p in primary-sshd failover-sshd; do wait_until 10 proc_ready "$p" || die "$p did not start (see $LOGS/$p.log)"; done
record "pdns zone + named + sshd" $(( $(now_ms) - t0 ))

# ---------------------------------------------------------------- end-to-end checks
t0=$(now_ms)
health_is() { # URL SITE ROLE
  local body; body="$(curl -sf --max-time 1 "$1")" || return 1
  [[ "$body" == *"\"site\":\"$2\""* && "$body" == *'"slot":"blue"'* && "$body" == *"\"dbRole\":\"$3\""* ]]
}
wait_until 15 health_is "http://$PRIMARY_ADDR:$ROUTER_PORT/health" primary primary || die "primary site /health via nginx is not ok"
wait_until 15 health_is "http://$FAILOVER_ADDR:$ROUTER_PORT/health" failover replica || die "failover site /health via haproxy is not ok"
for port in "$PDNS_DNS_PORT" "$BIND_DNS_PORT"; do
  ans="$(dig +noall +answer +time=1 +tries=2 @"$DNS_ADDR" -p "$port" "app.$ZONE" A)"
  [[ "$ans" =~ app\.$ZONE\.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+$PRIMARY_ADDR ]] \
    || die "DNS on port $port answers '$ans', expected app.$ZONE. 30 IN A $PRIMARY_ADDR"
done
record "health via routers + DNS answers" $(( $(now_ms) - t0 ))

# ---------------------------------------------------------------- workspace.yaml
cat > "$WORKSPACE" <<EOF
# Standby workspace for the lab in $L (port base $B), generated by test/lab/lab-up.sh.
# Secrets are file references (mode 600). Stop the lab with: bash test/lab/lab-down.sh $L --rm
version: 1
store:
  path: $L/standby.sqlite
  retentionHours: 24
environments:
  - name: lab
    objectives:
      rtoSeconds: 60
      rpoSeconds: 5
    expectedRunbookSeconds: 10
    probes:
      intervalMs: 1000
      timeoutMs: 800
      healthyThreshold: 1
      unhealthyThreshold: 2
    pollIntervalMs: 1000
    zone: $ZONE
    sites:
      - name: primary
        role: production
        address: $PRIMARY_ADDR
        ssh:
          host: $PRIMARY_ADDR
          port: $SSH_PORT
          user: $LAB_USER
          privateKey: { file: "$CLIENT_KEY" }
          knownHosts: "$KNOWN_HOSTS"
        router:
          kind: nginx
          entryUrl: "http://$PRIMARY_ADDR:$ROUTER_PORT/health"
          upstreamFile: "$NGINX_UPSTREAM"
          nginxCommand: "${NGINX_CMD[*]}"
        slots:
          - name: blue
            url: "http://$PRIMARY_ADDR:$APP_BLUE_PORT"
            healthPath: /health
            routerId: "$PRIMARY_ADDR:$APP_BLUE_PORT"
          - name: green
            url: "http://$PRIMARY_ADDR:$APP_GREEN_PORT"
            healthPath: /health
            routerId: "$PRIMARY_ADDR:$APP_GREEN_PORT"
      - name: failover
        role: failover
        address: $FAILOVER_ADDR
        ssh:
          host: $FAILOVER_ADDR
          port: $SSH_PORT
          user: $LAB_USER
          privateKey: { file: "$CLIENT_KEY" }
          knownHosts: "$KNOWN_HOSTS"
        router:
          kind: haproxy
          entryUrl: "http://$FAILOVER_ADDR:$ROUTER_PORT/health"
          adminSocket: "$HAPROXY_SOCKET"
          backend: be
          serverStateFile: "$HAPROXY_STATE_FILE"
        slots:
          - name: blue
            url: "http://$FAILOVER_ADDR:$APP_BLUE_PORT"
            healthPath: /health
            routerId: blue
          - name: green
            url: "http://$FAILOVER_ADDR:$APP_GREEN_PORT"
            healthPath: /health
            routerId: green
    dnsProviders:
      - name: powerdns
        kind: powerdns
        apiUrl: "http://$DNS_ADDR:$PDNS_API_PORT"
        serverId: localhost
        apiKey: { file: "$PDNS_API_KEY_FILE" }
        nameservers: ["$DNS_ADDR:$PDNS_DNS_PORT"]
      - name: bind
        kind: rfc2136
        server: "$DNS_ADDR:$BIND_DNS_PORT"
        tsigKey: { file: "$TSIG_KEY_FILE" }
        nameservers: ["$DNS_ADDR:$BIND_DNS_PORT"]
    records:
      - name: app.$ZONE
        type: A
        values: { primary: $PRIMARY_ADDR, failover: $FAILOVER_ADDR }
        ttlSeconds: 30
        failoverTtlSeconds: 5
    databases:
      - name: pg-primary
        site: primary
        engine: postgresql
        host: $PRIMARY_ADDR
        port: $PG_PORT
        database: app
        user: postgres
        password: { file: "$PG_PASSWORD_FILE" }
        viaSsh: true
        dataDir: "$PG_PRIMARY_DATA"
        pgBin: $PGBIN
        # started exactly as lab-up/lab-ctl start it (site settings on the postgres command line)
        startCommand: "bash $LAB_BIN/lab-ctl.sh $L start pg-primary"
        replicationUser: replicator
        replicationPassfile: "$PG_PRIMARY_PASSFILE"
      - name: pg-replica
        site: failover
        engine: postgresql
        host: $FAILOVER_ADDR
        port: $PG_PORT
        database: app
        user: postgres
        password: { file: "$PG_PASSWORD_FILE" }
        viaSsh: true
        dataDir: "$PG_REPLICA_DATA"
        pgBin: $PGBIN
        startCommand: "bash $LAB_BIN/lab-ctl.sh $L start pg-replica"
        replicationUser: replicator
        replicationPassfile: "$PG_REPLICA_PASSFILE"
        replicationSlot: replica1
EOF
chmod 644 "$WORKSPACE"
# The lab's runbooks sit beside the workspace (runbooksDir defaults to ./runbooks), as a team's would.
install -d -m 755 "$L/runbooks" && install -m 644 "$LAB_HERE"/runbooks/*.yaml "$L/runbooks/"
t0=$(now_ms)
PROJECT_NODE="$LAB_ROOT/node_modules/.bin/node"; [ -x "$PROJECT_NODE" ] || PROJECT_NODE=node
"$PROJECT_NODE" "$LAB_HERE/validate-workspace.ts" "$WORKSPACE" || die "$WORKSPACE does not match the workspace schema"
record "workspace.yaml validated" $(( $(now_ms) - t0 ))

install -m 644 "$LAB_ENV" "$PORTS_ENV"
TOTAL=$(( $(now_ms) - T_START ))
record "TOTAL lab up" "$TOTAL"
trap - EXIT
cat <<EOF
lab up in ${TOTAL} ms: $L (port base $B, servers run as $LAB_USER)
  workspace   $WORKSPACE
  primary     http://$PRIMARY_ADDR:$ROUTER_PORT/health (nginx -> blue :$APP_BLUE_PORT)   ssh $LAB_USER@$PRIMARY_ADDR -p $SSH_PORT   pg $PRIMARY_ADDR:$PG_PORT (primary)
  failover    http://$FAILOVER_ADDR:$ROUTER_PORT/health (haproxy -> blue :$APP_BLUE_PORT) ssh $LAB_USER@$FAILOVER_ADDR -p $SSH_PORT   pg $FAILOVER_ADDR:$PG_PORT (replica)
  dns         PowerDNS $DNS_ADDR:$PDNS_DNS_PORT (API http://$DNS_ADDR:$PDNS_API_PORT)   BIND $DNS_ADDR:$BIND_DNS_PORT (TSIG $TSIG_KEY_NAME)   app.$ZONE A $PRIMARY_ADDR TTL 30
  ports/paths $PORTS_ENV
  stop        bash $LAB_HERE/lab-down.sh $L --keep-store   (--rm also deletes the console store and audit log)
EOF
