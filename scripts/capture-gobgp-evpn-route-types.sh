#!/usr/bin/env bash
# Capture every EVPN route type (1-5) and the EVPN extended communities GoBGP
# can originate, as GoBGP encodes them on the wire, for the codec tests.
#
#   scripts/capture-gobgp-evpn-route-types.sh [OUT_DIR]      (run as root)
#
# Two gobgpd (AS 65000, iBGP, l2vpn-evpn) in one throw-away namespace,
# A on 10.99.0.1 and B on 10.99.0.2, captured on lo. A originates with the
# gobgp CLI: Type 1 (LACP ESI, ESI label), Type 2 (two labels, IPv4/IPv6,
# MAC/ARBITRARY/MSTP ESIs, router's MAC, default gateway), Type 3 (IPv4 and
# IPv6 originator, 4-byte-AS RD, PMSI), Type 4 (router-ID and type-7 ESIs),
# Type 5 (IPv4 with ESI and gateway, IPv4 with gateway, IPv6). B then
# originates one of A's MACs (GoBGP adds MAC Mobility), and A withdraws one
# route each of Types 1, 4 and 5.
# An FRR bgpd (C, 10.99.0.3, with zebra, in a second namespace behind a
# veth: FRR denies a next hop that is one of its own addresses) also peers
# with A as a route-reflector client, to see how FRR prints the same routes. Only A <-> B is captured. Writes
#   OUT_DIR/gobgp-evpn-route-types.pcap        the A <-> B session
#   OUT_DIR/gobgp-evpn-route-types.rib.txt     `gobgp global rib -a evpn` on B
#   OUT_DIR/gobgp-evpn-route-types.frr.txt     `show bgp l2vpn evpn route` on C
# (both listings taken before the withdraws, FRR's before the IPv6 Types 3
# and 4, which FRR 8.4 refuses; the route-text tests read them).
#
# Needs gobgpd + gobgp (3.10 tested), frr (8.4 tested), tcpdump, iproute2.
# The EXIT trap kills what it started, by PID, and deletes the namespace and
# the FRR state.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/test/fixtures}
NS="vxe-$$"
NSF="vxe-$$-frr"
STATE=$(mktemp -d "/tmp/$NS.XXXXXX")
FRR_BIN=${FRR_BIN:-/usr/lib/frr}
PIDS=()

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
cleanup() {
  local pid pf
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pf in "/var/run/frr/$NSF"/*.pid; do
    [ -f "$pf" ] && { kill "$(cat "$pf")" 2>/dev/null || true; }
  done
  sleep 0.3
  for ns in "$NS" "$NSF"; do
    [ -e "/var/run/netns/$ns" ] || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" || true
  done
  rm -rf "$STATE" "/etc/frr/$NSF" "/var/run/frr/$NSF"
}
trap cleanup EXIT

for tool in ip tcpdump gobgpd gobgp vtysh "$FRR_BIN/zebra" "$FRR_BIN/bgpd"; do
  command -v "$tool" >/dev/null 2>&1 || { log "$tool not found"; exit 1; }
done
[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
mkdir -p "$OUT"

ip netns add "$NS"
ip netns add "$NSF"
ip -n "$NS" link set lo up
ip -n "$NSF" link set lo up
ip -n "$NS" link add d0 type veth peer name d1 netns "$NSF"
ip -n "$NS" addr add 10.99.0.1/24 dev d0
ip -n "$NS" addr add 10.99.0.2/24 dev d0
ip -n "$NSF" addr add 10.99.0.3/24 dev d1
ip -n "$NS" link set d0 up
ip -n "$NSF" link set d1 up
X() { ip netns exec "$NS" "$@"; }
XF() { ip netns exec "$NSF" "$@"; }

neighbor_toml() { # neighbor_toml MY_IP PEER_IP
  printf '[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "%s"\n    peer-as = 65000\n' "$2"
  printf '  [neighbors.timers.config]\n    connect-retry = 1\n'
  printf '  [neighbors.transport.config]\n    local-address = "%s"\n' "$1"
  printf '  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "l2vpn-evpn"\n'
}
gobgp_conf() { # gobgp_conf NAME MY_IP ROUTER_ID PEER_IP...
  local name=$1 me=$2 id=$3 peer
  shift 3
  {
    printf '[global.config]\n  as = 65000\n  router-id = "%s"\n  port = 179\n  local-address-list = ["%s"]\n' "$id" "$me"
    for peer in "$@"; do neighbor_toml "$me" "$peer"; done
  } >"$STATE/$name.toml"
}
gobgp_conf a 10.99.0.1 10.99.0.1 10.99.0.2 10.99.0.3
gobgp_conf b 10.99.0.2 10.99.0.2 10.99.0.1

# FRR C: zebra (for next-hop tracking) + bgpd.
mkdir -p "/etc/frr/$NSF" "$STATE/frr"
echo "service integrated-vtysh-config" >"/etc/frr/$NSF/vtysh.conf"
echo "hostname vxe-frr" >"$STATE/frr/zebra.conf"
printf '%s\n' \
  'frr defaults datacenter' 'hostname vxe-frr' 'router bgp 65000' ' bgp router-id 10.99.0.3' \
  ' no bgp default ipv4-unicast' ' neighbor 10.99.0.1 remote-as 65000' \
  ' neighbor 10.99.0.1 update-source 10.99.0.3' ' address-family l2vpn evpn' \
  '  neighbor 10.99.0.1 activate' '  neighbor 10.99.0.1 route-reflector-client' '  advertise-all-vni' ' exit-address-family' >"$STATE/frr/bgpd.conf"
chmod 755 "$STATE"
chown -R frr:frr "$STATE/frr" "/etc/frr/$NSF"

PCAP="$OUT/gobgp-evpn-route-types.pcap"
X tcpdump -i lo -U -s 0 -w "$PCAP" 'tcp port 179 and host 10.99.0.2' 2>"$STATE/tcpdump.log" &
PIDS+=($!)
sleep 1
X gobgpd -f "$STATE/a.toml" -t toml -l warn --api-hosts 10.99.0.1:50051 --pprof-disable >"$STATE/a.log" 2>&1 &
PIDS+=($!)
X gobgpd -f "$STATE/b.toml" -t toml -l warn --api-hosts 10.99.0.2:50051 --pprof-disable >"$STATE/b.log" 2>&1 &
PIDS+=($!)
XF "$FRR_BIN/zebra" -d -N "$NSF" -P 0 -f "$STATE/frr/zebra.conf" --log "file:$STATE/frr/zebra.log"
for _ in $(seq 1 50); do [ -S "/var/run/frr/$NSF/zserv.api" ] && break; sleep 0.1; done
XF "$FRR_BIN/bgpd" -d -N "$NSF" -P 0 -f "$STATE/frr/bgpd.conf" --log "file:$STATE/frr/bgpd.log"

A() { X gobgp -u 10.99.0.1 "$@"; }
B() { X gobgp -u 10.99.0.2 "$@"; }
C() { vtysh -N "$NSF" -c "$1"; }
established() { A neighbor 2>/dev/null | grep -c Establ || true; }
for _ in $(seq 1 60); do
  [ "$(established)" = 2 ] && break
  sleep 0.5
done
[ "$(established)" = 2 ] || { log "sessions did not come up"; A neighbor >&2 || true; exit 1; }
log "established"

E() { A global rib -a evpn add "$@"; sleep 0.2; }
E a-d esi LACP aa:bb:cc:dd:ee:ff 100 etag 100 label 200 rd 10.99.0.1:1 rt 10.0.0.1:5 esi-label 300
E a-d esi 0 etag 4294967295 label 16777215 rd 10.99.0.1:3 rt 65000:100
E macadv 02:00:00:00:05:01 10.0.0.5 etag 7 label 10,20 rd 192.0.2.1:5 rt 65000:100 encap vxlan router-mac aa:bb:cc:00:00:09
E macadv 02:00:00:00:05:02 2001:db8::1 esi MAC aa:bb:cc:dd:ee:ff 9 etag 0 label 100 rd 192.0.2.1:5 rt 65000:100 encap vxlan
E macadv 02:00:00:00:05:03 0.0.0.0 esi ARBITRARY 11:22:33:44:55:66:77:88:99 etag 0 label 100 rd 65000:100 rt 65000:100
E macadv 02:00:00:00:05:04 10.0.0.6 esi MSTP aa:bb:cc:dd:ee:ff 32768 etag 0 label 100 rd 65000:100 rt 65000:100 default-gateway
E multicast 10.99.0.1 etag 0 rd 64086.59904:5 rt 64086.59904:5 encap vxlan pmsi ingress-repl 100 10.99.0.1
E esi 10.99.0.1 esi ROUTERID 10.99.0.1 5 rd 10.99.0.1:2
E prefix 10.1.0.0/24 gw 10.0.0.254 esi AS 65000 7 etag 3 label 5000 rd 65000:100 rt 65000:100 encap vxlan router-mac aa:bb:cc:00:00:01
E prefix 2001:db8:1::/64 etag 0 label 5000 rd 65000:100 rt 65000:100 encap vxlan
# FRR treats a Type 5 with both ESI and gateway non-zero as withdrawn: this one it keeps.
E prefix 10.2.0.0/16 gw 10.0.0.254 etag 0 label 99 rd 65000:100 rt 65000:100
sleep 2
C "show bgp l2vpn evpn route" >"$OUT/gobgp-evpn-route-types.frr.txt"
# FRR 8.4 refuses Types 3 and 4 with an IPv6 originator ("Rx EVPN Type-3
# NLRI with unsupported IP address length 128", "Type-4 NLRI with invalid
# length 35") with a NOTIFICATION 3/9 and drops the session: send them last.
E multicast 2001:db8::5 etag 9 rd 10.99.0.1:9 rt 65000:100
E esi 2001:db8::9 esi 7 01:02:03:04:05:06:07:08:09 rd 10.99.0.1:2
# B now originates a MAC it learned from A: GoBGP attaches a MAC Mobility
# extended community (RFC 7432 §15) to its own route, sent to A.
sleep 1
B global rib -a evpn add macadv 02:00:00:00:05:03 0.0.0.0 etag 0 label 100 rd 10.99.0.2:100 rt 65000:100 encap vxlan
sleep 2
B global rib -a evpn >"$OUT/gobgp-evpn-route-types.rib.txt"
log "B has $(grep -c '^\*' "$OUT/gobgp-evpn-route-types.rib.txt") routes"

D() { A global rib -a evpn del "$@"; sleep 0.2; }
D a-d esi LACP aa:bb:cc:dd:ee:ff 100 etag 100 label 200 rd 10.99.0.1:1
D esi 10.99.0.1 esi ROUTERID 10.99.0.1 5 rd 10.99.0.1:2
D prefix 10.1.0.0/24 gw 10.0.0.254 esi AS 65000 7 etag 3 label 5000 rd 65000:100
sleep 2
log "wrote $PCAP"
