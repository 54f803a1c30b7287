#!/usr/bin/env bash
# Shows that the runner catches real defects: for each deliberate defect of identita's test build
# (`--features defects`, see src/defects.rs) it starts that build on https://127.0.0.1:8444 with
# the defect switched on (RP endpoints on 4401, run config identita-8444.toml, the seed derived
# from identita-seed.toml), runs the Basic plan (client_secret_basic) and asserts that the runner
# exits non-zero AND that the expected module failed on the expected condition. Prints a table;
# exits 1 when a defect went unnoticed. Arguments: the defects to try (default: all four).
# Reports: target/conformance/defects/<defect>/ (results.json, report.html).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
port=8444
# The defects build gets its own target directory, so the normal target/debug/identita (used by
# run-identita.sh) is not replaced by a build with defects in it.
CARGO_TARGET_DIR="$root/target/defects" cargo build -q -p identita --features defects
cargo build -q -p identita-conformance
identita="$root/target/defects/debug/identita"
runner="$root/target/debug/conformance"

# defect -> "module condition" that must have failed (by the reference, conformance.md):
# replayable-code: oidcc-codereuse only WARNS when the replay gets 200 (3.28); the 30-second
# replay has no such exemption (3.29), so it is the module that must fail.
declare -A expect=(
  [replayable-code]="oidcc-codereuse-30seconds CheckTokenEndpointHttpStatus400"
  [drop-nonce]="oidcc-server ValidateIdTokenNonce"
  [wrong-kid]="oidcc-server ValidateIdTokenSignature"
  [drop-state]="oidcc-server CheckStateInAuthorizationResponse"
)
defects=("$@")
[ ${#defects[@]} -eq 0 ] && defects=(replayable-code drop-nonce wrong-kid drop-state)

work="$(mktemp -d)"
pid=""
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
trap 'stop; rm -rf "$work"' EXIT

rows=()
status=0
for defect in "${defects[@]}"; do
  read -r module condition <<<"${expect[$defect]:?unknown defect $defect}"
  dir="$work/$defect"
  mkdir -p "$dir" && cd "$dir"
  export IDENTITA_ISSUER=https://127.0.0.1:$port IDENTITA_LISTEN=127.0.0.1:$port \
    IDENTITA_TLS__CERT_FILE=keys/tls.crt IDENTITA_TLS__KEY_FILE=keys/tls.key \
    IDENTITA_PASSWORD__MEMORY_KIB=1024 IDENTITA_PASSWORD__ITERATIONS=1
  "$identita" tls self-signed >/dev/null
  sed 's/127\.0\.0\.1:4400/127.0.0.1:4401/g' "$root/conformance/identita-seed.toml" >seed.toml
  "$identita" seed seed.toml >/dev/null
  IDENTITA_DEFECTS="$defect" "$identita" serve 2>"$dir/identita.log" &
  pid=$!
  for _ in $(seq 100); do
    curl -sf --cacert keys/tls.crt "https://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
  done
  out="$root/target/conformance/defects/$defect"
  echo "== $defect (expecting $module / $condition)"
  code=0
  "$runner" run --plan oidcc-basic-certification-test-plan --variant client_secret_basic \
    --config "$root/conformance/identita-8444.toml" --out "$out" >"$dir/run.log" 2>&1 || code=$?
  stop
  found="$(python3 - "$out/results.json" "$module" "$condition" <<'PY'
import json, sys
path, module, condition = sys.argv[1:]
try:
    modules = json.load(open(path))["modules"]
except OSError:
    print("no-results"); sys.exit()
m = next((m for m in modules if m["module"] == module), None)
failed = [m["module"] for m in modules if m["outcome"] == "FAILED"]
hit = m is not None and m["outcome"] == "FAILED" and any(
    e["condition"] == condition and not e["ok"] and e["level"] == "FAILURE" for e in m["entries"])
print(("yes" if hit else "no") + f" {len(failed)}")
PY
)"
  read -r caught nfailed <<<"$found"
  verdict=caught
  if [ "$code" -eq 0 ] || [ "$caught" != yes ]; then verdict=MISSED; status=1; fi
  rows+=("$(printf '| %-15s | %-4s | %-26s | %-34s | %-3s | %-7s |' \
    "$defect" "$code" "$module" "$condition" "${nfailed:-?}" "$verdict")")
  cd "$root"
done

echo
printf '| %-15s | %-4s | %-26s | %-34s | %-3s | %-7s |\n' defect exit "expected module" "expected condition" "#F" verdict
echo '|-----------------|------|----------------------------|------------------------------------|-----|---------|'
printf '%s\n' "${rows[@]}"
echo "(#F: modules FAILED in that run; reports in target/conformance/defects/<defect>/)"
exit $status
