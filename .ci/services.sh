#!/usr/bin/env bash
# Starts the services the tests can use on this Debian machine (as root), and prints what to
# export so the tests find them:
#
#   eval "$(bash .ci/services.sh)"
#
# PostgreSQL: installed if missing, the first cluster started, a role and database `identita`
# (password below) created if missing. The PostgreSQL tests create a schema of their own in it
# for each test and drop it afterwards.
#
# Redis: installed if missing (Debian's redis-server), started on 127.0.0.1:6379 as a daemon of
# its own (no systemd needed) with AOF persistence (appendonly yes, appendfsync everysec), so a
# restart of Redis loses at most a second of writes. The Redis tests use a key prefix of their own
# for each test and delete its keys afterwards.
#
# Progress goes to stderr; only the exports go to stdout.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PG_USER=identita
PG_PASSWORD=identita-test
PG_DATABASE=identita
PG_PORT=5432
REDIS_PORT=6379
REDIS_DIR=/var/lib/identita-redis

log() { echo "services: $*" >&2; }

if ! ls /etc/postgresql/*/*/postgresql.conf >/dev/null 2>&1; then
  log "installing PostgreSQL"
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
fi

# The first cluster Debian knows of, e.g. "15 main".
read -r version cluster < <(pg_lsclusters --no-header | awk 'NR == 1 { print $1, $2 }')
if [ -z "${version:-}" ]; then
  log "no PostgreSQL cluster found (pg_lsclusters)"
  exit 1
fi
if ! pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c' | grep -q online; then
  log "starting PostgreSQL $version/$cluster"
  pg_ctlcluster "$version" "$cluster" start >&2
fi

psql_admin() { runuser -u postgres -- psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"; }

for _ in $(seq 1 30); do
  if runuser -u postgres -- pg_isready --quiet -h 127.0.0.1 -p "$PG_PORT"; then
    break
  fi
  sleep 1
done
runuser -u postgres -- pg_isready --quiet -h 127.0.0.1 -p "$PG_PORT" || {
  log "PostgreSQL does not accept connections on 127.0.0.1:$PG_PORT"
  exit 1
}

psql_admin -d postgres >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
if ! psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'" | grep -q 1; then
  psql_admin -d postgres -c "CREATE DATABASE $PG_DATABASE OWNER $PG_USER" >&2
fi

url="postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE"
# The role, its password and the database work over TCP, as the tests will use them.
PGPASSWORD="$PG_PASSWORD" psql --quiet --no-psqlrc -tA -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DATABASE" \
  -c "SELECT 1" >/dev/null
log "PostgreSQL $version/$cluster ready at 127.0.0.1:$PG_PORT"
echo "export IDENTITA_TEST_POSTGRES_URL=$url"

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  log "installing Redis"
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends redis-server redis-tools >&2
fi

redis() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

if ! redis ping >/dev/null 2>&1; then
  log "starting Redis on 127.0.0.1:$REDIS_PORT (data in $REDIS_DIR)"
  mkdir -p "$REDIS_DIR"
  # As Debian's `redis` user when the package made one; root otherwise.
  as_redis=()
  if id redis >/dev/null 2>&1; then
    chown redis: "$REDIS_DIR"
    as_redis=(runuser -u redis --)
  fi
  "${as_redis[@]}" redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
    --appendonly yes --appendfsync everysec >&2
  for _ in $(seq 1 30); do
    if redis ping >/dev/null 2>&1; then
      break
    fi
    sleep 1
  done
fi
redis ping >/dev/null 2>&1 || {
  log "Redis does not accept connections on 127.0.0.1:$REDIS_PORT (see $REDIS_DIR/redis.log)"
  exit 1
}
# A server that was already running (say, started by the package's init script) gets persistence
# too; on one started above this changes nothing.
redis config set appendonly yes >/dev/null
redis config set appendfsync everysec >/dev/null
log "Redis $(redis info server | awk -F: '/^redis_version/ { print $2 }' | tr -d '\r') ready at 127.0.0.1:$REDIS_PORT (AOF on)"
echo "export IDENTITA_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
