#!/usr/bin/env bash
# Install (idempotently) every Debian package the lab (test/lab) and the e2e tests need.
#   usage: sudo bash .ci/install-apt.sh        (Debian 12 / bookworm; ~20 s cold, ~0.1 s when all present)
# Never lets a package start its daemon: pdns, named, nginx, sshd would bind :53/:80/:22 on every
# address as root. The lab starts its own copies, unprivileged, on loopback high ports.
set -euo pipefail
now_ms() { date +%s%3N; }
T0=$(now_ms)
if [ "$(id -u)" != 0 ]; then
  # a developer's machine: ask for root through sudo (the README's one-liners run as a user)
  command -v sudo >/dev/null 2>&1 && exec sudo bash "$0" "$@"
  echo "install-apt: run as root (sudo bash $0)" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive

# 1. policy-rc.d guard first (exit 101 = "action forbidden" for invoke-rc.d during postinst).
if [ ! -x /usr/sbin/policy-rc.d ] || ! grep -q 'exit 101' /usr/sbin/policy-rc.d; then
  printf '#!/bin/sh\n# no daemon may start from package scripts (Standby lab)\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  echo "install-apt: wrote /usr/sbin/policy-rc.d (exit 101)"
fi

PKGS=(
  pdns-server pdns-backend-sqlite3          # DNS provider A (HTTP API)
  bind9 bind9-utils bind9-dnsutils          # DNS provider B (RFC 2136 + TSIG), dig, nsupdate
  postgresql                                # PostgreSQL 15 on bookworm: primary + streaming replica
  nginx haproxy                             # blue/green routers
  openssh-server openssh-client             # sshd per site, ssh-keygen/ssh-keyscan
  chromium xvfb                             # e2e (headless and headed)
  socat sqlite3 curl procps iproute2 openssl util-linux passwd ca-certificates
  gnome-keyring libsecret-tools dbus        # {keychain} refs: a real Secret Service, secret-tool, dbus-run-session
)
# The lab app runs on the system Node (/usr/bin/node ≥ 18); keep an image-provided one.
[ -x /usr/bin/node ] || PKGS+=(nodejs)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-apt: all ${#PKGS[@]} packages already installed ($(( $(now_ms) - T0 )) ms)"
else
  echo "install-apt: installing ${#missing[@]} package(s): ${missing[*]}"
  t=$(now_ms)
  apt-get update -qq
  echo "install-apt: apt-get update $(( $(now_ms) - t )) ms"
  t=$(now_ms)
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/install-apt.log 2>&1 \
    || { tail -n 40 /tmp/install-apt.log >&2; exit 1; }
  echo "install-apt: apt-get install $(( $(now_ms) - t )) ms"
fi

# The lab hard-codes PostgreSQL 15's binaries; fail here rather than in the first test.
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "install-apt: PostgreSQL 15 not found in /usr/lib/postgresql/15 (this script targets Debian 12)" >&2; exit 1; }
# Package scripts may have created default clusters/daemons despite the guard: none must run.
for d in named pdns_server nginx haproxy; do
  if pgrep -u root -x "$d" >/dev/null 2>&1; then echo "install-apt: warning: a root $d is running (started outside this script?)" >&2; fi
done
echo "install-apt: done in $(( $(now_ms) - T0 )) ms"
