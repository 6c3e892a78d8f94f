#!/usr/bin/env bash
# Runs inside `dbus-run-session` for test/integration/os-keychain.test.ts: starts a real
# gnome-keyring Secret Service on that private session bus, stores one entry the way a user would
# (secret-tool, value on stdin), then reads it through Standby's resolver in Node children
# (test/support/keyring-read.ts) under several conditions. Prints, one per line:
#   DAEMON <pid>                                   each gnome-keyring-daemon started
#   CASE <name> <child exit code> <wall ms> <json> each read (json from keyring-read.ts)
#   FAIL <why>                                     setup failed (exit 1)
# env: KR_NODE, KR_READ (node binary, child script), KR_SERVICE, KR_ACCOUNT, KR_VALUE (the secret;
# never printed). HOME / XDG_* must point into a throwaway directory (the caller sets them), so
# the user's own keyrings are never opened.
set -u
now_ms() { date +%s%3N; }
DAEMON=''
stop_daemon() {
  [ -n "$DAEMON" ] || return 0
  kill -CONT "$DAEMON" 2>/dev/null # a stopped process cannot act on SIGTERM
  kill "$DAEMON" 2>/dev/null
  wait "$DAEMON" 2>/dev/null
  DAEMON=''
}
trap stop_daemon EXIT

# $1 = "--unlock" (create/unlock the login keyring with a password read from stdin) or "" (locked).
start_daemon() {
  if [ "$1" = --unlock ]; then
    printf 'standby-test-keyring' | gnome-keyring-daemon --foreground --unlock --components=secrets >>"$HOME/gkd.log" 2>&1 &
  else
    gnome-keyring-daemon --foreground --components=secrets </dev/null >>"$HOME/gkd.log" 2>&1 &
  fi
  DAEMON=$!
  echo "DAEMON $DAEMON"
  # Ready when it owns org.freedesktop.secrets on this bus (≤ 5 s; took ~0.2 s here).
  for _ in $(seq 50); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
      return 0
    fi
    sleep 0.1
  done
  echo "FAIL gnome-keyring-daemon did not register org.freedesktop.secrets within 5 s: $(tail -n 5 "$HOME/gkd.log" | tr '\n' ' ')"
  exit 1
}

# read_case NAME ACCOUNT [VAR=VALUE...]: one Node child, bounded by `timeout` (30 s).
read_case() {
  local name=$1 account=$2 t out rc
  shift 2
  t=$(now_ms)
  out=$(env KR_ACCOUNT="$account" "$@" timeout 30 "$KR_NODE" "$KR_READ" 2>>"$HOME/child.log")
  rc=$?
  [ -n "$out" ] || out='{}'
  echo "CASE $name $rc $(( $(now_ms) - t )) $out"
}

start_daemon --unlock
printf '%s' "$KR_VALUE" | timeout 10 secret-tool store --label="standby-test $KR_SERVICE" service "$KR_SERVICE" username "$KR_ACCOUNT" \
  || { echo "FAIL secret-tool store exited $?"; exit 1; }

read_case stored "$KR_ACCOUNT" KR_EXPECTED="$KR_VALUE" KR_REPEAT=10
read_case missing "nobody-$$"

# A hung Secret Service: the daemon is frozen, the bus still routes calls to it.
kill -STOP "$DAEMON"
read_case hung-reader-timeout "$KR_ACCOUNT" KR_TIMEOUT_MS=500
read_case hung-default "$KR_ACCOUNT"
kill -CONT "$DAEMON"

# A locked keyring: a fresh daemon that was not given the password. With no prompter on this bus
# gnome-keyring dismisses the unlock prompt at once.
stop_daemon
start_daemon ''
read_case locked "$KR_ACCOUNT"
stop_daemon
