#!/usr/bin/env bash
# Cross-compiles the native addon (src/dataplane/native/*.c, the sources of
# binding.gyp) for the Raspberry Pi: arm64 (aarch64-linux-gnu, Raspberry Pi
# OS 64-bit, Pi 3/4/5) and armv7 (arm-linux-gnueabihf, Raspberry Pi OS
# 32-bit), with Debian's cross compilers against Node's headers, and checks
# each result with `file`.
#
# What this proves: the C sources compile and link warning-free for both ARM
# ABIs (32-bit pointers, ARM struct layout, the arm kernel headers of
# linux-libc-dev-*-cross). What it does NOT prove: that the addon runs on
# ARM. Nothing here is executed on ARM; on a Pi, `npm ci` builds the addon
# natively with node-gyp (docs/raspberry-pi.md) and the test suite runs
# there. N-API symbols stay undefined in the .node file, as in any addon:
# node provides them when it loads it.
#
# Usage: scripts/cross-build-addon.sh [OUT_DIR]   (default build/cross)
#   OUT_DIR/arm64/*.o, OUT_DIR/arm64/vxio.node, OUT_DIR/armv7/...
#   NODE_INCLUDE=/path/to/include/node to use other headers.
#   CROSS_NO_INSTALL=1: fail instead of apt-get installing missing compilers.
# Prints one "ok <arch>: <file output>" line per target; exits non-zero on
# any compile error, warning-as-error or unexpected `file` output.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/cross}
src=$root/src/dataplane/native
sources=(vxio.c packet.c tap.c udp.c tcp.c netlink.c xdp.c)

# Node's headers: node_api.h and uv.h. Debian's nodejs and NodeSource's
# package put them in /usr/include/node; a tarball install next to the binary.
include=${NODE_INCLUDE:-}
if [ -z "$include" ]; then
  for d in /usr/include/node "$(dirname "$(dirname "$(command -v node)")")/include/node"; do
    if [ -f "$d/node_api.h" ] && [ -f "$d/uv.h" ]; then include=$d; break; fi
  done
fi
if [ -z "$include" ] || [ ! -f "$include/node_api.h" ]; then
  echo "cross-build-addon: Node's headers (node_api.h, uv.h) not found; set NODE_INCLUDE" >&2
  exit 1
fi

# arch name : compiler triplet : Debian package : expected `file` text
targets=(
  "arm64:aarch64-linux-gnu:gcc-aarch64-linux-gnu:ELF 64-bit LSB shared object, ARM aarch64"
  "armv7:arm-linux-gnueabihf:gcc-arm-linux-gnueabihf:ELF 32-bit LSB shared object, ARM, EABI5"
)

missing=()
for t in "${targets[@]}"; do
  IFS=: read -r _ triplet pkg _ <<<"$t"
  command -v "$triplet-gcc" >/dev/null || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${CROSS_NO_INSTALL:-0}" = 1 ]; then
    echo "cross-build-addon: missing ${missing[*]} (CROSS_NO_INSTALL=1)" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "cross-build-addon: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The flags of binding.gyp (defines, cflags) plus what node-gyp adds for a
# shared module; -Werror so a warning on a 32-bit target fails the check.
cflags=(-std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -Werror -fPIC -fvisibility=hidden
  -DNAPI_VERSION=8 -D_GNU_SOURCE -DBUILDING_NODE_EXTENSION -I"$include")

pids=()
for t in "${targets[@]}"; do
  IFS=: read -r arch triplet _ _ <<<"$t"
  (
    dir=$out/$arch
    rm -rf "$dir"
    mkdir -p "$dir"
    objs=()
    for s in "${sources[@]}"; do
      "$triplet-gcc" "${cflags[@]}" -c "$src/$s" -o "$dir/${s%.c}.o"
      objs+=("$dir/${s%.c}.o")
    done
    # Undefined napi_*/uv_* symbols are resolved by node at load time.
    "$triplet-gcc" -shared -o "$dir/vxio.node" "${objs[@]}"
  ) &
  pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
if [ $fail -ne 0 ]; then
  echo "cross-build-addon: compile failed" >&2
  exit 1
fi

for t in "${targets[@]}"; do
  IFS=: read -r arch _ _ want <<<"$t"
  got=$(file -b "$out/$arch/vxio.node")
  case $got in
    "$want"*) echo "ok $arch: $got" ;;
    *)
      echo "cross-build-addon: $out/$arch/vxio.node is \"$got\", expected \"$want...\"" >&2
      exit 1
      ;;
  esac
  for o in "$out/$arch"/*.o; do
    file -b "$o" | grep -q "relocatable" || { echo "cross-build-addon: $o: $(file -b "$o")" >&2; exit 1; }
  done
done
