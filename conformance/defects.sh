#!/usr/bin/env bash
# Shows that the runner catches real defects: for each deliberate defect of identita's test build
# (`--features defects`, see src/defects/) it starts that build on https://127.0.0.1:8444 with
# the defect switched on (RP endpoints on 4402, run config identita-8444.toml, the seed derived
# from identita-seed.toml), runs the module of the Basic plan (client_secret_basic) that must catch
# it (or the whole plan with --full) and asserts that the runner exits non-zero AND that the
# module failed on the expected condition. First, a control run of the same build with no defect
# switched on must pass all those modules. Prints a table; exits 1 when a defect went unnoticed
# (or the control failed). Arguments: [--full] and the defects to try (default: all).
# Reports: target/conformance/defects/{control,<defect>}/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
port=8444
target="${CARGO_TARGET_DIR:-$root/target}"
# The defects build goes into the same target directory (only the identita crate is compiled
# again, with the feature), is copied away at once, and the normal build is restored right after,
# so that target/debug/identita is never left with defects in it.
# (Both packages in each build, as run-identita.sh builds them, so that the dependencies are
# built once with the same features.)
cargo build -q -p identita -p identita-conformance --features identita/defects
bin="$(mktemp -d)"
cp "$target/debug/identita" "$target/debug/conformance" "$bin/"
cargo build -q -p identita -p identita-conformance
identita="$bin/identita"
runner="$bin/conformance"

# defect -> "module condition" that must have failed (by the reference, conformance.md):
# replayable-code: oidcc-codereuse only WARNS when the replay gets 200 (3.28); the 30-second
# replay has no such exemption (3.29), so it is the module that must fail.
# The last three are caught by the runner's own checks where the suite asks a person: the login
# page shown again for prompt=login, no page for prompt=none, a 4xx error page (README
# "Conditions that differ from the suite").
declare -A expect=(
  [replayable-code]="oidcc-codereuse-30seconds CheckTokenEndpointHttpStatus400"
  [drop-nonce]="oidcc-server ValidateIdTokenNonce"
  [wrong-kid]="oidcc-server ValidateIdTokenSignature"
  [drop-state]="oidcc-server CheckStateInAuthorizationResponse"
  [ignore-prompt-login]="oidcc-prompt-login RunnerCheckSecondLoginPageShown"
  [prompt-none-page]="oidcc-prompt-none-logged-in RunnerCheckNoInteractionForPromptNone"
  [error-page-500]="oidcc-ensure-registered-redirect-uri RunnerCheckErrorPageHttpStatus4xx"
)
# The control runs every module named above (and oidcc-codereuse); each defect run only its
# module. With `--full` as the first argument, every run is the whole Basic plan (35 modules,
# several minutes each).
full=no
if [ "${1:-}" = --full ]; then full=yes; shift; fi
defects=("$@")
[ ${#defects[@]} -eq 0 ] && defects=(replayable-code drop-nonce wrong-kid drop-state ignore-prompt-login \
  prompt-none-page error-page-500)

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
    IDENTITA_REGISTRATION__PER_SOURCE_LIMIT=0 IDENTITA_INTERACTIONS__PER_SOURCE=0 IDENTITA_PASSWORD__ADDRESS_LIMIT=0
  "$identita" tls self-signed >/dev/null
  "$identita" init >/dev/null
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
only=()
if [ $full = no ]; then
  only=(--only oidcc-codereuse)
  for defect in "${defects[@]}"; do
    read -r module _ <<<"${expect[$defect]}"
    [[ " ${only[*]} " == *" $module "* ]] || only+=("$module")
  done
fi
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
  one=()
  [ $full = no ] && one=(--only "$module")
  "$runner" run --plan oidcc-basic-certification-test-plan --variant client_secret_basic \
    --config "$root/conformance/identita-8444.toml" --out "$out" "${one[@]}" >"$dir/run.log" 2>&1 || code=$?
  stop
  read -r outcome caught nfailed <<<"$(verdict "$out/results.json" "$module" "$condition")"
  result=caught
  if [ "$code" -eq 0 ] || [ "$outcome" != FAILED ] || [ "$caught" != yes ]; then result=MISSED; status=1; fi
  if [ "$clean_outcome" = FAILED ] || [ "$clean_outcome" = absent ] || [ "$clean_outcome" = none ]; then
    result="$result, control $clean_outcome"; status=1
  fi
  rows+=("$(printf '| %-19s | %-36s | %-38s | %-8s | %-7s | %-4s | %-3s | %-7s |' \
    "$defect" "$module" "$condition" "$clean_outcome" "$outcome" "$code" "$nfailed" "$result")")
  cd "$root"
done

echo
printf '| %-19s | %-36s | %-38s | %-8s | %-7s | %-4s | %-3s | %-7s |\n' \
  defect "module" "condition" "no defect" "defect" exit "#F" verdict
echo '|---------------------|--------------------------------------|----------------------------------------|----------|---------|------|-----|---------|'
printf '%s\n' "${rows[@]}"
echo "(no defect: the module's outcome in the control run; defect: its outcome with the defect on;"
echo " exit: the runner's exit status; #F: modules FAILED in that run;"
echo " reports in target/conformance/defects/{control,<defect>}/)"
exit $status
