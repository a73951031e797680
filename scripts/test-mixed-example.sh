#!/usr/bin/env bash
# Builds examples/mixed-service as a Swift team would: depending on Apus by URL and version
# (a tagged Git copy of this working tree, reached through a file URL, stands for the published
# repository), then runs Tests/example against the program it built. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/.build-mixed
source=$work/apus
version=$(sed -n 's/.*static let version = "\(.*\)"/\1/p' Sources/App/ApusCommand.swift)
rm -rf "$source"
mkdir -p "$source"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [[ -e $file ]] && cp --parents -P "$file" "$source/"
done
git -C "$source" init -q
git -C "$source" add -A
git -C "$source" -c user.name=apus -c user.email=apus@localhost commit -qm "Apus $version"
git -C "$source" tag "$version"
rm -f examples/mixed-service/Package.resolved
# The tag names a new commit each run: the last run's build (SwiftPM's clone of the copy, its
# checkout, what it built from them) must go, or version 0.1.0 would resolve to the old commit.
rm -rf "$work/build"
APUS_PACKAGE_URL="file://$source" swift build --package-path examples/mixed-service --scratch-path "$work/build" \
  --product MixedService >&2
MIXED_SERVICE_BIN="$work/build/debug/MixedService" .venv/bin/python -m pytest -q --timeout 300 Tests/example
