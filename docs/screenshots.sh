#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: the person-facing pages (login with its list of means,
# login with an error, NIA ID's login and SMS code page, consent, logout confirmation, an error page, the landing page) in Czech and English, at a
# phone's width, taken by the accessibility test in headless Chromium while it audits them.
#
# Needs Debian's chromium and chromium-driver, and `npm ci` in tests/third_party (axe-core).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/docs/screenshots"
rm -f "$out"/*.png
CI=true IDENTITA_SCREENSHOTS="$out" cargo test --test it -- \
    accessibility::every_page_passes_axe_in_czech_and_english_at_desktop_and_phone_widths --exact
ls -l "$out"
