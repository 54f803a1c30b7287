#!/usr/bin/env bash
# Shows that the runner catches real defects: for each deliberate defect of identita's test build
# (`--features defects`, see src/defects.rs) it starts that build on https://127.0.0.1:8444 with
# the defect switched on (RP endpoints on 4402, run config identita-8444.toml, the seed derived
# from identita-seed.toml), runs the Basic plan (client_secret_basic; oidcc-server and the two
# code-reuse modules, or all of it with --full) and asserts that the runner
# exits non-zero AND that the expected module failed on the expected condition. First, a control
# run of the same build with no defect switched on must pass those modules. Prints a table;
# exits 1 when a defect went unnoticed (or the control failed). Arguments: [--full] and the
# defects to try (default: all four). Reports: target/conformance/defects/{control,<defect>}/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
port=8444
# The defects build gets its own target directory, so the normal target/debug/identita (used by
# run-identita.sh) is not replaced by a build with defects in it.
CARGO_TARGET_DIR="$root/target/defects" cargo build -q -p identita --features defects
cargo build -q -p identita-conformance
# Private copies of the binaries: the target directory may be shared with other checkouts.
bin="$(mktemp -d)"
cp "$root/target/defects/debug/identita" "${CARGO_TARGET_DIR:-$root/target}/debug/conformance" "$bin/"
identita="$bin/identita"
runner="$bin/conformance"

# defect -> "module condition" that must have failed (by the reference, conformance.md):
# replayable-code: oidcc-codereuse only WARNS when the replay gets 200 (3.28); the 30-second
# replay has no such exemption (3.29), so it is the module that must fail.
declare -A expect=(
  [replayable-code]="oidcc-codereuse-30seconds CheckTokenEndpointHttpStatus400"
  [drop-nonce]="oidcc-server ValidateIdTokenNonce"
  [wrong-kid]="oidcc-server ValidateIdTokenSignature"
  [drop-state]="oidcc-server CheckStateInAuthorizationResponse"
)
# The modules run (control and each defect): the expected ones and oidcc-codereuse; with
# `--full` as the first argument, the whole Basic plan (35 modules, several minutes per defect).
only=(--only oidcc-server oidcc-codereuse oidcc-codereuse-30seconds)
if [ "${1:-}" = --full ]; then only=(); shift; fi
defects=("$@")
[ ${#defects[@]} -eq 0 ] && defects=(replayable-code drop-nonce wrong-kid drop-state)

work="$(mktemp -d)"
pid=""
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
trap 'stop; rm -rf "$work" "$bin"' EXIT

# start_op DIR DEFECT: a fresh defects build on $port in DIR, with DEFECT switched on ("" for none).
start_op() {
  local dir="$1" defect="$2"
  mkdir -p "$dir" && cd "$dir"
  export IDENTITA_ISSUER=https://127.0.0.1:$port IDENTITA_LISTEN=127.0.0.1:$port \
    IDENTITA_TLS__CERT_FILE=keys/tls.crt IDENTITA_TLS__KEY_FILE=keys/tls.key \
    IDENTITA_PASSWORD__MEMORY_KIB=1024 IDENTITA_PASSWORD__ITERATIONS=1 \
    IDENTITA_REGISTRATION__ENABLED=true IDENTITA_OUTBOUND__ALLOW_LOOPBACK=true \
    IDENTITA_REGISTRATION__PER_SOURCE_LIMIT=0 IDENTITA_INTERACTIONS__PER_SOURCE=0
  "$identita" tls self-signed >/dev/null
  sed 's/127\.0\.0\.1:4400/127.0.0.1:4402/g' "$root/conformance/identita-seed.toml" >seed.toml
  "$identita" seed seed.toml >/dev/null
  IDENTITA_DEFECTS="$defect" "$identita" serve 2>"$dir/identita.log" &
  pid=$!
  for _ in $(seq 100); do
    curl -sf --cacert keys/tls.crt "https://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
  done
}

# verdict RESULTS MODULE CONDITION: "<outcome> <condition failed: yes|no> <#FAILED in the run>".
verdict() {
  python3 - "$@" <<'PY'
import json, sys
path, module, condition = sys.argv[1:]
try:
    modules = json.load(open(path))["modules"]
except OSError:
    print("none no ?"); sys.exit()
m = next((m for m in modules if m["module"] == module), None)
failed = [m["module"] for m in modules if m["outcome"] == "FAILED"]
hit = m is not None and any(
    e["condition"] == condition and not e["ok"] and e["level"] == "FAILURE" for e in m["entries"])
print(f"{m['outcome'] if m else 'absent'} {'yes' if hit else 'no'} {len(failed)}")
PY
}

# The control: the same build, no defect switched on, the same modules must pass.
for defect in "${defects[@]}"; do : "${expect[$defect]:?unknown defect $defect}"; done
echo "== control: no defect"
start_op "$work/control" ""
control_out="$root/target/conformance/defects/control"
control_code=0
"$runner" run --plan oidcc-basic-certification-test-plan --variant client_secret_basic \
  --config "$root/conformance/identita-8444.toml" --out "$control_out" "${only[@]}" \
  >"$work/control/run.log" 2>&1 || control_code=$?
stop
cd "$root"

rows=()
status=0
if [ "$control_code" -ne 0 ]; then
  echo "the control run failed (exit $control_code): the modules must pass without a defect"
  cat "$work/control/run.log"
  status=1
fi
for defect in "${defects[@]}"; do
  read -r module condition <<<"${expect[$defect]}"
  read -r clean_outcome _ _ <<<"$(verdict "$control_out/results.json" "$module" "$condition")"
  dir="$work/$defect"
  start_op "$dir" "$defect"
  out="$root/target/conformance/defects/$defect"
  echo "== $defect (expecting $module / $condition)"
  code=0
  "$runner" run --plan oidcc-basic-certification-test-plan --variant client_secret_basic \
    --config "$root/conformance/identita-8444.toml" --out "$out" "${only[@]}" >"$dir/run.log" 2>&1 || code=$?
  stop
  read -r outcome caught nfailed <<<"$(verdict "$out/results.json" "$module" "$condition")"
  result=caught
  if [ "$code" -eq 0 ] || [ "$outcome" != FAILED ] || [ "$caught" != yes ]; then result=MISSED; status=1; fi
  if [ "$clean_outcome" = FAILED ] || [ "$clean_outcome" = absent ] || [ "$clean_outcome" = none ]; then
    result="$result, control $clean_outcome"; status=1
  fi
  rows+=("$(printf '| %-15s | %-26s | %-34s | %-8s | %-7s | %-4s | %-3s | %-7s |' \
    "$defect" "$module" "$condition" "$clean_outcome" "$outcome" "$code" "$nfailed" "$result")")
  cd "$root"
done

echo
printf '| %-15s | %-26s | %-34s | %-8s | %-7s | %-4s | %-3s | %-7s |\n' \
  defect "module" "condition" "no defect" "defect" exit "#F" verdict
echo '|-----------------|----------------------------|------------------------------------|----------|---------|------|-----|---------|'
printf '%s\n' "${rows[@]}"
echo "(no defect: the module's outcome in the control run; defect: its outcome with the defect on;"
echo " exit: the runner's exit status; #F: modules FAILED in that run;"
echo " reports in target/conformance/defects/{control,<defect>}/)"
exit $status
