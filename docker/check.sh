#!/usr/bin/env bash
# Checks docker/ on a machine without a Docker engine (the machines identita is built on have
# none): it rebuilds by hand, from Debian's packages, what the image and the compose file
# describe, and drives it the way compose would be used.
#
#   sudo -E bash docker/check.sh            (from the repository root; needs root for chroot)
#
# - The image's runtime stage: a Debian bookworm root made by debootstrap (what the
#   debian:bookworm-slim image is made of) in which the RUN lines of the Dockerfile's last stage
#   are run as written, the release binary copied where COPY puts it, and every command run as
#   the image's non-root user, in its WORKDIR, with its ENV.
# - The compose topology: `identita init` once (the `init` service), then two nodes on one
#   PostgreSQL and one Redis, with the compose file's IDENTITA_* settings; nginx in front with
#   docker/nginx.conf.
# - Then, through the proxy: discovery, the JWKS, the image's HEALTHCHECK command against each
#   node, a client-credentials grant whose token both nodes introspect as active, requests shared
#   by both nodes, and requests that still succeed while one node is stopped.
#
# What it changes to run without containers, and so does not check: every container has a
# network of its own, here they share one, so the nodes listen on 127.0.0.2:8080 and
# 127.0.0.3:8080 instead of 0.0.0.0:8080, the proxy on 127.0.0.1:8080, and nginx.conf's
# upstream names are replaced by those addresses. The services' own images (postgres, redis,
# nginx) are Debian's packages here. The build stage (the rust image) is not run: the binary
# is `cargo build --release`'s (or the dev build's, with CHECK_PROFILE=dev). Docker itself is
# not run.
#
# Needs: debootstrap, nginx, curl, python3, psql, and PostgreSQL and Redis running, named by
# IDENTITA_TEST_POSTGRES_URL and IDENTITA_TEST_REDIS_URL (`eval "$(bash .ci/services.sh)"`
# starts both). The Debian root is kept under $CHECK_ROOTFS (default target/docker-check/rootfs)
# and reused.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

fail() { echo "docker/check.sh: FAILED: $*" >&2; exit 1; }
step() { echo "== $*" >&2; }

[ "$(id -u)" = 0 ] || fail "run as root (debootstrap and chroot need it)"
for tool in debootstrap nginx curl python3 psql redis-cli; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install -y debootstrap nginx-light curl postgresql-client redis-tools)"
done
: "${IDENTITA_TEST_POSTGRES_URL:?set IDENTITA_TEST_POSTGRES_URL (eval \"\$(bash .ci/services.sh)\")}"
: "${IDENTITA_TEST_REDIS_URL:?set IDENTITA_TEST_REDIS_URL}"

work="$root/target/docker-check"
rootfs="${CHECK_ROOTFS:-$work/rootfs}"
mkdir -p "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  umount "$rootfs/proc" 2>/dev/null || true
  umount "$rootfs/dev" 2>/dev/null || true
  if [ -n "${schema:-}" ]; then
    PGOPTIONS=--client-min-messages=warning psql -q "$psql_url" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# --- The image ---------------------------------------------------------------------------------
dockerfile="$root/docker/Dockerfile"
grep -q '^FROM debian:bookworm-slim$' "$dockerfile" || fail "the runtime stage is no longer FROM debian:bookworm-slim; update this check"
# The last stage's RUN lines (joined), its ENV, USER and WORKDIR, as the Dockerfile says them.
read_stage() {
  python3 - "$dockerfile" "$1" <<'EOF'
import re, shlex, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
stage = text.split("\nFROM ")[-1].splitlines()[1:]
want = sys.argv[2]
for line in stage:
    word, _, rest = line.strip().partition(" ")
    if word != want:
        continue
    if want == "ENV":
        for pair in shlex.split(rest):
            print(pair)
    else:
        print(rest.strip())
EOF
}
run_lines="$(read_stage RUN)"
user="$(read_stage USER)"
workdir="$(read_stage WORKDIR)"
mapfile -t image_env < <(read_stage ENV)
[ -n "$run_lines" ] && [ -n "$user" ] && [ -n "$workdir" ] || fail "could not read the runtime stage of $dockerfile"

if [ ! -x "$rootfs/bin/sh" ]; then
  step "debootstrap bookworm (minbase) into $rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || fail "debootstrap (see $work/debootstrap.log)"
fi
mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
if ! chroot "$rootfs" id "$user" >/dev/null 2>&1; then
  step "the runtime stage's RUN, as written"
  echo "$run_lines" | while IFS= read -r line; do
    chroot "$rootfs" /bin/sh -ec "$line" >"$work/run.log" 2>&1 || fail "RUN $line (see $work/run.log)"
  done
fi
# The image has the release build; CHECK_PROFILE=dev (as CI uses, having built it already)
# checks the same program, built faster.
profile="${CHECK_PROFILE:-release}"
step "the $profile binary, stripped, where COPY puts it"
cargo build --profile "$profile" --bin identita >&2
binary="target/$([ "$profile" = dev ] && echo debug || echo "$profile")/identita"
install -m 0755 -s "$binary" "$rootfs/usr/local/bin/identita"
uid="$(chroot "$rootfs" id -u "$user")"
[ "$uid" != 0 ] || fail "USER $user is root"

# --- The compose topology ----------------------------------------------------------------------
# A schema of its own in the test database, dropped at the end.
schema="identita_docker_check"
psql_url="${IDENTITA_TEST_POSTGRES_URL%%\?*}"
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 "$psql_url" \
  -c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "CREATE SCHEMA $schema" >/dev/null
case "$IDENTITA_TEST_POSTGRES_URL" in
  *\?*) database_url="$IDENTITA_TEST_POSTGRES_URL&options[search_path]=$schema" ;;
  *) database_url="$IDENTITA_TEST_POSTGRES_URL?options[search_path]=$schema" ;;
esac
prefix="docker-check-$$:"
compose_env=(
  IDENTITA_ISSUER=http://localhost:8080
  IDENTITA_DATABASE_URL="$database_url"
  IDENTITA_REDIS_URL="$IDENTITA_TEST_REDIS_URL"
  IDENTITA_REDIS_PREFIX="$prefix"
  # compose.yml trusts its network's proxy; here nginx is on loopback.
  IDENTITA_TRUSTED_PROXIES='["127.0.0.1/32"]'
)
grep -q 'IDENTITA_ISSUER: http://localhost:8080' docker/compose.yml || fail "compose.yml's issuer changed; update this check"

# Runs identita in the image: as its user, in its WORKDIR, with its ENV and compose's settings.
in_image() {
  chroot --userspec="$uid:$uid" "$rootfs" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$workdir" \
    "${image_env[@]}" "${compose_env[@]}" "$@"
}
run_identita() { in_image /bin/sh -c "cd $workdir && exec identita \"\$@\"" identita "$@"; }

step "init: identita init (migrates the database, makes the key ring as the image's user)"
run_identita init >"$work/init.json" || fail "identita init"
[ -n "$(ls -A "$rootfs$workdir/keys")" ] || fail "no key written under $workdir/keys"
[ "$(stat -c %u "$rootfs$workdir/keys")" = "$uid" ] || fail "the keys directory is not the image user's"

start_node() {
  local name="$1" address="$2"
  # exec all the way down, so that $! is the server itself.
  (exec chroot --userspec="$uid:$uid" "$rootfs" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$workdir" \
    "${image_env[@]}" "${compose_env[@]}" IDENTITA_LISTEN="$address:8080" IDENTITA_LOG=warn \
    /bin/sh -c "cd $workdir && exec identita serve") >"$work/$name.log" 2>&1 &
  pids+=("$!")
  eval "${name//-/_}_pid=$!"
}
pkill -f "^identita serve$" -U "$uid" 2>/dev/null || true  # nodes left by an interrupted run
start_node identita-a 127.0.0.2
start_node identita-b 127.0.0.3

healthcheck="$(sed -n 's/^HEALTHCHECK .* CMD //p' "$dockerfile")"
[ -n "$healthcheck" ] || fail "no HEALTHCHECK in $dockerfile"
for address in 127.0.0.2 127.0.0.3; do
  for _ in $(seq 100); do
    in_image /bin/sh -c "${healthcheck//127.0.0.1/$address}" >/dev/null 2>&1 && break
    sleep 0.1
  done
  in_image /bin/sh -c "${healthcheck//127.0.0.1/$address}" || fail "the HEALTHCHECK fails against the node on $address"
done

mkdir -p "$work/nginx"
sed -e 's/listen 8080;/listen 127.0.0.1:8080;/' -e 's/identita-a:8080/127.0.0.2:8080/' -e 's/identita-b:8080/127.0.0.3:8080/' \
  docker/nginx.conf >"$work/nginx/default.conf"
cat >"$work/nginx/nginx.conf" <<EOF
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events {}
http {
    log_format upstream '\$request_method \$uri \$status \$upstream_addr';
    access_log $work/nginx-access.log upstream;
    include $work/nginx/default.conf;
}
EOF
: >"$work/nginx-access.log"
nginx -c "$work/nginx/nginx.conf" || fail "nginx refused the configuration"
proxy=http://127.0.0.1:8080

# --- Through the proxy -------------------------------------------------------------------------
step "discovery and JWKS through the proxy"
issuer="$(curl -fsS "$proxy/.well-known/openid-configuration" | python3 -c 'import json,sys; print(json.load(sys.stdin)["issuer"])')"
[ "$issuer" = http://localhost:8080 ] || fail "discovery's issuer is $issuer"
jwks_path="$(curl -fsS "$proxy/.well-known/openid-configuration" | python3 -c 'import json,sys,urllib.parse; print(urllib.parse.urlparse(json.load(sys.stdin)["jwks_uri"]).path)')"
keys_a="$(curl -fsS "http://127.0.0.2:8080$jwks_path")"
keys_b="$(curl -fsS "http://127.0.0.3:8080$jwks_path")"
[ "$keys_a" = "$keys_b" ] || fail "the two nodes publish different key sets"
echo "$keys_a" | python3 -c 'import json,sys; assert len(json.load(sys.stdin)["keys"]) >= 1' || fail "empty JWKS"

step "a client (CLI in the image), a client-credentials grant through the proxy, introspected at each node"
run_identita client add --id docker-check --name "Docker check" --grant-type client_credentials \
  --auth-method client_secret_basic >"$work/client.json" || fail "client add"
secret="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$work/client.json")"
discovery="$(curl -fsS "$proxy/.well-known/openid-configuration")"
path_of() { echo "$discovery" | python3 -c 'import json,sys,urllib.parse; print(urllib.parse.urlparse(json.load(sys.stdin)[sys.argv[1]]).path)' "$1"; }
token_path="$(path_of token_endpoint)"
introspection_path="$(path_of introspection_endpoint)"
grant() { curl -fsS -u "docker-check:$secret" -d grant_type=client_credentials "$proxy$token_path"; }
token="$(grant | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')" || fail "the grant through the proxy"
for address in 127.0.0.2 127.0.0.3; do
  active="$(curl -fsS -u "docker-check:$secret" --data-urlencode "token=$token" "http://$address:8080$introspection_path" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["active"])')"
  [ "$active" = True ] || fail "the node on $address does not know the token issued through the proxy"
done

step "requests through the proxy land on both nodes"
for _ in $(seq 8); do grant >/dev/null || fail "a grant through the proxy"; done
for address in 127.0.0.2 127.0.0.3; do
  grep -q "POST $token_path 200 $address:8080" "$work/nginx-access.log" || fail "no request reached the node on $address"
done

step "one node stopped: the proxy keeps answering"
kill "$identita_a_pid"
wait "$identita_a_pid" 2>/dev/null || true
for _ in $(seq 8); do
  curl -fsS "$proxy/.well-known/openid-configuration" >/dev/null || fail "discovery with node a stopped"
  grant >/dev/null || fail "a grant with node a stopped"
done

echo "docker/check.sh: passed (image runtime stage and compose topology, without a Docker engine; see the top of this file for what is not checked)" >&2
