#!/usr/bin/env bash
# Re-capture the pcaps under test/fixtures from real peers, in network namespaces.
#
#   scripts/capture-fixtures.sh [OUT_DIR] [CAPTURE...]      (run as root)
#
#   OUT_DIR  where the .pcap files go (default: test/fixtures of this checkout)
#   CAPTURE  any of: frr-frr-evpn-session gobgp-frr-evpn-session vxlan-kernel-arp-icmp
#            (default: all three)
#
# What each capture holds (the tests compare vxswitch's decoder with tshark's
# decode of whatever file is there, so a new capture of the same scenario can
# replace the old one):
#
#   frr-frr-evpn-session    FRR VTEP v1 <-> FRR route reflector, captured on v1's underlay
#                           port from before v1's bgpd starts: OPENs, KEEPALIVEs, Type 3 +
#                           End-of-RIB, routes reflected back (ORIGINATOR_ID/CLUSTER_LIST),
#                           Type 2 after host traffic, MP_UNREACH withdraw after the host
#                           link goes down, NOTIFICATION Cease/Administrative Shutdown.
#   gobgp-frr-evpn-session  gobgpd 10.212.0.30 <-> the same FRR RR: Type 3 with PMSI and a
#                           Type 2 added with the gobgp CLI, the RR's table, both withdrawn,
#                           then `gobgp neighbor ... disable` (NOTIFICATION).
#   vxlan-kernel-arp-icmp   two Linux kernel VTEPs (vxlan100, UDP 4789, static flood
#                           entries): ARP who-has/reply and 3 pings between hosts behind them.
#
# pyspeaker-frr-evpn-session.pcap is NOT made here: it came from an external
# minimal reference speaker (a third-party VTEP that FRR accepted) that is not
# part of this project. Keep the existing file.
#
# Needs: iproute2, frr (zebra + bgpd, FRR 8.4 tested), gobgpd + gobgp, tcpdump, ping.
# Everything runs in namespaces named vxc-<pid>-*, so traffic never leaves them
# and two runs (or the shared interop lab, pi-*) never collide. The EXIT trap
# kills the daemons it started (by PID) and deletes the namespaces and state,
# also when a step fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/test/fixtures}
shift || true
CAPTURES=("$@")
[ ${#CAPTURES[@]} -gt 0 ] || CAPTURES=(frr-frr-evpn-session gobgp-frr-evpn-session vxlan-kernel-arp-icmp)

FRR_BIN=${FRR_BIN:-/usr/lib/frr}
P="vxc-$$"                       # namespace / FRR pathspace prefix, unique per run
STATE=$(mktemp -d "/tmp/$P.XXXXXX")
chmod 755 "$STATE"               # FRR daemons drop to user frr and write their logs below it
AS=65000
RR_IP=10.212.0.254
VNI=100
VXPORT=4789
NAMESPACES=()                    # every namespace this run created, for the trap

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in ip bridge tcpdump ping "$FRR_BIN/zebra" "$FRR_BIN/bgpd" vtysh gobgpd gobgp; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install -y frr gobgpd tcpdump iputils-ping)"
done
[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
mkdir -p "$OUT"

# ---------------------------------------------------------------- teardown

ns_exists() { [ -e "/var/run/netns/$1" ]; }

# Kill what runs in one of our namespaces: pid files first (FRR daemons
# daemonize), then any process still inside the namespace. By PID only.
ns_kill() {
  local ns=$1 pf pid
  for pf in "/var/run/frr/$ns"/*.pid "$STATE/$ns"/*.pid; do
    [ -f "$pf" ] || continue
    pid=$(cat "$pf" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  if ns_exists "$ns"; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    for _ in 1 2 3 4 5; do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.2; done
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
  fi
}

teardown() {
  local ns
  for ns in "${NAMESPACES[@]}"; do ns_kill "$ns"; done
  for ns in "${NAMESPACES[@]}"; do
    ns_exists "$ns" && ip netns del "$ns" 2>/dev/null
    rm -rf "/var/run/frr/$ns" "/etc/frr/$ns"
  done
  NAMESPACES=()
}

cleanup() {
  local rc=$?
  teardown
  rm -rf "$STATE"
  [ $rc -eq 0 ] || log "failed (exit $rc); namespaces $P-* and daemons removed"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- building blocks

ns_create() {
  local ns="$P-$1"
  ip netns add "$ns"
  NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
  # no IPv6 DAD / router solicitations: keeps the captures to the protocol under test
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  mkdir -p "$STATE/$ns"
}

# Underlay: a bridge "ulbr" in namespace $P-ul; each node gets a veth "ul0" (MTU 1600: VXLAN adds 50).
ul_create() {
  ns_create ul
  ip -n "$P-ul" link add ulbr type bridge stp_state 0
  ip -n "$P-ul" link set ulbr up
}

# ul_attach <node> <ip/prefix>
ul_attach() {
  local node=$1 addr=$2
  ip -n "$P-ul" link add "p-$node" mtu 1600 type veth peer name ul0 mtu 1600 netns "$P-$node"
  ip -n "$P-ul" link set "p-$node" master ulbr up
  ip -n "$P-$node" addr add "$addr" dev ul0
  ip -n "$P-$node" link set ul0 up
}

# Kernel VTEP: br100 + vxlan100 (no data-plane learning) + a host namespace behind veth hp0.
# vtep_dataplane <vtep> <vtep-ip> <host> <host-ip/prefix> <host-mac>
vtep_dataplane() {
  local v="$P-$1" ip=$2 h="$P-$3" hip=$4 hmac=$5
  ip -n "$v" link add br$VNI type bridge stp_state 0 mcast_snooping 0
  ip -n "$v" link set br$VNI addrgenmode none 2>/dev/null || true
  ip -n "$v" link add vxlan$VNI mtu 1500 type vxlan id $VNI dstport $VXPORT local "$ip" nolearning
  ip -n "$v" link set vxlan$VNI master br$VNI addrgenmode none
  bridge -n "$v" link set dev vxlan$VNI learning off neigh_suppress off
  ip -n "$v" link add hp0 type veth peer name eth0 netns "$h"
  ip -n "$v" link set hp0 master br$VNI
  for l in vxlan$VNI hp0 br$VNI; do ip -n "$v" link set $l up; done
  ip -n "$h" link set eth0 address "$hmac"
  ip -n "$h" addr add "$hip" dev eth0
  ip -n "$h" link set eth0 up
}

rr_conf() {
  cat <<EOF
frr defaults datacenter
hostname rr
router bgp $AS
 bgp router-id $RR_IP
 bgp cluster-id $RR_IP
 no bgp default ipv4-unicast
 bgp log-neighbor-changes
 neighbor VTEPS peer-group
 neighbor VTEPS remote-as $AS
 bgp listen range 10.212.0.0/24 peer-group VTEPS
 address-family l2vpn evpn
  neighbor VTEPS activate
  neighbor VTEPS route-reflector-client
 exit-address-family
exit
EOF
}

vtep_conf() {
  cat <<EOF
frr defaults datacenter
hostname $1
router bgp $AS
 bgp router-id $2
 no bgp default ipv4-unicast
 bgp log-neighbor-changes
 neighbor $RR_IP remote-as $AS
 address-family l2vpn evpn
  neighbor $RR_IP activate
  advertise-all-vni
 exit-address-family
exit
EOF
}

# frr_start <node> : zebra + bgpd in $P-<node> with pathspace $P-<node>
# (-N keeps each instance's sockets and pid files in /var/run/frr/<pathspace>/;
# -P 0 disables the TCP vty). bgpd.conf must be in $STATE/<ns>/ already.
frr_start() {
  local ns="$P-$1" d="$STATE/$P-$1"
  printf 'hostname %s\n' "$1" > "$d/zebra.conf"
  mkdir -p "/etc/frr/$ns"
  echo "service integrated-vtysh-config" > "/etc/frr/$ns/vtysh.conf"
  chown -R frr:frr "$d" "/etc/frr/$ns"
  ip netns exec "$ns" "$FRR_BIN/zebra" -d -N "$ns" -P 0 -f "$d/zebra.conf" --log "file:$d/zebra.log" 2>>"$d/stderr.log"
  wait_for "zebra of $ns" 50 0.1 test -S "/var/run/frr/$ns/zserv.api"
  ip netns exec "$ns" "$FRR_BIN/bgpd" -d -N "$ns" -P 0 -f "$d/bgpd.conf" --log "file:$d/bgpd.log" 2>>"$d/stderr.log"
  wait_for "bgpd of $ns" 50 0.1 test -S "/var/run/frr/$ns/bgpd.vty"
}

vty() { local ns="$P-$1"; shift; vtysh -N "$ns" "$@" 2>&1 | grep -v "Can't open configuration file" || true; }

# wait_for <what> <tries> <interval> <command...>: poll until the command succeeds.
wait_for() {
  local what=$1 tries=$2 interval=$3; shift 3
  for _ in $(seq 1 "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep "$interval"
  done
  die "timed out waiting for $what"
}

established_at_rr() {  # established_at_rr <n>
  [ "$(vty rr -c 'show bgp l2vpn evpn summary json' | grep -c '"state":"Established"')" -ge "$1" ]
}
flood_entries() {      # flood_entries <vtep> <n>: the VTEP's kernel flood list has n remote VTEPs
  local fdb; fdb=$(bridge -n "$P-$1" fdb show dev vxlan$VNI)
  [ "$(grep -c '^00:00:00:00:00:00 dst' <<<"$fdb")" -ge "$2" ]
}
fdb_has() {            # fdb_has <vtep> <mac>: a remote entry for the MAC (read whole output: no SIGPIPE under pipefail)
  local fdb; fdb=$(bridge -n "$P-$1" fdb show dev vxlan$VNI)
  grep -q "^$2 dst" <<<"$fdb"
}
fdb_lacks() { ! fdb_has "$@"; }

# capture_start <node> <file> <filter>: tcpdump on the node's underlay port.
capture_start() {
  local ns="$P-$1" file=$2 filter=$3
  # -Z root: write the file as root into our state dir (tcpdump would drop to its own user)
  ip netns exec "$ns" tcpdump -i ul0 -s 0 -U -Z root -w "$file" "$filter" >"$STATE/$ns/tcpdump.log" 2>&1 &
  echo $! > "$STATE/$ns/tcpdump.pid"
  wait_for "tcpdump on $ns" 50 0.1 grep -q 'listening on' "$STATE/$ns/tcpdump.log"
}
capture_stop() {
  local ns="$P-$1" pid
  pid=$(cat "$STATE/$ns/tcpdump.pid")
  kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$STATE/$ns/tcpdump.pid"
}

# FRR RR + FRR VTEP v2 (+ host h2) already established, so v1 sees v2's routes.
rr_and_v2() {
  ul_create
  ns_create rr; ns_create v2; ns_create h2
  ul_attach rr "$RR_IP/24"
  ul_attach v2 10.212.0.2/24
  vtep_dataplane v2 10.212.0.2 h2 10.212.100.2/24 02:00:00:00:02:02
  rr_conf > "$STATE/$P-rr/bgpd.conf"
  vtep_conf v2 10.212.0.2 > "$STATE/$P-v2/bgpd.conf"
  frr_start rr; frr_start v2
  wait_for "v2 established at the RR" 60 0.5 established_at_rr 1
}

add_v1() {
  ns_create v1; ns_create h1
  ul_attach v1 10.212.0.1/24
  vtep_dataplane v1 10.212.0.1 h1 10.212.100.1/24 02:00:00:00:01:01
  vtep_conf v1 10.212.0.1 > "$STATE/$P-v1/bgpd.conf"
}

finish() {  # finish <state-file> <name>
  local n
  # one line per packet starts with its timestamp (tcpdump prints VXLAN's inner frame on a second line)
  n=$(tcpdump -n -tt -r "$1" 2>/dev/null | grep -c '^[0-9]' || true)
  [ "$n" -gt 0 ] || die "$2: empty capture"
  cp "$1" "$OUT/$2.pcap"
  log "$2: $n packets -> $OUT/$2.pcap"
}

# ---------------------------------------------------------------- the captures

capture_frr_frr() {
  local name=frr-frr-evpn-session pcap="$STATE/frr-frr.pcap"
  log "$name: RR + v2"
  rr_and_v2
  add_v1
  capture_start v1 "$pcap" "tcp port 179"
  log "$name: starting FRR VTEP v1"
  frr_start v1
  wait_for "v1 established" 60 0.5 established_at_rr 2
  wait_for "flood lists" 60 0.5 flood_entries v1 1
  wait_for "flood lists" 60 0.5 flood_entries v2 1
  # Host traffic: both VTEPs learn their host's MAC and advertise a Type 2.
  ip netns exec "$P-h1" ping -c 2 -i 0.3 -W 2 10.212.100.2 >/dev/null
  wait_for "v1 learns h2's MAC from the RR" 60 0.2 fdb_has v1 02:00:00:00:02:02
  wait_for "v2 learns h1's MAC from the RR" 60 0.2 fdb_has v2 02:00:00:00:01:01
  sleep 2
  # Host link down: zebra flushes the MAC, bgpd withdraws the Type 2 (MP_UNREACH).
  log "$name: host link down -> withdraw"
  ip -n "$P-v1" link set hp0 down
  wait_for "v2 drops h1's MAC" 60 0.2 fdb_lacks v2 02:00:00:00:01:01
  sleep 2
  log "$name: neighbor shutdown -> NOTIFICATION Cease/Administrative Shutdown"
  vty v1 -c 'configure terminal' -c "router bgp $AS" -c "neighbor $RR_IP shutdown" >/dev/null
  sleep 1
  capture_stop v1
  finish "$pcap" "$name"
  teardown
}

capture_gobgp_frr() {
  local name=gobgp-frr-evpn-session pcap="$STATE/gobgp-frr.pcap" gb d
  log "$name: RR + v2 + v1 (FRR), hosts learned"
  rr_and_v2
  add_v1
  frr_start v1
  wait_for "v1 established" 60 0.5 established_at_rr 2
  wait_for "flood lists" 60 0.5 flood_entries v1 1
  ip netns exec "$P-h1" ping -c 2 -i 0.3 -W 2 10.212.100.2 >/dev/null
  wait_for "v1 learns h2's MAC" 60 0.2 fdb_has v1 02:00:00:00:02:02
  wait_for "v2 learns h1's MAC" 60 0.2 fdb_has v2 02:00:00:00:01:01

  ns_create gb
  ul_attach gb 10.212.0.30/24
  gb="$P-gb"; d="$STATE/$gb"
  cat > "$d/gobgpd.toml" <<EOF
[global.config]
  as = $AS
  router-id = "10.212.0.30"
  port = 179
  local-address-list = ["10.212.0.30"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "$RR_IP"
    peer-as = $AS
  [neighbors.timers.config]
    connect-retry = 5
    hold-time = 9
    keepalive-interval = 3
  [neighbors.transport.config]
    local-address = "10.212.0.30"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "l2vpn-evpn"
EOF
  capture_start gb "$pcap" "tcp port 179"
  log "$name: starting gobgpd"
  # gRPC API on the namespace's own loopback: the gobgp CLI runs in the same namespace
  ip netns exec "$gb" setsid gobgpd -f "$d/gobgpd.toml" -t toml -p -l info \
    --api-hosts 127.0.0.1:50051 --pprof-disable >"$d/gobgpd.log" 2>&1 </dev/null &
  echo $! > "$d/gobgpd.pid"
  local G=(ip netns exec "$gb" gobgp)
  wait_for "gobgpd established" 60 0.5 bash -c "ip netns exec $gb gobgp neighbor | grep -q Establ"
  sleep 0.2
  log "$name: gobgp announces Type 3 + Type 2"
  "${G[@]}" global rib -a evpn add multicast 10.212.0.30 etag 0 rd 10.212.0.30:$VNI rt $AS:$VNI encap vxlan \
    pmsi ingress-repl $VNI 10.212.0.30 nexthop 10.212.0.30 origin igp
  "${G[@]}" global rib -a evpn add macadv 02:00:00:00:03:03 0.0.0.0 etag 0 label $VNI rd 10.212.0.30:$VNI \
    rt $AS:$VNI encap vxlan nexthop 10.212.0.30 origin igp
  wait_for "v1 imports gobgp's MAC" 60 0.2 fdb_has v1 02:00:00:00:03:03
  sleep 1
  log "$name: gobgp withdraws both"
  "${G[@]}" global rib -a evpn del macadv 02:00:00:00:03:03 0.0.0.0 etag 0 label $VNI rd 10.212.0.30:$VNI
  "${G[@]}" global rib -a evpn del multicast 10.212.0.30 etag 0 rd 10.212.0.30:$VNI
  wait_for "v1 drops gobgp's MAC" 60 0.2 fdb_lacks v1 02:00:00:00:03:03
  sleep 1
  log "$name: gobgp neighbor disable -> NOTIFICATION"
  "${G[@]}" neighbor "$RR_IP" disable
  sleep 1
  capture_stop gb
  finish "$pcap" "$name"
  teardown
}

capture_vxlan_kernel() {
  local name=vxlan-kernel-arp-icmp pcap="$STATE/vxlan.pcap"
  log "$name: two kernel VTEPs with static flood entries"
  ul_create
  ns_create v1; ns_create v2; ns_create h1; ns_create h2
  ul_attach v1 10.212.0.1/24
  ul_attach v2 10.212.0.2/24
  vtep_dataplane v1 10.212.0.1 h1 10.212.100.1/24 02:00:00:00:01:01
  vtep_dataplane v2 10.212.0.2 h2 10.212.100.2/24 02:00:00:00:02:02
  # head-end replication list (what EVPN Type 3 routes would install)
  bridge -n "$P-v1" fdb append 00:00:00:00:00:00 dev vxlan$VNI dst 10.212.0.2 self permanent
  bridge -n "$P-v2" fdb append 00:00:00:00:00:00 dev vxlan$VNI dst 10.212.0.1 self permanent
  # the underlay neighbors resolved before capturing: only VXLAN in the file
  ip netns exec "$P-v1" ping -c 1 -W 2 10.212.0.2 >/dev/null
  capture_start v1 "$pcap" "udp port $VXPORT"
  log "$name: ARP + 3 pings h1 -> h2"
  ip netns exec "$P-h1" ping -c 3 -i 0.3 -W 2 10.212.100.2 >/dev/null
  sleep 0.5
  capture_stop v1
  finish "$pcap" "$name"
  teardown
}

for c in "${CAPTURES[@]}"; do
  case "$c" in
    frr-frr-evpn-session) capture_frr_frr ;;
    gobgp-frr-evpn-session) capture_gobgp_frr ;;
    vxlan-kernel-arp-icmp) capture_vxlan_kernel ;;
    pyspeaker-frr-evpn-session) log "$c: made by an external reference speaker, not by this script; keeping the existing file" ;;
    *) die "unknown capture '$c' (frr-frr-evpn-session gobgp-frr-evpn-session vxlan-kernel-arp-icmp)" ;;
  esac
done
log "done"
