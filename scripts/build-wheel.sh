#!/usr/bin/env bash
# A platform wheel of Apus for CPython VERSION in dist/: the `apus` executable (installed as the
# `apus` command), the `apus` Python package with its `_apus` extension module for that version,
# and the libraries the extension needs beyond Debian's base system (libuv and nghttp2; the
# executable has them built in). Built from this machine's interpreter of that version (scripts/find-python.sh)
# with the release configuration, unless CONFIGURATION says debug (the tests' quick wheel).
#
#   scripts/build-wheel.sh 3.12 [release|debug]
#
# What a user's machine needs at run time: glibc 2.36 or later, libstdc++, zlib, expat and
# OpenSSL 3's libcrypto (all loaded by any CPython of Debian 12 or later) and the Python of the
# wheel's version. The tag is linux_<arch>, for installing from a file: PyPI takes manylinux
# wheels only, which `auditwheel repair` makes by carrying libcrypto too (.github/workflows/wheels.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
configuration=${2:-release}
scratch=$(scripts/build-for-python.sh "$version" "$configuration")
python=$(scripts/find-python.sh "$version")
read -r suffix < <("$python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
package_version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' python/apus/__init__.py)
tag=cp${version/./}-cp${version/./}-linux_$(uname -m)
multiarch=$(gcc -print-multiarch)

staging=$scratch/wheel
rm -rf "$staging"
data=$staging/apus-$package_version.data/scripts
info=$staging/apus-$package_version.dist-info
mkdir -p "$data" "$info" "$staging/apus/_libs"

# The Python package, with this version's extension module only.
(cd python && find apus -name __pycache__ -prune -o -type f ! -name '_apus.cpython-*.so' -print) |
  while read -r file; do install -D -m 644 "python/$file" "$staging/$file"; done
install -m 755 "$scratch/$configuration/libApusExtension.so" "$staging/apus/_apus$suffix"
install -m 644 "$(readlink -f "/usr/lib/$multiarch/libuv.so.1")" "$staging/apus/_libs/libuv.so.1"
install -m 644 "$(readlink -f "/usr/lib/$multiarch/libnghttp2.so.14")" "$staging/apus/_libs/libnghttp2.so.14"
patchelf --set-rpath '$ORIGIN/_libs' "$staging/apus/_apus$suffix"

# The executable: libuv is linked in from its archive, so the shared library the module map also
# names is not used (checked here) and is dropped from its needs.
install -m 755 "$scratch/$configuration/apus" "$data/apus"
if nm -D --undefined-only "$data/apus" | grep -q ' uv_'; then
  echo "build-wheel: the executable imports libuv symbols; it must link libuv statically" >&2
  exit 1
fi
patchelf --remove-needed libuv.so.1 "$data/apus"
# nghttp2 likewise in the executable; the extension links the shared library, copied beside it.
if nm -D --undefined-only "$data/apus" | grep -q ' nghttp2_'; then
  echo "build-wheel: the executable imports nghttp2 symbols; it must link nghttp2 statically" >&2
  exit 1
fi
patchelf --remove-needed libnghttp2.so.14 "$data/apus"
if [[ $configuration == release ]]; then
  strip --strip-debug "$data/apus" "$staging/apus/_apus$suffix"
fi

cat > "$info/METADATA" <<METADATA
Metadata-Version: 2.1
Name: apus
Version: $package_version
Summary: Serves FastAPI and any ASGI app, and a directory of functions, from one native server
Requires-Python: ==$version.*
Provides-Extra: fastapi
Requires-Dist: fastapi; extra == "fastapi"
METADATA
cat > "$info/WHEEL" <<WHEEL
Wheel-Version: 1.0
Generator: apus scripts/build-wheel.sh
Root-Is-Purelib: false
Tag: $tag
WHEEL
mkdir -p dist
.venv/bin/python -m wheel pack "$staging" --dest-dir dist >&2
echo "dist/apus-$package_version-$tag.whl"
