#!/usr/bin/env bash
# Runs conformance plans against node-oidc-provider (conformance/node-oidc-provider, the npm
# package oidc-provider 9.13.3, itself OpenID-certified), the known-good OP that tells runner bugs
# from identita bugs. Like run-identita.sh: the Config plan and the Basic plan with each
# client-authentication variant by default, the plans named as arguments ("PLAN" or
# "PLAN:VARIANT", '+' for spaces; "…@NAME" for the run config runner-NAME.toml instead of
# runner.toml, e.g. @encrypted), or `all` (every plan and variant of `conformance list`).
#
# It installs the OP (`npm ci`) when node_modules is missing, makes a self-signed certificate,
# starts the OP on https://127.0.0.1:9443 with the runner's RP on 127.0.0.1:4401, runs the plans
# with conformance/node-oidc-provider/runner.toml and the expected failures of
# conformance/node-oidc-provider/expected-failures.toml (each with its reason), and stops the OP.
# Exits non-zero when a module fails that is not an expected failure.
# Reports go to target/conformance/node/<plan>[-<variant>][@<name>]/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
op_dir="$root/conformance/node-oidc-provider"
port=9443
rp_port=4401

cargo build -q -p identita-conformance
# A private copy of the runner, so that another build into the same target directory cannot
# replace it in the middle of a run. (A target directory shared with other checkouts of this
# workspace is unsafe anyway: cargo may take their artifacts as fresh; set CARGO_TARGET_DIR.)
bin="$(mktemp -d)"
cp "$target/debug/conformance" "$bin/"
runner="$bin/conformance"
if [ ! -d "$op_dir/node_modules/oidc-provider" ]; then
  npm ci --prefix "$op_dir" --no-audit --no-fund
fi

plans=("$@")
if [ ${#plans[@]} -eq 0 ]; then
  plans=(
    oidcc-config-certification-test-plan
    oidcc-basic-certification-test-plan:client_secret_basic
    oidcc-basic-certification-test-plan:client_secret_post
    oidcc-basic-certification-test-plan:private_key_jwt
  )
elif [ "${plans[*]}" = all ]; then
  mapfile -t plans < <("$runner" list | python3 "$root/conformance/all-plans.py")
fi

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work" "$bin"
}
trap cleanup EXIT

# A self-signed certificate for 127.0.0.1.
mkdir "$work/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE \
  -addext keyUsage=digitalSignature -addext extendedKeyUsage=serverAuth -keyout "$work/tls/tls.key" -out "$work/tls/tls.crt" 2>/dev/null
# The run configs (runner.toml, runner-<name>.toml) with this certificate (their own ca_cert is
# the README's manual set-up).
for config in "$op_dir"/runner*.toml; do
  sed "s|^ca_cert = .*|ca_cert = \"$work/tls/tls.crt\"|" "$config" >"$work/$(basename "$config")"
done

node "$op_dir/server.mjs" --port "$port" --issuer "https://127.0.0.1:$port" \
  --cert "$work/tls/tls.crt" --key "$work/tls/tls.key" --rp-base "http://127.0.0.1:$rp_port" \
  >"$work/node.log" 2>&1 &
pid=$!
for _ in $(seq 150); do
  curl -sf --cacert "$work/tls/tls.crt" "https://127.0.0.1:$port/.well-known/openid-configuration" >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/node.log"; exit 2; }
  sleep 0.2
done

status=0
for entry in "${plans[@]}"; do
  # PLAN[:VARIANT][@NAME]: NAME picks the run config runner-NAME.toml.
  config=runner suffix=""
  if [[ "$entry" == *@* ]]; then config="runner-${entry##*@}" suffix="@${entry##*@}"; fi
  run="${entry%@*}"
  plan="${run%%:*}"
  args=(run --plan "$plan" --config "$work/$config.toml"
        --expected-failures "$op_dir/expected-failures.toml"
        --reviewed "$op_dir/reviewed.toml")
  out="$root/target/conformance/node/$plan"
  if [ "$run" != "$plan" ]; then
    args+=(--variant "${run#*:}")
    out="$out-${run#*:}"
  fi
  out="$out$suffix"
  rm -rf "$out"
  echo "== $entry"
  "$runner" "${args[@]}" --out "$out" || status=1
done
python3 "$root/conformance/summary.py" "$root/target/conformance/node" "${plans[@]}" || true
if [ $status -ne 0 ]; then
  echo "node-oidc-provider's log (last 40 lines):"
  tail -40 "$work/node.log"
fi
exit $status
