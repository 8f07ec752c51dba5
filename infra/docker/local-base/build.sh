#!/bin/sh
# Builds a base image from Debian's own mirror, for a machine whose Docker engine reaches no
# image registry (so `node:20-bookworm-slim`, `postgres:16`, `redis:7` and `haproxy:2.8` cannot
# be pulled). One image serves every container of docker-compose.yml there:
#   - the app image's base (Dockerfile's NODE_IMAGE build argument): this machine's `node` and
#     `npm`, a `node` user (uid 1000) and this machine's CA bundle, so `npm ci` inside the build
#     trusts what the host trusts;
#   - PostgreSQL 15, Redis 7 and HAProxy 2.6 from Debian, for infra/docker/compose.local-base.yml.
# Where a registry is reachable, none of this is needed: the defaults pull the official images.
#
#   sudo infra/docker/local-base/build.sh [tag]     # default taskflow-local/bookworm:latest
#
# Needs root (debootstrap), debootstrap, and `docker` talking to the engine (DOCKER_HOST).
set -eu
tag=${1:-taskflow-local/bookworm:latest}
# The mirror this machine's apt uses (it is reachable), else Debian's own.
mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)}
mirror=${mirror:-http://deb.debian.org/debian}
node_bin=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
ca_bundle=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
case "$("$node_bin" --version)" in v20.*) ;; *) echo "build.sh: the image needs Node 20; this machine's node is $("$node_bin" --version)" >&2; exit 1 ;; esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "build.sh: debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include=ca-certificates,postgresql,redis-server,haproxy,procps \
  bookworm "$rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

cp "$node_bin" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
cp "$ca_bundle" "$rootfs/etc/ssl/certs/host-ca-bundle.pem"
# The user the official node images run as (the Dockerfile says `USER node`).
chroot "$rootfs" useradd --uid 1000 --user-group --create-home --shell /bin/sh node
# Debian's packages made a PostgreSQL cluster and Redis data under /var/lib: the compose
# services keep their data in their own volumes, so drop these and apt's lists.
rm -rf "$rootfs/var/lib/postgresql/15/main" "$rootfs/etc/postgresql/15/main" "$rootfs/var/lib/apt/lists"/* "$rootfs/var/cache/apt"/*.bin

tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-bundle.pem' \
  --change 'CMD ["/bin/sh"]' \
  - "$tag" > /dev/null
echo "build.sh: built $tag ($("$node_bin" --version), PostgreSQL, Redis and HAProxy from Debian)"
