#!/bin/sh
# Every replica of a compose service gets the same environment; give each its own
# NODE_ID (the container's hostname, which Docker also exports as HOSTNAME) unless
# one was set, then run the command in place of this shell.
set -e
if [ -z "${NODE_ID:-}" ]; then
  NODE_ID="${HOSTNAME:-$(cat /etc/hostname)}"
  export NODE_ID
fi
exec "$@"
