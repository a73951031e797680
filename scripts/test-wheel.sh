#!/usr/bin/env bash
# Builds the wheel for CPython VERSION (debug configuration: the same files as a release wheel,
# built in the time a test can spend) and installs and uses it as a user would (Tests/wheel).
#
#   scripts/test-wheel.sh 3.12 [release|debug]
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
wheel=$(scripts/build-wheel.sh "$version" "${2:-debug}")
echo "test-wheel $version: $wheel ($(du -h "$wheel" | cut -f1))"
APUS_WHEEL=$PWD/$wheel APUS_WHEEL_PYTHON=$(scripts/find-python.sh "$version") \
  .venv/bin/python -m pytest -q --timeout 600 Tests/wheel
