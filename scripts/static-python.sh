#!/usr/bin/env bash
# The interpreter the apus executable links, for the Python given (default Debian's python3.11):
# its static libpython, the code that interpreter runs (Python code runs ~12% slower in the
# position-independent shared library), made one relocatable object so that its C API stays
# exported to extension modules. Package.swift links the shared library when this is absent.
# `--unique` keeps each member's code sections apart (hot, normal, unlikely), so that the link
# order (scripts/symbol-order.txt) can put those with code that runs together and leave the rest
# unmapped. Remade when the archive or this recipe changes. Idempotent.
#
#   scripts/static-python.sh [/path/to/python3.X]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:-/usr/bin/python3.11}
read -r version libpl < <("$PYTHON" -c 'import sys, sysconfig
print("%d.%d" % sys.version_info[:2], sysconfig.get_config_var("LIBPL"))')
archive=$libpl/libpython$version.a
static_python=.build/static-python/libpython$version.o
recipe="ld -r --whole-archive --unique=.text* $archive"
[[ -f $archive ]] || exit 0
if [[ ! -f $static_python || $archive -nt $static_python || "$(cat "$static_python.recipe" 2>/dev/null)" != "$recipe" ]]; then
  mkdir -p "$(dirname "$static_python")"
  ld -r --whole-archive --unique='.text*' "$archive" -o "$static_python.tmp"
  mv "$static_python.tmp" "$static_python"
  echo "$recipe" > "$static_python.recipe"
fi
