#!/usr/bin/env bash
# identita's benchmark: builds release, starts identita from an empty temporary directory,
# seeds it, pins the server to core 0 and the load generator (identita-bench) to core 1, runs
# every scenario (twice by default), measures the bounding operations on core 0 in the same run,
# and prints a Markdown table with the machine and the command.
#
#   benches/run.sh [--database-url postgres://…] [--redis-url redis://…] [--repeat N]
#                  [--duration S] [--warmup S] [--sessions N] [--scenarios "login userinfo …"]
#                  [--meg-devices N] [--meg-logins N] [--registry N] [--no-build] [--debug]
#
# --database-url (or BENCH_DATABASE_URL) runs on PostgreSQL: the script creates a schema of its
# own in that database (psql must be able to connect with the URL) and drops it at the end.
# --redis-url (or BENCH_REDIS_URL) is passed to identita as IDENTITA_REDIS_URL.
# The memory phase starts a second, empty identita with cheap argon2id parameters and leaves
# --sessions (default 100000) live SSO sessions behind by real password logins.
# The bank identity scenario (bank_login) starts a second identita as the bank, on the server's
# core too, with an embedded SQLite store of its own (whatever the first one's store), the same
# users and the same argon2id parameters; identita has it in [[banks]].
# The MEG phase starts a third, empty identita, pairs --meg-devices (default 10000, 0 skips it)
# devices that hold their push WebSockets open, reads the server's VmRSS with them, and times
# --meg-logins (default 1000) approvals to the waiting login page; it needs `ulimit -n` above the
# device count (the script raises the soft limit to the hard one).
# The MEG login scenario (meg_login) pairs a device (a new P-256 key) for each of 16 bench users
# before each round's run, with pairing codes made just before by `identita meg enroll`.
# The register phase generates --registry (default 1000000, 0 skips it) citizens, times
# `identita registry import` of them into a new SQLite store on core 0 and then a lookup by
# identifier at that size (always SQLite, whatever --database-url says).
# --debug runs the debug build: to try the script out, not for figures.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# Shown in the report: passwords in URLs are left out.
command_line="$(echo "benches/run.sh $*" | sed -E 's#://[^/@ ]*@#://…@#g')"

database_url="${BENCH_DATABASE_URL:-}"
redis_url="${BENCH_REDIS_URL:-}"
repeat=2 duration=10 warmup=2 sessions=100000 build=1 profile=release meg_devices=10000 meg_logins=1000
registry=1000000
scenarios="client_credentials code_rs256 code_es256 refresh userinfo introspection login nia_id_login card_login key_login meg_login bank_login saml_sso"
while [ $# -gt 0 ]; do
  case "$1" in
    --database-url) database_url="$2"; shift 2 ;;
    --redis-url) redis_url="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --sessions) sessions="$2"; shift 2 ;;
    --meg-devices) meg_devices="$2"; shift 2 ;;
    --meg-logins) meg_logins="$2"; shift 2 ;;
    --registry) registry="$2"; shift 2 ;;
    --scenarios) scenarios="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --debug) profile=debug; shift ;;
    *) echo "unknown option $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done
if [ "$(nproc)" -lt 2 ]; then
  echo "the benchmark needs two cores (server on 0, load on 1); nproc says $(nproc)" >&2
  exit 1
fi

target_dir="${CARGO_TARGET_DIR:-$root/target}"
version="$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src Cargo.toml || echo '+uncommitted changes')"
if [ "$build" = 1 ]; then
  release=--release
  if [ "$profile" = debug ]; then release=""; fi
  # Built apart, so the generator's crate features do not change the server's build.
  (cd "$root" && cargo build $release --bin identita >&2 && cargo build $release -p identita-bench >&2)
fi
port="${BENCH_PORT:-18080}"
# The SMS gateway of the NIA ID and bank identity scenarios (identita-bench listens there during
# them; at the bank, the bank sends the texts).
sms_port="${BENCH_SMS_PORT:-18090}"
# The bank of the bank identity scenario.
bank_port="${BENCH_BANK_PORT:-18081}"
# NIA ID sends an account at most ten codes in fifteen minutes and a card answers at most ten
# challenges in fifteen minutes: each round logs in as users and with cards of its own.
nia_users=128 cards_per_round=400 first_nia_user=64
# The MEG login's devices: one for each of the first bench users.
meg_users=16
base="http://127.0.0.1:$port"
# The issuer is on a host name: a browser offers WebAuthn (mojeID) only there, never on an IP
# address. The generator still connects to $base.
issuer="http://localhost:$port"
bank_base="http://127.0.0.1:$bank_port"
# identita's client secret at the bank (identita-bench's fixture::secret_of("bench-identita")).
bank_secret="bench-identita-secret-0123456789abcdef0123456789"
work="$(mktemp -d)"
# Copies: a shared target directory may see another checkout's build replace the binaries.
mkdir -p "$work/bin"
cp "$target_dir/$profile/identita" "$target_dir/$profile/identita-bench" "$work/bin/"
identita="$work/bin/identita"
bench="$work/bin/identita-bench"
pid=""
bank_pid=""
schema=""
psql_url=""
if [ -n "$database_url" ]; then
  psql_url="${database_url%%\?*}"
  schema="identita_bench_$$"
fi
cleanup() {
  stop_server
  stop_bank
  if [ -n "$schema" ]; then psql -q "$psql_url" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
stop_server() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=""
}
stop_bank() {
  if [ -n "$bank_pid" ]; then kill "$bank_pid" 2>/dev/null || true; wait "$bank_pid" 2>/dev/null || true; fi
  bank_pid=""
}
trap cleanup EXIT
wants() { [[ " $scenarios " == *" $1 "* ]]; }

# A fresh, empty store: a new SQLite directory, or the bench schema dropped and created again.
fresh_store() {
  rm -rf "$work/data"
  if [ -n "$schema" ]; then
    PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 "$psql_url" -c "DROP SCHEMA IF EXISTS $schema CASCADE" -c "CREATE SCHEMA $schema" >/dev/null
  fi
}

# identita.toml for a phase: $1 = argon2id memory KiB, $2 = iterations, $3 = "bank" to have the
# bank in [[banks]], $4 = "saml" to have a face of the nia persona (SAML) at /nia.
write_config() {
  {
    echo "listen = \"127.0.0.1:$port\""
    echo "issuer = \"$issuer\""
    echo "data_dir = \"$work/data\""
    echo "keys_dir = \"$work/keys\""
    if [ -n "$database_url" ]; then
      case "$database_url" in
        *\?*) echo "database_url = \"$database_url&options[search_path]=$schema\"" ;;
        *) echo "database_url = \"$database_url?options[search_path]=$schema\"" ;;
      esac
    fi
    echo "[tokens]"
    echo "code_ttl = 900            # pre-made codes are redeemed within the window"
    echo "[interactions]"
    echo "per_source = 0           # every login of the benchmark comes from loopback"
    echo "[password]"
    echo "memory_kib = $1"
    echo "iterations = $2"
    echo "parallelism = 1"
    echo "address_limit = 0         # the benchmark's logins all come from loopback"
    echo "[notifier]"
    echo "sms = \"webhook\"           # to identita-bench's gateway, as in production"
    echo "sms_webhook_url = \"http://127.0.0.1:$sms_port/sms\""
    if [ "${3:-}" = bank ]; then
      echo "[[banks]]"
      echo "id = \"bench-bank\""
      echo "name = \"Benchmark bank\""
      echo "issuer = \"$bank_base\""
      echo "client_id = \"bench-identita\""
      echo "client_secret = \"$bank_secret\""
    fi
    if [ "${4:-}" = saml ]; then
      echo "[[faces]]                 # the SAML SSO scenario's identity provider"
      echo "name = \"nia\""
      echo "persona = \"nia\""
      echo "url = \"$issuer/nia\""
    fi
  } >"$work/identita.toml"
}

# Waits until $1/readyz answers, while process $2 lives; else shows log $3 and ends the run.
wait_ready() {
  for _ in $(seq 200); do
    curl -sf "$1/readyz" >/dev/null && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server at $1 did not start; its log:" >&2
  cat "$3" >&2
  exit 1
}

start_server() {
  if [ -n "$redis_url" ]; then export IDENTITA_REDIS_URL="$redis_url"; fi
  "$bench" fixture --users $((first_nia_user + nia_users * repeat)) >"$work/seed.json"
  (cd "$work" && "$identita" --config "$work/identita.toml" init >/dev/null)
  (cd "$work" && "$identita" --config "$work/identita.toml" seed "$work/seed.json" >/dev/null)
  (cd "$work" && exec taskset -c 0 "$identita" --config "$work/identita.toml" serve 2>>"$work/identita.log") &
  pid=$!
  wait_ready "$base" "$pid" "$work/identita.log"
}

# The bank: a second identita on the server's core, seeded with the same users (so that the match
# by name and birth date finds them) and with identita as its client; argon2id as identita's, so
# that the password checked at the bank costs what one checked at identita does.
start_bank() {
  local dir="$work/bank"
  mkdir -p "$dir"
  {
    echo "listen = \"127.0.0.1:$bank_port\""
    echo "issuer = \"$bank_base\""
    echo "data_dir = \"$dir/data\""
    echo "keys_dir = \"$dir/keys\""
    echo "[interactions]"
    echo "per_source = 0"
    echo "[password]"
    echo "memory_kib = 19456"
    echo "iterations = 2"
    echo "parallelism = 1"
    echo "address_limit = 0"
    echo "[notifier]"
    echo "sms = \"webhook\""
    echo "sms_webhook_url = \"http://127.0.0.1:$sms_port/sms\""
  } >"$dir/identita.toml"
  "$bench" fixture --users $((first_nia_user + nia_users * repeat)) --bank-client-of "$issuer" >"$dir/seed.json"
  # Its own store: not identita's PostgreSQL or Redis.
  (cd "$dir" && env -u IDENTITA_REDIS_URL "$identita" --config "$dir/identita.toml" init >/dev/null)
  (cd "$dir" && env -u IDENTITA_REDIS_URL "$identita" --config "$dir/identita.toml" seed "$dir/seed.json" >/dev/null)
  (cd "$dir" && exec env -u IDENTITA_REDIS_URL taskset -c 0 "$identita" --config "$dir/identita.toml" serve 2>>"$dir/identita.log") &
  bank_pid=$!
  wait_ready "$bank_base" "$bank_pid" "$dir/identita.log"
}

redis_used() { redis-cli -u "$redis_url" info memory | awk -F: '/^used_memory:/ { print $2 + 0 }'; }

# Cards for each round's eObčanka logins, issued to the first bench users (untimed, with the
# server running, as an operator issues them).
issue_cards() {
  if ! wants card_login; then return 0; fi
  echo "issuing $((cards_per_round * repeat)) eObčanka cards …" >&2
  for round in $(seq "$repeat"); do
    mkdir -p "$work/cards/$round"
    for i in $(seq 0 $((cards_per_round - 1))); do
      (cd "$work" && "$identita" --config "$work/identita.toml" card issue --user "bench$((i % first_nia_user))" \
        --out "$work/cards/$round/$i.json" --iok 1234 --dok 12345678 >/dev/null)
    done
  done
}

# Pairing URLs for the MEG login's devices, one for each of the first $meg_users bench users, into
# file $1: made just before a round's run (a code is good for four minutes); the generator pairs
# the devices, untimed. Each round pairs new ones (their keys live in the generator's process).
meg_pairing_urls() {
  : >"$1"
  for i in $(seq 0 $((meg_users - 1))); do
    # Standard error to a file: on a terminal, enroll would also draw each code as a QR code.
    if ! (cd "$work" && "$identita" --config "$work/identita.toml" meg enroll "bench$i") \
      >"$work/meg-enroll.json" 2>"$work/meg-enroll.err"; then
      cat "$work/meg-enroll.err" >&2
      exit 1
    fi
    if ! grep -o '"[^"]*/meg/pair?code=[^"]*"' "$work/meg-enroll.json" | tr -d '"' >>"$1"; then
      echo "identita meg enroll bench$i printed no pairing URL: $(cat "$work/meg-enroll.json")" >&2
      exit 1
    fi
  done
}

# Phase 1: the scenarios, at OWASP argon2id parameters.
fresh_store
write_config 19456 2 "$(wants bank_login && echo bank)" "$(wants saml_sso && echo saml)"
start_server
if wants bank_login; then start_bank; fi
# The SAML SSO scenario's service provider (its key in the generator), registered from its
# metadata as an operator does (untimed).
if wants saml_sso; then
  "$bench" saml-sp --out "$work/saml-sp" >/dev/null
  (cd "$work" && "$identita" --config "$work/identita.toml" --face nia saml sp add --metadata "$work/saml-sp/metadata.xml") >/dev/null
fi
issue_cards
sleep 1
"$bench" rss --pid "$pid" --label idle --note "after start and seed, before any request" >>"$work/memory.jsonl"
for round in $(seq "$repeat"); do
  echo "round $round: measuring the bounds on core 0 (the server idle) …" >&2
  taskset -c 0 "$bench" bounds --round "$round" >>"$work/bounds.jsonl"
  for s in $scenarios; do
    concurrency=16 extra=()
    case "$s" in
      login | nia_id_login | card_login | key_login | meg_login | bank_login) concurrency=4 ;;
    esac
    case "$s" in
      nia_id_login)
        first=$((first_nia_user + nia_users * (round - 1)))
        extra=(--sms-listen "127.0.0.1:$sms_port" --users "$first..$((first + nia_users))") ;;
      card_login) extra=(--cards "$work/cards/$round") ;;
      # A key registered (untimed) for each of 16 users, replacing the round before's.
      key_login) extra=(--issuer "$issuer" --users "0..16") ;;
      meg_login)
        meg_pairing_urls "$work/meg-login-urls-$round.txt"
        extra=(--pairing-urls "$work/meg-login-urls-$round.txt") ;;
      # The bank's NIA ID sends its texts, with the same limits per account as identita's.
      # Each of the 16 clients logs in once (untimed), then asks again and again in its session.
      saml_sso) extra=(--issuer "$issuer" --saml-sp "$work/saml-sp") ;;
      bank_login)
        first=$((first_nia_user + nia_users * (round - 1)))
        extra=(--sms-listen "127.0.0.1:$sms_port" --users "$first..$((first + nia_users))"
          --bank-base "$bank_base" --bank-pid "$bank_pid") ;;
    esac
    echo "round $round: $s …" >&2
    taskset -c 1 "$bench" run --base "$base" --scenario "${s//_/-}" --concurrency "$concurrency" --pid "$pid" \
      --warmup "$warmup" --duration "$duration" --round "$round" "${extra[@]}" >>"$work/results.jsonl"
  done
done
"$bench" rss --pid "$pid" --label "after the scenarios" --note "every scenario run, all their tokens live" \
  >>"$work/memory.jsonl"
stop_server
stop_bank

# Phase 2: live SSO sessions, made by real logins with cheap argon2id (m=64 KiB, t=1).
if [ "$sessions" -gt 0 ]; then
  fresh_store
  write_config 64 1
  start_server
  sleep 1
  "$bench" rss --pid "$pid" --label "idle (memory phase)" --note "fresh server, cheap argon2id" >>"$work/memory.jsonl"
  if [ -n "$redis_url" ]; then before=$(redis_used); fi
  echo "making $sessions live SSO sessions by password logins …" >&2
  taskset -c 1 "$bench" sessions --base "$base" --count "$sessions" --pid "$pid" >>"$work/memory.jsonl"
  if [ -n "$redis_url" ]; then
    after=$(redis_used)
    echo "Redis used_memory grew by $(( (after - before) / sessions )) bytes per session (and its code)" \
      >"$work/redis.txt"
  fi
  stop_server
fi

# Phase 3: MEG's push at scale, on a fresh server (the devices of one account: pairing codes
# made by the operator's command, pairing and push connections by identita-bench).
if [ "$meg_devices" -gt 0 ]; then
  ulimit -n "$(ulimit -Hn)"
  if [ "$(ulimit -n)" -le $((meg_devices + 256)) ]; then
    echo "the MEG phase needs more than $((meg_devices + 256)) open files (ulimit -Hn is $(ulimit -Hn))" >&2
    exit 1
  fi
  fresh_store
  write_config 64 1
  start_server
  echo "pairing $meg_devices MEG devices and holding their push connections …" >&2
  (cd "$work" && "$identita" --config "$work/identita.toml" meg enroll bench0 --count "$meg_devices") |
    grep -o '"[^"]*/meg/pair?code=[^"]*"' | tr -d '"' >"$work/meg-pairing-urls.txt"
  taskset -c 1 "$bench" meg --base "$base" --pid "$pid" --pairing-urls "$work/meg-pairing-urls.txt" \
    --logins "$meg_logins" >>"$work/meg.jsonl"
  stop_server
fi

# Phase 4: the register of inhabitants at scale: the import and a lookup, on core 0.
if [ "$registry" -gt 0 ]; then
  echo "importing $registry generated citizens into the register …" >&2
  taskset -c 0 "$bench" registry --citizens "$registry" --identita "$identita" --dir "$work/registry" \
    >>"$work/registry.jsonl"
  rm -rf "$work/registry"
fi

echo "## identita benchmark"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(uname -sr)"
echo "- server pinned to core 0 (\`taskset -c 0\`), load generator to core 1; per-core figures"
if [ -n "$database_url" ]; then
  store="PostgreSQL (not pinned: it shares both cores) at ${psql_url#*@}, schema $schema"
else
  store="embedded SQLite (WAL) in a temporary directory"
fi
echo "- store: $store${redis_url:+, Redis at ${redis_url#*@} (IDENTITA_REDIS_URL)}"
echo "- identita $version, $profile build; $duration s measured after $warmup s warm-up per run"
if wants bank_login; then
  echo "- bank identity: a second identita as the bank on the server's core (own SQLite store, same users, same argon2id)"
fi
echo "- command: \`$command_line\`"
echo
# The raw results stay, to render again (identita-bench table) or compare runs.
kept="$target_dir/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$kept" && cp "$work"/*.jsonl "$kept/" && echo "raw results: $kept" >&2
tables=()
if [ "$meg_devices" -gt 0 ]; then tables=(--meg "$work/meg.jsonl"); fi
if [ "$registry" -gt 0 ]; then tables+=(--registry "$work/registry.jsonl"); fi
"$bench" table --results "$work/results.jsonl" --bounds "$work/bounds.jsonl" --memory "$work/memory.jsonl" \
  "${tables[@]}"
if [ -f "$work/redis.txt" ]; then echo; cat "$work/redis.txt"; fi
