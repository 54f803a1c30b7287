#!/usr/bin/env bash
# Runs conformance plans against a fresh identita served on https, from an empty directory.
# Arguments:
#   (none)   the default: Config, Basic with each client-authentication variant, Dynamic (code),
#            RP-Initiated Logout and Back-Channel Logout;
#   ci       what CI runs: the default and the day's scheduled entry (below);
#   scheduled  only the day's scheduled entry;
#   all      every plan and variant of `conformance list`;
#   PLAN or PLAN:VARIANT entries ('+' for spaces in a variant), each optionally with @NAME for
#            the run config identita-NAME.toml instead of identita.toml (@encrypted: the `client`
#            gets encrypted ID tokens).
# The schedule: every plan and variant not in the default, in `conformance list` order, then the
# runs with encrypted ID tokens (Basic client_secret_basic, Hybrid code id_token); CI runs
# entry number (days since 1970-01-01) modulo their number, so each runs every N days
# (CONFORMANCE_SCHEDULE_DAY=<n> picks another day's entry). Exits non-zero when a module fails.
# Reports go to target/conformance/<plan>[-<variant>][@<name>]/ (results.json, report.html, screenshots).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build -q -p identita -p identita-conformance
# Private copies of the binaries, so that another build into the same target directory cannot
# replace them in the middle of a run. (A target directory shared with other checkouts of this
# workspace is unsafe anyway: cargo may take their artifacts as fresh; set CARGO_TARGET_DIR.)
bin="$(mktemp -d)"
cp "$target/debug/identita" "$target/debug/conformance" "$bin/"
identita="$bin/identita"
runner="$bin/conformance"

default=(
  oidcc-config-certification-test-plan
  oidcc-basic-certification-test-plan:client_secret_basic
  oidcc-basic-certification-test-plan:client_secret_post
  oidcc-basic-certification-test-plan:private_key_jwt
  oidcc-dynamic-certification-test-plan:code
  oidcc-rp-initiated-logout-certification-test-plan
  oidcc-backchannel-rp-initiated-logout-certification-test-plan
)
# The runs with the client of identita-encrypted.toml, whose ID tokens identita encrypts: the code
# flow's (token endpoint) and a hybrid one's (authorization and token endpoints).
encrypted=(
  oidcc-basic-certification-test-plan:client_secret_basic@encrypted
  oidcc-hybrid-certification-test-plan:code+id_token@encrypted
)
# The day's entry of the schedule (see above).
scheduled() {
  local rest=() entry day
  while read -r entry; do
    [[ " ${default[*]} " == *" $entry "* ]] || rest+=("$entry")
  done < <("$runner" list | python3 "$root/conformance/all-plans.py"; printf '%s\n' "${encrypted[@]}")
  day="${CONFORMANCE_SCHEDULE_DAY:-$(($(date -u +%s) / 86400))}"
  echo "${rest[$((day % ${#rest[@]}))]}"
}

plans=("$@")
if [ ${#plans[@]} -eq 0 ]; then
  plans=("${default[@]}")
elif [ "${plans[*]}" = ci ]; then
  plans=("${default[@]}" "$(scheduled)")
  echo "== the day's scheduled entry: ${plans[-1]}"
elif [ "${plans[*]}" = scheduled ]; then
  plans=("$(scheduled)")
elif [ "${plans[*]}" = all ]; then
  mapfile -t plans < <("$runner" list | python3 "$root/conformance/all-plans.py"; printf '%s\n' "${encrypted[@]}")
fi

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work" "$bin"
}
trap cleanup EXIT
cd "$work"
# The dynamic plan registers a client per module, and the runner hosts the clients' JWKS,
# request objects and sector documents on loopback, every request from one address: registration
# open, loopback allowed for client URLs (development only), no quotas per source.
export IDENTITA_ISSUER=https://127.0.0.1:8443 IDENTITA_LISTEN=127.0.0.1:8443 \
  IDENTITA_TLS__CERT_FILE=keys/tls.crt IDENTITA_TLS__KEY_FILE=keys/tls.key IDENTITA_OUTBOUND_CA_FILE=keys/tls.crt \
  IDENTITA_PASSWORD__MEMORY_KIB=1024 IDENTITA_PASSWORD__ITERATIONS=1 \
  IDENTITA_REGISTRATION__ENABLED=true IDENTITA_OUTBOUND__ALLOW_LOOPBACK=true \
  IDENTITA_REGISTRATION__PER_SOURCE_LIMIT=0 IDENTITA_INTERACTIONS__PER_SOURCE=0 IDENTITA_PASSWORD__ADDRESS_LIMIT=0
# oidcc-server-rotate-keys: the run config's rotate_keys_command runs `$CONFORMANCE_OP_BIN keys rotate`
# here; the server reloads its keys every second, so the new key is published at once.
export CONFORMANCE_OP_BIN="$identita" IDENTITA_KEYS_RELOAD_INTERVAL=1
# The NIA and mojeID personas are served beside the standard face, under their own paths, so the
# runs show the standard face passing with all three served at once.
cat > identita.toml <<'TOML'
[[faces]]
name = "nia"
persona = "nia"
url = "https://127.0.0.1:8443/nia"

[[faces]]
name = "mojeid"
persona = "mojeid"
url = "https://127.0.0.1:8443/mojeid"
TOML
"$identita" tls self-signed >/dev/null
"$identita" init >/dev/null
"$identita" seed "$root/conformance/identita-seed.toml" >/dev/null
"$identita" serve 2>"$work/identita.log" &
pid=$!
for _ in $(seq 100); do
  curl -sf --cacert keys/tls.crt https://127.0.0.1:8443/readyz >/dev/null && break
  sleep 0.1
done

status=0
for entry in "${plans[@]}"; do
  # PLAN[:VARIANT][@NAME]: NAME picks the run config identita-NAME.toml.
  config=identita suffix=""
  if [[ "$entry" == *@* ]]; then config="identita-${entry##*@}" suffix="@${entry##*@}"; fi
  run="${entry%@*}"
  plan="${run%%:*}"
  args=(run --plan "$plan" --config "$root/conformance/$config.toml"
        --expected-failures "$root/conformance/expected-failures.toml"
        --reviewed "$root/conformance/reviewed.toml")
  out="$root/target/conformance/$plan"
  if [ "$run" != "$plan" ]; then
    args+=(--variant "${run#*:}")
    out="$out-${run#*:}"
  fi
  out="$out$suffix"
  rm -rf "$out"
  echo "== $entry"
  "$runner" "${args[@]}" --out "$out" || status=1
done
# The closing summary: counts per plan and variant, the failed modules, and one line
# "conformance: N passed, N failed" (WARNING and SKIPPED count as passed, as the suite's
# certification does; REVIEW only when reviewed.toml signs it off; expected failures are listed apart).
python3 "$root/conformance/summary.py" "$root/target/conformance" "${plans[@]}" || true
if [ $status -ne 0 ]; then
  echo "identita's log (last 40 lines):"
  tail -40 "$work/identita.log"
fi
exit $status
