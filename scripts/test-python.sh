#!/usr/bin/env bash
# The end-to-end suite and FastAPI's public tutorial tests (server mode) against the build for
# CPython VERSION, in a venv of that version with the project's requirements. `make
# test-pythons` runs it for each version besides 3.11 (which `make test` covers).
#
#   scripts/test-python.sh 3.12
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
scratch=$(scripts/build-for-python.sh "$version" debug)
export APUS_PYTHON_VERSION=$version
venv=$(scripts/venv-with.sh .build/venv -r requirements.txt -r requirements-dev.txt)
venv=$PWD/$venv
# `import apus` in place from python/, as in the project venv.
site=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "$PWD/python" > "$site/apus-dev.pth"
echo "test-python $version: $("$venv/bin/python" --version), $scratch/debug/apus"
export APUS_TEST_VENV=$venv VIRTUAL_ENV=$venv APUS_BIN=$PWD/$scratch/debug/apus
"$venv/bin/python" -m pytest -q --timeout 300 Tests/python Tests/e2e
APUS_COMPAT_OUT=$PWD/$scratch/compat Tests/compat/run.sh
