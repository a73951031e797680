#!/usr/bin/env bash
# Idempotent machine and project setup: Debian packages, the project venv (from Debian's
# python3.11, the interpreter Apus embeds) and the pinned Python requirements.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(libuv1-dev python3-dev python3-venv pkg-config zlib1g-dev libssl-dev libnghttp2-dev nghttp2-client nodejs php-cli golang-go patchelf)
# Rust functions need rustc on PATH (Debian's, unless one is there already: rustup), and link the
# real serde_json, built once by cargo from Debian's packaged crates (crates.io may be out of reach).
command -v rustc >/dev/null || PACKAGES+=(rustc)
command -v cargo >/dev/null || PACKAGES+=(cargo)
PACKAGES+=(librust-serde-json-dev)
[[ "${APUS_SETUP_EXTRA:-}" ]] && PACKAGES+=(${APUS_SETUP_EXTRA})

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing packages; run:"
    echo "  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

PYTHON=/usr/bin/python3.11
VENV=.venv
# A venv made from another interpreter (a pyenv build, say) cannot serve the embedded one.
if [[ -f $VENV/pyvenv.cfg ]] && ! grep -q "^home = /usr/bin$" "$VENV/pyvenv.cfg"; then
  echo "setup: $VENV was not made from $PYTHON; recreating it"
  rm -rf "$VENV"
fi
if [[ ! -x $VENV/bin/python ]]; then
  "$PYTHON" -m venv "$VENV"
fi

stamp=$VENV/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# `import apus` in the project venv: the package is used in place from python/.
site=$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "$PWD/python" > "$site/apus-dev.pth"

# The interpreter the apus executable links, as one static object (the script says why).
scripts/static-python.sh "$PYTHON"

# The C++ runtime the static Swift runtime needs, linked statically too (Package.swift), so that
# the executable carries only the parts it uses: the shared libstdc++ made ~1 MB resident at
# start (its locale and stream set-up). A folder of its own, searched before the system's, in
# which -lstdc++ finds only the archive (the libstdc++-dev the Swift toolchain depends on has
# it; without it, the shared library is linked).
static_cxx=$(clang -print-file-name=libstdc++.a 2>/dev/null || true)
if [[ $static_cxx == /* && -f $static_cxx ]]; then
  mkdir -p .build/static-cxx
  ln -sfn "$static_cxx" .build/static-cxx/libstdc++.a
fi
