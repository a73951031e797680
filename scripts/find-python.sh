#!/usr/bin/env bash
# The path of this machine's CPython VERSION (3.11, 3.12, ...): Debian's, then pyenv's newest
# build of that version, then one on PATH. Downloads nothing; fails, saying so, when none is here.
#
#   scripts/find-python.sh 3.12
set -euo pipefail
version=$1
candidates=("/usr/bin/python$version")
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
if [[ -d $pyenv_root/versions ]]; then
  while read -r folder; do
    candidates+=("$folder/bin/python$version")
  done < <(ls -d "$pyenv_root/versions/$version".* 2>/dev/null | sort -t. -k3 -n -r)
fi
candidates+=("/usr/local/bin/python$version")
IFS=: read -ra path <<< "${PATH:-}"
for folder in "${path[@]}"; do
  [[ $folder == */shims ]] || candidates+=("$folder/python$version")
done
for python in "${candidates[@]}"; do
  if [[ -x $python ]] && "$python" -c 'import sysconfig' 2>/dev/null; then
    echo "$python"
    exit 0
  fi
done
echo "find-python: no CPython $version on this machine (looked in /usr/bin, $pyenv_root/versions, PATH)" >&2
exit 1
