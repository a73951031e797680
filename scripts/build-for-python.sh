#!/usr/bin/env bash
# Builds the apus executable and the _apus extension module for CPython VERSION, against this
# machine's interpreter of that version (scripts/find-python.sh): its static libpython
# (scripts/static-python.sh) and headers, in a scratch path of its own (.build for 3.11, the
# version `make` builds; .build-py3.12, ... for the others). The extension is copied into
# python/apus/ under that version's file name, beside the others. Prints the scratch path.
#
#   scripts/build-for-python.sh 3.12 [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
configuration=${2:-debug}
python=$(scripts/find-python.sh "$version")
scripts/static-python.sh "$python"
read -r pkgconfig suffix < <("$python" -c 'import sysconfig
print(sysconfig.get_config_var("LIBPC"), sysconfig.get_config_var("EXT_SUFFIX"))')
scratch=.build
[[ $version == 3.11 ]] || scratch=.build-py$version
export APUS_PYTHON_VERSION=$version PKG_CONFIG_PATH=$pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
# Release builds skip Swift's run-time exclusivity checks (about 4% of a request's instructions
# on the loop thread); a flag of the build, not of Package.swift, where SwiftPM would refuse it
# to packages that depend on Apus by version.
flags=(${SWIFT_BUILD_FLAGS:-})
[[ $configuration == release ]] && flags+=(-Xswiftc -enforce-exclusivity=unchecked)
swift build --scratch-path "$scratch" -c "$configuration" "${flags[@]}" --product apus >&2
swift build --scratch-path "$scratch" -c "$configuration" "${flags[@]}" --product ApusExtension >&2
cp "$scratch/$configuration/libApusExtension.so" "python/apus/_apus$suffix"
echo "$scratch"
