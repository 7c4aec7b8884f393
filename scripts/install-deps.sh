#!/usr/bin/env bash
# Installs the Debian packages vxswitch's tests and demo use, when missing.
# Idempotent; needs root (or sudo) only when something is missing.
#   tshark   - the wire codec tests compare every field with Wireshark's decode
#   iproute2 - network namespaces, veth, bridges and kernel VXLAN for the integration tests
#   tcpdump  - captures in tests and in scripts/capture-fixtures.sh
#   frr, gobgpd - real EVPN peers for interop tests and fixture captures
#   iputils-ping, iperf3 - traffic through the switch (hosts keep their default offloads)
#   ethtool  - reads offload state (the AF_XDP test); the bench's OVS engine needs tx checksum off on two veths
#   procps   - sysctl in the test namespaces
#   systemd, util-linux - systemd-analyze rates deploy/vxswitch.service; setpriv starts the daemon with only its capabilities
#   gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf, libc6-dev-arm64-cross, libc6-dev-armhf-cross, file - the
#     Raspberry Pi (arm64/armv7) addon build check (the cross C libraries are only recommended by the compilers,
#     and recommends are not installed here)
set -euo pipefail

packages=(tshark iproute2 tcpdump frr gobgpd iputils-ping ethtool iperf3 procps systemd util-linux gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross file)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all Debian packages present (${packages[*]})"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
# tshark's package asks whether non-root users may capture; answer no, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
