#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: every person-facing page the accessibility test audits
# (tests/it/accessibility.rs: the landing page, login with its list of means and with an error,
# each means' pages, consent, account selection, logout, error pages; tests/it/webauthn.rs: the
# security key pages) in Czech and English, at a desktop's and a phone's width
# (`{page}-{language}-{width}.png`), taken in headless Chromium while the tests audit them.
#
# Needs Debian's chromium and chromium-driver, and `npm ci` in tests/third_party (axe-core).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/docs/screenshots"
# Taken into a new directory: the old screenshots stay if the tests fail.
new="$(mktemp -d)"
trap 'rm -rf "$new"' EXIT
CI=true IDENTITA_SCREENSHOTS="$new" cargo test --test it -- \
    accessibility::every_page_passes_axe_in_czech_and_english_at_desktop_and_phone_widths \
    webauthn::the_key_pages_pass_axe_in_czech_and_english --exact
rm -f "$out"/*.png
mkdir -p "$out"
cp "$new"/*.png "$out"/
ls -l "$out"
