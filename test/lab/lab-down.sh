#!/usr/bin/env bash
# Stop everything lab-up.sh started in DIR, then optionally delete DIR.
#   usage: bash test/lab/lab-down.sh DIR [--rm]
# PostgreSQL first through `pg_ctl stop -m fast` for every cluster found in DIR (wherever its
# data dir is now, e.g. after a rewind), then TERM → (5 s) → KILL for each recorded PID, but only
# after /proc/PID/comm and its command line prove it is this lab's server. Never kills by name.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

DIR_ARG="${1:?usage: lab-down.sh DIR [--rm]}"
[ -d "$DIR_ARG" ] || { echo "lab-down: $DIR_ARG does not exist (already down)"; exit 0; }
DIR="$(cd "$DIR_ARG" && pwd)"
[ -f "$DIR/lab.env" ] || [ -f "$DIR/ports.env" ] || die "$DIR has no lab.env/ports.env: not a lab directory, refusing to touch it"
lab_load "$DIR"
lab_enter
is_root || LAB_USER="$(id -un)"
T0=$(now_ms)

# PostgreSQL: the recorded data dirs plus any other cluster under DIR (postmaster.pid line 1 = PID).
declare -A seen=()
pgdirs=()
while IFS= read -r f; do
  d="$(dirname "$f")"; [ -n "${seen[$d]:-}" ] && continue; seen[$d]=1; pgdirs+=("$d")
done < <({ ls "$PG_PRIMARY_DATA/postmaster.pid" "$PG_REPLICA_DATA/postmaster.pid" 2>/dev/null
           find "$L" -maxdepth 4 -name postmaster.pid 2>/dev/null; } | sort -u)
for d in "${pgdirs[@]}"; do
  pid="$(head -n 1 "$d/postmaster.pid" 2>/dev/null)"
  # pg_ctl checks the postmaster itself; we only insist the PID is a postgres of this lab.
  if is_ours "$pid" pg-x; then
    as_lab "$PGBIN/pg_ctl" -D "$d" -m fast -w -t 20 stop >/dev/null 2>&1 &
  fi
done
wait

# Everything else (and any postgres that survived) by recorded PID, in parallel.
names=()
for f in "$PIDS"/*.pid; do
  [ -f "$f" ] || continue
  name="$(basename "$f" .pid)"; pid="$(cat "$f")"
  if is_ours "$pid" "$name"; then names+=("$name"); stop_pid "$pid" "$name" & fi
done
wait
left=()
for f in "$PIDS"/*.pid; do
  [ -f "$f" ] || continue
  name="$(basename "$f" .pid)"; pid="$(cat "$f")"
  is_ours "$pid" "$name" && left+=("$name($pid)")
done
echo "lab down in $(( $(now_ms) - T0 )) ms: $L (stopped ${#pgdirs[@]} PostgreSQL cluster(s) and ${#names[@]} other process(es))"
[ ${#left[@]} -eq 0 ] || { echo "lab-down: still running: ${left[*]}" >&2; exit 1; }

if [ "${2:-}" = "--rm" ]; then
  cd / && rm -rf "$L" && echo "removed $L"
fi
exit 0
