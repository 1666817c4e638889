#!/usr/bin/env bash
# Source this file: it puts a Node.js >= 22.18 on PATH (22.18 runs TypeScript scripts natively).
# Uses the system node when it is new enough; otherwise installs the `node` package from the npm
# registry (it carries the official binary) into a per-machine cache and prepends it to PATH.
BK_NODE_VERSION="${BK_NODE_VERSION:-22.23.3}"
# Prints 1 when the node on PATH is >= 22.18, else 0.
_bk_node_ok() { node -p 'const [a,b]=process.versions.node.split(".").map(Number); a>22||(a===22&&b>=18)?1:0' 2>/dev/null || echo 0; }
if [ "$(_bk_node_ok)" != 1 ]; then
  _bk_node_dir="${XDG_CACHE_HOME:-$HOME/.cache}/backstage-keycloak/node-${BK_NODE_VERSION}"
  if [ ! -x "$_bk_node_dir/node_modules/.bin/node" ]; then
    echo "ensure-node: system node is $(node --version 2>/dev/null || echo missing); installing node@${BK_NODE_VERSION} from the npm registry into $_bk_node_dir" >&2
    mkdir -p "$_bk_node_dir"
    npm install --prefix "$_bk_node_dir" --no-save --no-audit --no-fund --loglevel=error "node@${BK_NODE_VERSION}" >&2
  fi
  export PATH="$_bk_node_dir/node_modules/.bin:$PATH"
  if [ "$(_bk_node_ok)" != 1 ]; then
    echo "ensure-node: could not provide Node.js >= 22.18 (got $(node --version 2>/dev/null || echo none)). Install Node 22 LTS (22.18+) or newer and retry." >&2
    return 1 2>/dev/null || exit 1
  fi
fi
