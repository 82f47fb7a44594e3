#!/usr/bin/env bash
# The package as users get it: `npm pack`, `npm install -g` of that tarball into a temporary
# prefix, then, with a temporary HOME and nothing read from this checkout, `keygate init`,
# `keygate serve` and one tool call through `keygate stdio` against a fake Notion on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/keygate-package-XXXXXX")
trap 'rm -rf "$work"' EXIT

tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
# What runs must be in the tarball, and nothing from development.
contents=$(tar -tzf "$work/$tarball")
for needed in package/bin/keygate package/dist/cli/main.js package/specs/github.json package/specs/notion.json package/specs/stripe.json; do
  grep -qx "$needed" <<<"$contents" || { echo "check-package: $needed is missing from $tarball" >&2; exit 1; }
done
if grep -qE '^package/(src|test|bench|vault)/' <<<"$contents"; then
  echo "check-package: $tarball holds development files" >&2
  exit 1
fi

npm install -g --prefix "$work/prefix" --no-audit --no-fund --loglevel=error "$work/$tarball" >/dev/null
mkdir -p "$work/home"
# The installed keygate first on PATH; HOME and the working folder are far from the checkout.
cd "$work/home"
HOME="$work/home" PATH="$work/prefix/bin:$PATH" KEYGATE_CHECK_PREFIX="$work/prefix" \
  timeout 300 node "$checkout/scripts/check-package.mjs"
