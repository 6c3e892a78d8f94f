#!/usr/bin/env bash
# Stop everything lab-up.sh started in DIR, then optionally delete DIR.
#   usage: bash test/lab/lab-down.sh DIR [--keep-store | --rm]
#   (none)        stop the servers, delete nothing
#   --keep-store  stop, then delete the lab's own files but keep the console's store and audit log
#                 (DIR/standby.sqlite*: the run journal, samples, the hash-chained audit log and
#                 whatever sits next to them); a later lab-up.sh DIR starts on them again
#   --rm          stop, then delete DIR including the store and the audit log (said so)
# PostgreSQL first through `pg_ctl stop -m fast` for every cluster found in DIR (wherever its
# data dir is now, e.g. after a rewind), then TERM → (5 s) → KILL for each recorded PID, but only
# after /proc/PID/comm and its command line prove it is this lab's server. Never kills by name.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

DIR_ARG="${1:?usage: lab-down.sh DIR [--keep-store | --rm]}"
MODE="${2:-}"
case "$MODE" in ""|--keep-store|--rm) ;; *) die "unknown option '$MODE' (usage: lab-down.sh DIR [--keep-store | --rm])" ;; esac
[ -d "$DIR_ARG" ] || { echo "lab-down: $DIR_ARG does not exist (already down)"; exit 0; }
DIR="$(cd "$DIR_ARG" && pwd)"
# The console's files: the SQLite store (and -wal/-shm) and everything named after it (audit log).
store_files() { find "$1" -mindepth 1 -maxdepth 1 -name 'standby.sqlite*' -print 2>/dev/null | sort; }
# A lab already taken down with --keep-store: only the console's files are left.
if [ ! -f "$DIR/lab.env" ] && [ ! -f "$DIR/ports.env" ] && [ -n "$(store_files "$DIR")" ] \
   && [ -z "$(find "$DIR" -mindepth 1 -maxdepth 1 ! -name 'standby.sqlite*' -print -quit)" ]; then
  if [ "$MODE" = "--rm" ]; then
    echo "removed the console store and audit log: $(store_files "$DIR" | tr '\n' ' ')"
    cd / && rm -rf "$DIR" && echo "removed $DIR"
  else
    echo "lab-down: no lab running in $DIR; kept the console store and audit log: $(store_files "$DIR" | tr '\n' ' ')(delete them with --rm)"
  fi
  exit 0
fi
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

kept="$(store_files "$L" | tr '\n' ' ')"
case "$MODE" in
  --rm)
    cd / && rm -rf "$L" && echo "removed $L${kept:+, including the console store and audit log: $kept}" ;;
  --keep-store)
    find "$L" -mindepth 1 -maxdepth 1 ! -name 'standby.sqlite*' -exec rm -rf {} +
    echo "removed the lab's files from $L${kept:+; kept the console store and audit log: $kept(delete them with --rm)}" ;;
  *)
    echo "kept $L${kept:+ (the console store and audit log: $kept)}" ;;
esac
exit 0
