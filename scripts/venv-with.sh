#!/usr/bin/env bash
# A venv made from the interpreter Apus embeds with the given pip requirements, at DIR (under
# the repo), made again only when the requirements change. Prints DIR. Idempotent.
#
#   scripts/venv-with.sh .build/venv-NAME fastapi==0.115.3 ... [-r requirements.txt]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$1
shift
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
/usr/bin/python3.11 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2
echo "$wanted" > "$stamp"
echo "$VENV"
