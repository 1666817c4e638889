#!/usr/bin/env bash
# Idempotent Debian packages the test tiers need. Installs only what is missing, runs
# `apt-get update` at most once, never pulls recommends. Add packages to the list below.
#   postgresql  throwaway database for the SSO tier (scripts/lib/run/postgres.ts)
#   chromium    headless browser driven by playwright-core (test/support/browser.ts; chromium path in scripts/lib/run/apt.ts)
#   busybox     the `helm test` pod's shell and wget, run by the unit tier (test/unit/helm-test-pod.test.ts)
#   debootstrap Debian rootfs trees the images are built from (scripts/images/debian.ts)
#   docker.io   the Docker engine of the kind cluster tier (scripts/ci/docker.sh, scripts/kind/)
#   redis-server the server-side session store of oauth2-proxy in the SSO tier (scripts/lib/run/redis.ts)
#   nginx       the ingress stand-in in front of the kind cluster (test/support/nginx.ts)
#   gcc libc6-dev libseccomp-dev pkg-config   cgo build of runc with static libseccomp, pause.c (scripts/kind/native-tools.ts)
#   python3 python3-pip   pip installs the pinned mkdocs TechDocs runs (scripts/lib/tools/mkdocs.ts)
set -euo pipefail
packages=(postgresql chromium busybox debootstrap docker.io redis-server nginx gcc libc6-dev libseccomp-dev pkg-config python3 python3-pip)
# A machine that already has a Docker engine (e.g. docker-ce on GitHub's runners) keeps it:
# Debian's docker.io would conflict with it.
if command -v dockerd >/dev/null 2>&1 && ! dpkg-query -W -f='${Status}' docker.io 2>/dev/null | grep -q 'install ok installed'; then
  packages=("${packages[@]/docker.io}")
fi
missing=()
for p in "${packages[@]}"; do
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "apt: already installed: ${packages[*]}"; exit 0; }
sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "apt: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
