#!/usr/bin/env bash
# A venv made from the interpreter Apus embeds with the given pip requirements, at DIR (under
# the repo), made again only when the requirements change. Prints DIR. Idempotent.
# With APUS_PYTHON_VERSION (the tests of another Python's build, scripts/test-python.sh), the
# venv is made from that version's interpreter, in .build-pyVERSION/ instead of .build/.
#
#   scripts/venv-with.sh .build/venv-NAME fastapi==0.115.3 ... [-r requirements.txt]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$1
shift
PYTHON=/usr/bin/python3.11
if [[ ${APUS_PYTHON_VERSION:-3.11} != 3.11 ]]; then
  PYTHON=$(scripts/find-python.sh "$APUS_PYTHON_VERSION")
  VENV=.build-py$APUS_PYTHON_VERSION/${VENV#.build/}
fi
wanted="$*"
for argument in "$@"; do
  [[ $argument == -r ]] && continue
  [[ -f $argument ]] && wanted="$wanted $(grep -v '^#' "$argument" | tr '\n' ' ')"
done
stamp=$VENV/.requirements
if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
  echo "$VENV"
  exit 0
fi
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2
echo "$wanted" > "$stamp"
echo "$VENV"
