#!/usr/bin/env bash
# Makes sure a Docker engine answers `docker info`. Idempotent: when one already answers, it only
# prints its version. Otherwise it starts Debian's `dockerd` (package docker.io) in the background
# with the cgroupfs cgroup driver (this project's hosts are cgroup v1 without systemd), logging to
# $BK_DOCKERD_LOG (default /var/log/bk-dockerd.log), and waits up to $BK_DOCKERD_TIMEOUT seconds
# (default 90), printing progress. Fails with the tail of that log when the engine does not come up.
#
# Run by .ci/run and by scripts/kind/docker.ts (ensureDocker). Prints one final line
#   docker: ready <server version> (<how>)
# where <how> is "already running" or "started dockerd pid <pid>, log <file>".
set -euo pipefail
log="${BK_DOCKERD_LOG:-/var/log/bk-dockerd.log}"
timeout="${BK_DOCKERD_TIMEOUT:-90}"

server_version() { docker info --format '{{.ServerVersion}}' 2>/dev/null; }

if ! command -v docker >/dev/null 2>&1; then
  echo "docker: the docker CLI is not installed. Fix: apt-get install docker.io (scripts/ci/apt.sh does)." >&2
  exit 1
fi
if v=$(server_version) && [ -n "$v" ]; then
  echo "docker: ready $v (already running)"
  exit 0
fi
dockerd_bin=$(command -v dockerd || true)
if [ -z "$dockerd_bin" ]; then
  echo "docker: no Docker engine answers and dockerd is not installed. Fix: apt-get install docker.io, or start your Docker engine." >&2
  exit 1
fi
sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)

# One starter at a time (several worktrees or test runs may call this together).
lock="${TMPDIR:-/tmp}/bk-dockerd.lock"
exec 9>"$lock"
flock -w "$timeout" 9 || { echo "docker: another process holds $lock for more than ${timeout}s" >&2; exit 1; }
if v=$(server_version) && [ -n "$v" ]; then
  echo "docker: ready $v (started by another process meanwhile)"
  exit 0
fi

# A stale pid file from a dockerd that died makes the next one refuse to start.
pidfile=/var/run/docker.pid
if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then
  "${sudo[@]}" rm -f "$pidfile"
fi

"${sudo[@]}" mkdir -p "$(dirname "$log")"
echo "docker: starting $dockerd_bin (cgroupfs driver), log $log"
# setsid: the daemon outlives this script and the CI step; it is not part of our process group.
"${sudo[@]}" setsid "$dockerd_bin" --exec-opt native.cgroupdriver=cgroupfs >>"$log" 2>&1 < /dev/null &
pid=$!
start=$SECONDS
next=5
while true; do
  if v=$(server_version) && [ -n "$v" ]; then
    echo "docker: ready $v (started dockerd pid $pid in $((SECONDS - start))s, log $log)"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "docker: dockerd exited during start-up. Last lines of $log:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  if [ $((SECONDS - start)) -ge "$timeout" ]; then
    echo "docker: dockerd (pid $pid) did not answer within ${timeout}s. Last lines of $log:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  if [ $((SECONDS - start)) -ge "$next" ]; then
    echo "docker: waiting for dockerd ($((SECONDS - start))s)..."
    next=$((next + 5))
  fi
  sleep 0.5
done
