#!/usr/bin/env bash
# Stop, start or inspect one server of a running lab, exactly as lab-up.sh started it.
#   usage: bash test/lab/lab-ctl.sh DIR stop|start|status NAME
#   NAME: pdns named primary-sshd failover-sshd pg-primary pg-replica primary-blue primary-green
#         failover-blue failover-green primary-nginx failover-haproxy
# stop:   TERM (postgres: INT = fast shutdown) to the recorded PID after checking it is ours;
#         KILL after 5 s. Succeeds if it is not running.
# start:  starts it again (same command, same user, same log) and waits ≤ 15 s until it answers.
# status: prints "NAME running PID" or "NAME stopped"; exit 0 either way.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DIR_ARG="${1:?usage: lab-ctl.sh DIR stop|start|status NAME}"
ACTION="${2:?usage: lab-ctl.sh DIR stop|start|status NAME}"
NAME="${3:?usage: lab-ctl.sh DIR stop|start|status NAME}"
DIR="$(cd "$DIR_ARG" && pwd)"
lab_load "$DIR"
lab_enter
is_root || LAB_USER="$(id -un)"
expected_comm "$NAME" >/dev/null || die "unknown process '$NAME' (one of: ${LAB_PROCS[*]})"
pid="$(recorded_pid "$NAME" || true)"

case "$ACTION" in
  status)
    if is_ours "$pid" "$NAME"; then echo "$NAME running $pid"; else echo "$NAME stopped"; fi ;;
  stop)
    if is_ours "$pid" "$NAME"; then
      # A host that goes down takes its SSH sessions with it: OpenSSH keeps one process per
      # established session, children of the listener, which outlive a stopped listener.
      sessions=()
      if [[ "$NAME" == *-sshd ]]; then
        for st in /proc/[0-9]*/stat; do
          read -r cpid ccomm _ cppid _ < "$st" 2>/dev/null || continue
          [ "$cppid" = "$pid" ] && [ "$ccomm" = "(sshd)" ] && sessions+=("$cpid")
        done
      fi
      stop_pid "$pid" "$NAME"
      for s in "${sessions[@]}"; do kill -TERM "$s" 2>/dev/null || true; done
      echo "$NAME stopped (was $pid${sessions:+, and ${#sessions[@]} session(s)})"
    else
      echo "$NAME was not running"
    fi ;;
  start)
    is_ours "$pid" "$NAME" && die "$NAME is already running ($pid)"
    t0=$(now_ms)
    start_proc "$NAME"
    wait_until 15 proc_ready "$NAME" || die "$NAME did not come back within 15 s (see $LOGS/$NAME.log)"
    echo "$NAME started $(cat "$PIDS/$NAME.pid") in $(( $(now_ms) - t0 )) ms" ;;
  *) die "action must be stop, start or status" ;;
esac
