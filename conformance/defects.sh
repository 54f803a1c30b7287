#!/usr/bin/env bash
# Shows that the runner catches real defects: for each deliberate defect of identita's test build
# (`--features defects`, see src/defects/) it starts that build on https://127.0.0.1:8444 with
# the defect switched on (RP endpoints on 4402, run config identita-8444.toml, the seed derived
# from identita-seed.toml), runs the module that must catch it — of the Basic plan
# (client_secret_basic; `encrypted`: with identita-encrypted.toml's client, which gets encrypted
# ID tokens), of the RP-Initiated Logout plan or of the Dynamic plan (code) — (or the
# whole plan with --full) and asserts that the runner exits non-zero AND that the module failed on
# the expected condition. A defect whose condition is a WARNING (the suite's level) must make the
# module end WARNING on that condition instead (the runner then exits 0, as certification allows).
# A defect may be tried against a second module as `<defect>@<what>` (e.g. error-page-500@logout).
# Two defects are of the deployment, not of the build (`deployment` below): how the OP is started
# or how its keys are rotated, for oidcc-server-rotate-keys.
# First, a control run per plan of the same build with no defect switched on must pass all those
# modules. Prints a table; exits 1 when a defect went unnoticed (or a control failed).
# Arguments: [--full] and the entries to try (default: all).
# Reports: target/conformance/defects/{control-<plan>,<entry>}/.
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

# defect -> "plan module condition [level]" that must have failed (by the reference,
# conformance.md; the level is FAILURE unless named):
# replayable-code: oidcc-codereuse only WARNS when the replay gets 200 (3.28); the 30-second
# replay has no such exemption (3.29), so it is the module that must fail.
# The last three are caught by the runner's own checks where the suite asks a person: the login
# page shown again for prompt=login, no page for prompt=none, a 4xx error page (README
# "Conditions that differ from the suite").
# The logout entries are caught by the runner's judgement of the logout plan's pages (the logged-out
# page must be shown and the session ended; an error page must be 4xx and show an error).
# jwe-no-kid: the ID tokens of a client that registered for encryption (identita-encrypted.toml)
# still decrypt (the runner tries every fitting key, as the suite selects one without a kid), but
# the JWE header names no key: ValidateEncryptedIdTokenHasKid (PerformStandardIdTokenChecks).
# drop-acr: no module of the OIDCC plans, the suite's or this runner's, asks for `acr` in the
# `claims` parameter (the suite does so only in its FAPI plans, AddAcrClaimToAuthorizationEndpointRequest),
# so ValidateIdTokenACRClaimAgainstRequest has nothing to compare there; the module that asks for an
# acr is the acr_values one, whose check is a WARNING in the suite.
declare -A expect=(
  [replayable-code]="basic oidcc-codereuse-30seconds CheckTokenEndpointHttpStatus400"
  [drop-nonce]="basic oidcc-server ValidateIdTokenNonce"
  [wrong-kid]="basic oidcc-server ValidateIdTokenSignature"
  [drop-state]="basic oidcc-server CheckStateInAuthorizationResponse"
  [ignore-prompt-login]="basic oidcc-prompt-login RunnerCheckSecondLoginPageShown"
  [prompt-none-page]="basic oidcc-prompt-none-logged-in RunnerCheckNoInteractionForPromptNone"
  [error-page-500]="basic oidcc-ensure-registered-redirect-uri RunnerCheckErrorPageHttpStatus4xx"
  [error-page-500@logout]="logout oidcc-rp-initiated-logout-bad-post-logout-redirect-uri RunnerCheckLogoutErrorOrLoggedOutPage"
  [logout-keeps-session]="logout oidcc-rp-initiated-logout-no-params RunnerCheckSessionEndedAfterLogoutPage"
  [stale-keys]="dynamic oidcc-server-rotate-keys VerifyNewJwksHasNewSigningKey"
  [rotate-drops-old-key]="dynamic oidcc-server-rotate-keys VerifyNewJwksStillHasOldSigningKey WARNING"
  [jwe-no-kid]="encrypted oidcc-server ValidateEncryptedIdTokenHasKid"
  [drop-acr]="basic oidcc-ensure-request-with-acr-values-succeeds ValidateIdTokenACRClaimAgainstAcrValuesRequest WARNING"
)
# The deployment defects: no IDENTITA_DEFECTS, but the OP started with other settings ("env
# VAR=VALUE ...") or its keys rotated by another command ("rotate COMMAND", the run config's
# rotate_keys_command, run in the OP's directory).
# stale-keys: the server never reads its key directory again (a reload interval of an hour), so
# a rotation by `identita keys rotate` is not published: the JWKS has no new signing key.
# rotate-drops-old-key: the operator "rotates" by deleting the key files and letting identita make
# new ones, so the old key is unpublished at once and tokens it signed cannot be verified any more
# (OIDC Core 10.1.1: SHOULD retain it; the suite's check is a WARNING). While no algorithm has an
# active key the server's reload fails and it keeps its ring, so it never publishes a half-way
# state.
declare -A deployment=(
  [stale-keys]="env IDENTITA_KEYS_RELOAD_INTERVAL=3600"
  [rotate-drops-old-key]="rotate rm -f keys/*.json && \"\$CONFORMANCE_OP_BIN\" keys rotate >/dev/null"
)
# The plans, by the short names above: the plan and its variant arguments.
declare -A plan_args=(
  [basic]="--plan oidcc-basic-certification-test-plan --variant client_secret_basic"
  [logout]="--plan oidcc-rp-initiated-logout-certification-test-plan"
  [dynamic]="--plan oidcc-dynamic-certification-test-plan --variant code"
  [encrypted]="--plan oidcc-basic-certification-test-plan --variant client_secret_basic"
)
# The run config of each plan: identita-8444.toml, or for `encrypted` (its `client` registered for
# encrypted ID tokens) a copy of identita-encrypted.toml moved to port 8444 and RP port 4402.
declare -A plan_config=()
# The control runs every module named above (and oidcc-codereuse), one run per plan; each defect
# run only its module. With `--full` as the first argument, every run is the whole plan (35
# modules of Basic, 23 of Dynamic, several minutes each).
full=no
if [ "${1:-}" = --full ]; then full=yes; shift; fi
defects=("$@")
[ ${#defects[@]} -eq 0 ] && defects=(replayable-code drop-nonce wrong-kid drop-state ignore-prompt-login \
  prompt-none-page error-page-500 error-page-500@logout logout-keeps-session stale-keys rotate-drops-old-key \
  jwe-no-kid drop-acr)

work="$(mktemp -d)"
for plan in "${!plan_args[@]}"; do plan_config[$plan]="$root/conformance/identita-8444.toml"; done
sed -e 's/127\.0\.0\.1:8443/127.0.0.1:8444/g' -e 's/127\.0\.0\.1:4400/127.0.0.1:4402/g' \
  "$root/conformance/identita-encrypted.toml" >"$work/identita-8444-encrypted.toml"
plan_config[encrypted]="$work/identita-8444-encrypted.toml"
pid=""
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi
}
trap 'stop; rm -rf "$work" "$bin"' EXIT

# start_op DIR DEFECT [VAR=VALUE ...]: a fresh defects build on $port in DIR, with DEFECT switched
# on ("" for none) and the server's environment changed by the VAR=VALUE arguments.
start_op() {
  local dir="$1" defect="$2"
  shift 2
  mkdir -p "$dir" && cd "$dir"
  export IDENTITA_ISSUER=https://127.0.0.1:$port IDENTITA_LISTEN=127.0.0.1:$port \
    IDENTITA_TLS__CERT_FILE=keys/tls.crt IDENTITA_TLS__KEY_FILE=keys/tls.key IDENTITA_OUTBOUND_CA_FILE=keys/tls.crt \
    IDENTITA_PASSWORD__MEMORY_KIB=1024 IDENTITA_PASSWORD__ITERATIONS=1 \
    IDENTITA_REGISTRATION__ENABLED=true IDENTITA_OUTBOUND__ALLOW_LOOPBACK=true \
    IDENTITA_REGISTRATION__PER_SOURCE_LIMIT=0 IDENTITA_INTERACTIONS__PER_SOURCE=0 IDENTITA_PASSWORD__ADDRESS_LIMIT=0
  # oidcc-server-rotate-keys, as run-identita.sh: the run config's rotate_keys_command runs
  # `$CONFORMANCE_OP_BIN keys rotate` here, and the server reloads its keys every second.
  export CONFORMANCE_OP_BIN="$identita" IDENTITA_KEYS_RELOAD_INTERVAL=1
  "$identita" tls self-signed >/dev/null
  "$identita" init >/dev/null
  sed 's/127\.0\.0\.1:4400/127.0.0.1:4402/g' "$root/conformance/identita-seed.toml" >seed.toml
  "$identita" seed seed.toml >/dev/null
  env IDENTITA_DEFECTS="$defect" "$@" "$identita" serve 2>"$dir/identita.log" &
  pid=$!
  for _ in $(seq 100); do
    curl -sf --cacert keys/tls.crt "https://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
  done
}

# verdict RESULTS MODULE CONDITION LEVEL: "<outcome> <condition failed at LEVEL: yes|no> <#FAILED
# in the run>".
verdict() {
  python3 - "$@" <<'PY'
import json, sys
path, module, condition, level = sys.argv[1:]
try:
    modules = json.load(open(path))["modules"]
except OSError:
    print("none no ?"); sys.exit()
m = next((m for m in modules if m["module"] == module), None)
failed = [m["module"] for m in modules if m["outcome"] == "FAILED"]
hit = m is not None and any(
    e["condition"] == condition and not e["ok"] and e["level"] == level for e in m["entries"])
print(f"{m['outcome'] if m else 'absent'} {'yes' if hit else 'no'} {len(failed)}")
PY
}

# The controls: the same build, no defect switched on, the same modules must pass (per plan).
for defect in "${defects[@]}"; do : "${expect[$defect]:?unknown defect $defect}"; done
declare -A only=()
for defect in "${defects[@]}"; do
  read -r plan module _ <<<"${expect[$defect]}"
  if [ $full = yes ]; then only[$plan]=""; continue; fi
  [ "$plan" = basic ] && [ -z "${only[$plan]:-}" ] && only[$plan]="--only oidcc-codereuse"
  [ -z "${only[$plan]:-}" ] && only[$plan]="--only"
  [[ " ${only[$plan]} " == *" $module "* ]] || only[$plan]="${only[$plan]} $module"
done
status=0
for plan in "${!only[@]}"; do
  echo "== control ($plan): no defect"
  start_op "$work/control-$plan" ""
  control_code=0
  # shellcheck disable=SC2086 # the arguments are words
  "$runner" run ${plan_args[$plan]} --config "${plan_config[$plan]}" \
    --out "$root/target/conformance/defects/control-$plan" ${only[$plan]} \
    >"$work/control-$plan/run.log" 2>&1 || control_code=$?
  stop
  cd "$root"
  if [ "$control_code" -ne 0 ]; then
    echo "the control run of $plan failed (exit $control_code): the modules must pass without a defect"
    cat "$work/control-$plan/run.log"
    status=1
  fi
done

rows=()
for entry in "${defects[@]}"; do
  defect="${entry%@*}"
  read -r plan module condition level <<<"${expect[$entry]}"
  level="${level:-FAILURE}"
  read -r clean_outcome _ _ <<<"$(verdict "$root/target/conformance/defects/control-$plan/results.json" "$module" "$condition" "$level")"
  dir="$work/$entry"
  # A build defect is switched on by name; a deployment defect changes the server's environment or
  # the run config's rotate_keys_command.
  switch="$defect" server_env=() config="${plan_config[$plan]}"
  case "${deployment[$defect]:-}" in
    env\ *) switch="" && read -ra server_env <<<"${deployment[$defect]#env }" ;;
    rotate\ *)
      switch=""
      mkdir -p "$dir"
      config="$dir/run.toml"
      command="${deployment[$defect]#rotate }"
      python3 - "${plan_config[$plan]}" "$config" "$command" <<'PY'
import json, re, sys
source, target, command = sys.argv[1:]
text = open(source).read()
# A TOML basic string is a JSON string.
text, n = re.subn(r"(?m)^rotate_keys_command = .*$", lambda _: "rotate_keys_command = " + json.dumps(command), text)
assert n == 1, "identita-8444.toml has no rotate_keys_command line"
open(target, "w").write(text)
PY
      ;;
  esac
  start_op "$dir" "$switch" "${server_env[@]}"
  out="$root/target/conformance/defects/$entry"
  echo "== $entry (expecting $module / $condition, $level)"
  code=0
  one=()
  [ $full = no ] && one=(--only "$module")
  # shellcheck disable=SC2086
  "$runner" run ${plan_args[$plan]} \
    --config "$config" --out "$out" "${one[@]}" >"$dir/run.log" 2>&1 || code=$?
  stop
  read -r outcome caught nfailed <<<"$(verdict "$out/results.json" "$module" "$condition" "$level")"
  # A FAILURE must fail the module and the run; a WARNING must leave the module WARNING (the run
  # may pass: the suite's certification accepts warnings).
  result=caught
  if [ "$level" = WARNING ]; then
    result=warned
    if [ "$outcome" != WARNING ] || [ "$caught" != yes ]; then result=MISSED; status=1; fi
  elif [ "$code" -eq 0 ] || [ "$outcome" != FAILED ] || [ "$caught" != yes ]; then
    result=MISSED; status=1
  fi
  if [ "$clean_outcome" = FAILED ] || [ "$clean_outcome" = absent ] || [ "$clean_outcome" = none ] \
    || { [ "$level" = WARNING ] && [ "$clean_outcome" != PASSED ]; }; then
    result="$result, control $clean_outcome"; status=1
  fi
  rows+=("$(printf '| %-21s | %-60s | %-38s | %-8s | %-7s | %-4s | %-3s | %-7s |' \
    "$entry" "$module" "$condition" "$clean_outcome" "$outcome" "$code" "$nfailed" "$result")")
  cd "$root"
done

echo
printf '| %-21s | %-60s | %-38s | %-8s | %-7s | %-4s | %-3s | %-7s |\n' \
  defect "module" "condition" "no defect" "defect" exit "#F" verdict
echo '|---|---|---|---|---|---|---|---|'
printf '%s\n' "${rows[@]}"
echo "(no defect: the module's outcome in the control run; defect: its outcome with the defect on;"
echo " exit: the runner's exit status; #F: modules FAILED in that run; warned: a WARNING-level"
echo " condition, the module WARNING;"
echo " reports in target/conformance/defects/{control-<plan>,<entry>}/)"
exit $status
