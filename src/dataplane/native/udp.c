/*
 * The UDP underlay: VXLAN datagrams in and out, IPv4 or IPv6.
 *
 * Receiving is an ordinary UDP socket bound to the VTEP address and port,
 * read with recvmmsg (source address and port of every datagram reported).
 *
 * Sending needs a source port per packet: RFC 7348 §5 puts a hash of the
 * inner flow there so ECMP underlays spread flows, and a socket bound to 4789
 * cannot choose another source port per message in sendmmsg. Of the ways
 * out, this uses raw IP sockets and lets the kernel keep routing, neighbour
 * resolution and the IP header's bookkeeping:
 *   - IPv4: AF_INET SOCK_RAW IPPROTO_RAW (IP_HDRINCL implied). We write the
 *     20-byte IPv4 header (DF set: the outer packet is never fragmented) and
 *     the 8-byte UDP header (checksum 0, as RFC 7348 §5 recommends for IPv4)
 *     into per-message scratch, sent as a second iovec in front of the JS
 *     payload, so nothing is written into the JS buffer and several messages
 *     may share one payload (head-end replication). The kernel fills total
 *     length, IP id and header checksum. An IPPROTO_RAW socket never receives
 *     anything, so inbound VXLAN is not also copied to the sending socket.
 *   - IPv6: AF_INET6 SOCK_RAW IPPROTO_UDP with IPV6_CHECKSUM at offset 6: we
 *     write only the UDP header, the kernel builds the IPv6 header (source
 *     address, hop limit) and computes the UDP checksum that IPv6 requires
 *     (RFC 8200 §8.1; the Linux vxlan driver rejects zero-checksum UDPv6 by
 *     default). IPV6_DONTFRAG: too large is an error, never fragments. This
 *     socket would get a copy of every inbound UDP datagram: a BPF filter that
 *     accepts nothing drops them before they are queued.
 * The dataplane's main path is an AF_PACKET link on the underlay interface
 * (packet.c, with Ethernet+IP+UDP written by the TypeScript side from the
 * kernel's own route and neighbour tables): this socket then only carries
 * what goes to a VTEP whose next hop is not resolved yet (which makes the
 * kernel resolve it), reserves the UDP port (no ICMP port unreachable) with
 * a filter that queues nothing (`receive: false`), and joins multicast
 * groups. Without an underlay interface it is the whole underlay.
 */
#include "vxio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

#define IPV4_UDP_HDRS 28
#define UDP_HDR 8

static int ifindex_of(int fd, const char *name) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  /* ioctl on our own socket resolves the name in the socket's namespace. */
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return -errno;
  return ifr.ifr_ifindex;
}

static int parse_addr(const char *text, int *family, uint8_t out[16]) {
  if (inet_pton(AF_INET, text, out) == 1) {
    *family = AF_INET;
    return 0;
  }
  if (inet_pton(AF_INET6, text, out) == 1) {
    *family = AF_INET6;
    return 0;
  }
  return -1;
}

static socklen_t make_sockaddr(struct sockaddr_storage *ss, int family, const uint8_t *addr,
                               uint16_t port, uint32_t scope) {
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in *s = (struct sockaddr_in *)ss;
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    memcpy(&s->sin_addr, addr, 4);
    return sizeof *s;
  }
  struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  memcpy(&s->sin6_addr, addr, 16);
  s->sin6_scope_id = scope;
  return sizeof *s;
}

static int setopt_int(int fd, int level, int opt, int v) {
  return setsockopt(fd, level, opt, &v, sizeof v) == 0 ? 0 : errno;
}

/* openUdp({ address, port, bindAddress, multicastInterface, bindDevice, ttl,
 *   multicastTtl, tos, batchSize, rcvbuf, sndbuf, receive, reusePort, netns }).
 *   reusePort: SO_REUSEPORT, so sockets of several threads bind the same
 *   address and port and the kernel spreads datagrams over them by flow
 *   (socket(7)). */
napi_value vx_open_udp(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value o = NULL;
  napi_get_cb_info(env, info, &argc, &o, NULL, NULL);
  char address[48], bind_text[48], mcif[IF_NAMESIZE], bind_dev[IF_NAMESIZE], ns[200];
  uint32_t port, ttl, mc_ttl, tos, batch, rcvbuf, sndbuf;
  int receive, reuse;
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, o, &t);
  if (t != napi_object) return vx_throw_type(env, "openUdp needs an options object");
  if (vx_opt_string(env, o, "address", address, sizeof address) ||
      vx_opt_string(env, o, "bindAddress", bind_text, sizeof bind_text) ||
      vx_opt_string(env, o, "multicastInterface", mcif, sizeof mcif) ||
      vx_opt_string(env, o, "bindDevice", bind_dev, sizeof bind_dev) ||
      vx_opt_string(env, o, "netns", ns, sizeof ns) || vx_opt_u32(env, o, "port", 4789, &port) ||
      vx_opt_u32(env, o, "ttl", 64, &ttl) || vx_opt_u32(env, o, "multicastTtl", 1, &mc_ttl) ||
      vx_opt_u32(env, o, "tos", 0, &tos) ||
      vx_opt_u32(env, o, "batchSize", VX_BATCH_DEFAULT, &batch) ||
      vx_opt_u32(env, o, "rcvbuf", 0, &rcvbuf) || vx_opt_u32(env, o, "sndbuf", 0, &sndbuf) ||
      vx_opt_bool(env, o, "receive", 1, &receive) || vx_opt_bool(env, o, "reusePort", 0, &reuse))
    return NULL;
  if (port > 65535 || ttl == 0 || ttl > 255 || mc_ttl == 0 || mc_ttl > 255 || tos > 255)
    return vx_throw_range(env, "port must be 0..65535, ttl and multicastTtl 1..255, tos 0..255");
  uint8_t bind_addr[16];
  int family = 0, bind_family = 0;
  vx_handle *h = vx_handle_new(VX_UDP);
  if (!h) return vx_throw_errno(env, "UDP open", address, ENOMEM);
  if (address[0] == 0 || parse_addr(address, &family, h->src_addr) != 0) {
    free(h);
    return vx_throw_type(env, "address must be the VTEP's IPv4 or IPv6 address");
  }
  if (bind_text[0] == 0) {
    memcpy(bind_addr, h->src_addr, 16);
    bind_family = family;
  } else if (parse_addr(bind_text, &bind_family, bind_addr) != 0 || bind_family != family) {
    free(h);
    return vx_throw_type(env, "bindAddress must be an address of the same family as address");
  }
  h->family = family;
  h->port = (uint16_t)port;
  h->ttl = (uint8_t)ttl;
  h->mc_ttl = (uint8_t)mc_ttl;
  h->tos = (uint8_t)tos;
  snprintf(h->name, sizeof h->name, family == AF_INET ? "%s:%u" : "[%s]:%u", address, port);
  int v6 = family == AF_INET6;
  int ip = v6 ? IPPROTO_IPV6 : IPPROTO_IP;

  const char *op = "UDP netns";
  int saved = -1, err = vx_netns_enter(ns, &saved);
  if (err) goto fail;

  op = "UDP socket";
  h->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (h->fd < 0) goto fail_errno;
  if (v6 && (err = setopt_int(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1))) goto fail;
  if (mcif[0]) {
    op = "UDP multicastInterface";
    int ix = ifindex_of(h->fd, mcif);
    if (ix < 0) {
      err = -ix;
      goto fail;
    }
    h->mc_ifindex = ix;
    h->ifindex = ix;
  }
  /* Only the groups this socket joins, not every group any socket joined
   * (Linux's default for a socket bound to the wildcard address). */
  setopt_int(h->fd, ip, v6 ? IPV6_MULTICAST_ALL : IP_MULTICAST_ALL, 0);
  if (bind_dev[0]) {
    /* Only datagrams that arrived on the underlay interface: the kernel
     * delivers ones to our address from any interface of the namespace,
     * member ports included (socket(7) SO_BINDTODEVICE). */
    op = "UDP SO_BINDTODEVICE";
    if (setsockopt(h->fd, SOL_SOCKET, SO_BINDTODEVICE, bind_dev, (socklen_t)strlen(bind_dev) + 1) < 0)
      goto fail_errno;
  }
  if (receive) {
    /* The ingress interface of every datagram (ip(7) IP_PKTINFO, ipv6(7)
     * IPV6_RECVPKTINFO), for recv's ifindexes: the TypeScript side refuses
     * datagrams that came in on a member port. */
    op = "UDP PKTINFO";
    if ((err = setopt_int(h->fd, ip, v6 ? IPV6_RECVPKTINFO : IP_PKTINFO, 1))) goto fail;
  }
  if (!receive) {
    /* Datagrams are read from the AF_PACKET link instead: drop every copy
     * here before it is queued (the socket only holds the port). */
    op = "UDP SO_ATTACH_FILTER";
    struct sock_filter none[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog prog = {1, none};
    if (setsockopt(h->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) goto fail_errno;
  }
  if (rcvbuf && setopt_int(h->fd, SOL_SOCKET, SO_RCVBUFFORCE, (int)rcvbuf) &&
      (err = setopt_int(h->fd, SOL_SOCKET, SO_RCVBUF, (int)rcvbuf))) {
    op = "UDP SO_RCVBUF";
    goto fail;
  }
  op = "UDP SO_REUSEPORT";
  if (reuse && (err = setopt_int(h->fd, SOL_SOCKET, SO_REUSEPORT, 1))) goto fail;
  op = "UDP bind";
  struct sockaddr_storage ss;
  socklen_t sl = make_sockaddr(&ss, family, bind_addr, (uint16_t)port, 0);
  if (bind(h->fd, (struct sockaddr *)&ss, sl) < 0) goto fail_errno;
  sl = sizeof ss;
  if (getsockname(h->fd, (struct sockaddr *)&ss, &sl) < 0) goto fail_errno;
  h->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                     : ((struct sockaddr_in *)&ss)->sin_port);
  snprintf(h->name, sizeof h->name, v6 ? "[%s]:%u" : "%s:%u", address, h->port);

  op = "UDP raw socket";
  h->tx_fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, v6 ? IPPROTO_UDP : IPPROTO_RAW);
  if (h->tx_fd < 0) goto fail_errno;
  op = "UDP raw bind";
  sl = make_sockaddr(&ss, family, h->src_addr, 0, 0);
  if (bind(h->tx_fd, (struct sockaddr *)&ss, sl) < 0) goto fail_errno;
  if (v6) {
    op = "UDP raw IPV6_CHECKSUM";
    if ((err = setopt_int(h->tx_fd, IPPROTO_IPV6, IPV6_CHECKSUM, 6))) goto fail;
    op = "UDP raw IPV6_DONTFRAG";
    if ((err = setopt_int(h->tx_fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO)) ||
        (err = setopt_int(h->tx_fd, IPPROTO_IPV6, IPV6_DONTFRAG, 1)))
      goto fail;
    op = "UDP raw hop limits";
    if ((err = setopt_int(h->tx_fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, (int)ttl)) ||
        (err = setopt_int(h->tx_fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, (int)mc_ttl)) ||
        (err = setopt_int(h->tx_fd, IPPROTO_IPV6, IPV6_TCLASS, (int)tos)))
      goto fail;
    op = "UDP raw multicast";
    if ((err = setopt_int(h->tx_fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0))) goto fail;
    if (h->mc_ifindex &&
        (err = setopt_int(h->tx_fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, h->mc_ifindex)))
      goto fail;
    op = "UDP raw SO_ATTACH_FILTER";
    struct sock_filter drop_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
    struct sock_fprog prog = {1, drop_all};
    if (setsockopt(h->tx_fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
      goto fail_errno;
  } else {
    /* TTL and DF come from the header we write; these cover multicast. */
    op = "UDP raw multicast";
    if ((err = setopt_int(h->tx_fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0))) goto fail;
    if (h->mc_ifindex) {
      struct ip_mreqn mr;
      memset(&mr, 0, sizeof mr);
      mr.imr_ifindex = h->mc_ifindex;
      if (setsockopt(h->tx_fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr) < 0) goto fail_errno;
    }
  }
  if (sndbuf && setopt_int(h->tx_fd, SOL_SOCKET, SO_SNDBUFFORCE, (int)sndbuf) &&
      (err = setopt_int(h->tx_fd, SOL_SOCKET, SO_SNDBUF, (int)sndbuf))) {
    op = "UDP SO_SNDBUF";
    goto fail;
  }
  vx_netns_leave(saved);
  saved = -1;

  op = "UDP open";
  if ((err = vx_alloc_batch(h, batch, receive, 1))) goto fail;
  napi_value obj = vx_handle_wrap(env, h);
  if (!obj) return NULL;
  vx_set_num(env, obj, "port", h->port);
  vx_set_num(env, obj, "family", v6 ? 6 : 4);
  vx_set_str(env, obj, "address", address);
  return obj;

fail_errno:
  err = errno;
fail:
  vx_netns_leave(saved);
  if (h->fd >= 0) close(h->fd);
  if (h->tx_fd >= 0) close(h->tx_fd);
  free(h->msgs);
  free(h->iov);
  free(h->addrs);
  free(h->hdrs);
  free(h->ctrl);
  {
    char subject[VX_NAME_MAX];
    snprintf(subject, sizeof subject, "%s", h->name);
    free(h);
    return vx_throw_errno(env, op, subject, err);
  }
}

static inline void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static inline uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The ingress ifindex from a received message's IP_PKTINFO / IPV6_PKTINFO; 0 if absent. */
static uint32_t pktinfo_ifindex(struct msghdr *m) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      return (uint32_t)pi.ipi_ifindex;
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      return (uint32_t)pi.ipi6_ifindex;
    }
  }
  return 0;
}

/* recv(buffer, offsets, lengths, srcAddrs, srcPorts, headroom, frameMax, max,
 * ifindexes?) -> datagrams received, laid out as vx_rx_args says (a whole
 * frameMax slot each). srcAddrs holds one number per datagram for IPv4
 * (a.b.c.d as a<<24|b<<16|c<<8|d), four (big-endian 32-bit words) for IPv6;
 * ifindexes (a Uint32Array, optional) the interface each arrived on. */
napi_value vx_udp_recv(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  vx_handle *h = vx_this(env, info, VX_UDP, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < 8)
    return vx_throw_type(env, "recv(buffer, offsets, lengths, srcAddrs, srcPorts, headroom, frameMax, max)");
  size_t addrs_len, ports_len;
  uint32_t *addrs, *ports;
  napi_value rxv[7] = {argv[0], argv[1], argv[2], NULL, argv[5], argv[6], argv[7]};
  napi_get_null(env, &rxv[3]);
  vx_rx_args rx;
  if (vx_arg_rx(env, rxv, h, &rx) ||
      vx_arg_u32array(env, argv[3], "srcAddrs", &addrs, &addrs_len) ||
      vx_arg_u32array(env, argv[4], "srcPorts", &ports, &ports_len))
    return NULL;
  uint32_t *ifx = NULL;
  size_t ifx_len = 0;
  if (argc > 8) {
    napi_valuetype t;
    napi_typeof(env, argv[8], &t);
    if (t != napi_undefined && t != napi_null &&
        vx_arg_u32array(env, argv[8], "ifindexes", &ifx, &ifx_len))
      return NULL;
  }
  int v6 = h->family == AF_INET6;
  uint32_t max = rx.max > h->batch ? h->batch : rx.max;
  if (max > ports_len) max = (uint32_t)ports_len;
  if (ifx && max > ifx_len) max = (uint32_t)ifx_len;
  if ((uint64_t)max * (v6 ? 4 : 1) > addrs_len) max = (uint32_t)(addrs_len / (v6 ? 4 : 1));
  uint64_t stride = ((uint64_t)rx.headroom + rx.frame_max + VX_RX_ALIGN - 1) & ~(uint64_t)(VX_RX_ALIGN - 1);
  uint32_t slots = 0;
  for (; slots < max; slots++) {
    int64_t at = vx_rx_place(&rx, slots * stride, rx.frame_max);
    if (at < 0) break;
    rx.offs[slots] = (uint32_t)at;
    h->iov[slots] = (struct iovec){rx.buf + at, rx.frame_max};
    h->msgs[slots].msg_hdr =
        (struct msghdr){&h->addrs[slots], sizeof h->addrs[slots], &h->iov[slots], 1,
                        h->ctrl ? h->ctrl + (size_t)slots * VX_CTRL_SIZE : NULL,
                        h->ctrl ? VX_CTRL_SIZE : 0, 0};
  }
  int n = 0;
  if (slots > 0) {
    do {
      n = recvmmsg(h->fd, h->msgs, slots, MSG_DONTWAIT | MSG_TRUNC, NULL);
    } while (n < 0 && errno == EINTR);
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) n = 0;
    else return vx_throw_errno(env, "UDP recv", h->name, errno);
  }
  for (int i = 0; i < n; i++) {
    uint32_t len = h->msgs[i].msg_len;
    if ((h->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > rx.frame_max) {
      rx.lens[i] = 0;
      h->st.rx_truncated += 1;
    } else {
      rx.lens[i] = len;
      h->st.rx_frames += 1;
      h->st.rx_bytes += len;
    }
    if (ifx) ifx[i] = h->ctrl ? pktinfo_ifindex(&h->msgs[i].msg_hdr) : 0;
    if (v6) {
      struct sockaddr_in6 *s = (struct sockaddr_in6 *)&h->addrs[i];
      const uint8_t *a = s->sin6_addr.s6_addr;
      for (int w = 0; w < 4; w++) addrs[i * 4 + w] = get32(a + 4 * w);
      ports[i] = ntohs(s->sin6_port);
    } else {
      struct sockaddr_in *s = (struct sockaddr_in *)&h->addrs[i];
      addrs[i] = get32((const uint8_t *)&s->sin_addr);
      ports[i] = ntohs(s->sin_port);
    }
  }
  napi_value v;
  napi_create_uint32(env, (uint32_t)n, &v);
  return v;
}

/* send(src, arena, sel, offsets, lengths, dstAddrs, dstPorts, srcPorts, count)
 * -> datagrams handed to the kernel. Each payload (see vx_tx_args) is a UDP
 * payload (VXLAN header + inner frame); the addon adds the UDP (and IPv4)
 * header. */
napi_value vx_udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  vx_handle *h = vx_this(env, info, VX_UDP, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < 9)
    return vx_throw_type(env, "send(src, arena, sel, offsets, lengths, dstAddrs, dstPorts, srcPorts, count)");
  vx_tx_args tx;
  size_t addrs_len, dports_len, sports_len;
  uint32_t *addrs, *dports, *sports;
  if (vx_arg_tx(env, argv, 8, 0, h, &tx) ||
      vx_arg_u32array(env, argv[5], "dstAddrs", &addrs, &addrs_len) ||
      vx_arg_u32array(env, argv[6], "dstPorts", &dports, &dports_len) ||
      vx_arg_u32array(env, argv[7], "srcPorts", &sports, &sports_len))
    return NULL;
  uint32_t *lens = tx.lens, count = tx.count;
  int v6 = h->family == AF_INET6;
  if ((uint64_t)count * (v6 ? 4 : 1) > addrs_len || count > dports_len || count > sports_len)
    return vx_throw_range(env, "dstAddrs, dstPorts or srcPorts is shorter than count");
  for (uint32_t i = 0; i < count; i++) {
    if (dports[i] > 65535 || sports[i] > 65535 || lens[i] > 65535 - IPV4_UDP_HDRS)
      return vx_throw_range(env, "a port is above 65535 or a payload too large for UDP");
  }
  uint32_t done = 0, sent = 0;
  int stopped = 0;
  while (done < count && !stopped) {
    uint32_t n = count - done;
    if (n > h->batch) n = h->batch;
    for (uint32_t k = 0; k < n; k++) {
      uint32_t i = done + k, len = lens[i];
      uint8_t *hd = h->hdrs + (size_t)k * VX_HDR_SCRATCH;
      uint8_t dst[16];
      socklen_t sl;
      size_t hl;
      if (v6) {
        for (int w = 0; w < 4; w++) put32(dst + 4 * w, addrs[i * 4 + w]);
        /* Link-local unicast or link/interface-scope multicast: the scope is
         * the underlay interface. sin6_port stays 0 (for raw IPv6 it would
         * name the protocol). */
        int scoped = (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80) ||
                     (dst[0] == 0xff && (dst[1] & 0x0f) <= 2);
        sl = make_sockaddr(&h->addrs[k], AF_INET6, dst, 0, scoped ? (uint32_t)h->mc_ifindex : 0);
        put16(hd, sports[i]);
        put16(hd + 2, dports[i]);
        put16(hd + 4, UDP_HDR + len);
        put16(hd + 6, 0); /* the kernel computes it (IPV6_CHECKSUM) */
        hl = UDP_HDR;
      } else {
        put32(dst, addrs[i]);
        sl = make_sockaddr(&h->addrs[k], AF_INET, dst, 0, 0);
        hd[0] = 0x45; /* version 4, 5-word header */
        hd[1] = h->tos;
        put16(hd + 2, IPV4_UDP_HDRS + len);
        put16(hd + 4, 0);      /* id: the kernel picks one */
        put16(hd + 6, 0x4000); /* DF: an outer packet is dropped, never fragmented */
        hd[8] = (dst[0] & 0xf0) == 0xe0 ? h->mc_ttl : h->ttl;
        hd[9] = IPPROTO_UDP;
        put16(hd + 10, 0); /* header checksum: the kernel fills it */
        memcpy(hd + 12, h->src_addr, 4);
        memcpy(hd + 16, dst, 4);
        put16(hd + 20, sports[i]);
        put16(hd + 22, dports[i]);
        put16(hd + 24, UDP_HDR + len);
        put16(hd + 26, 0); /* RFC 7348 §5: UDP checksum SHOULD be zero over IPv4 */
        hl = IPV4_UDP_HDRS;
      }
      struct iovec *iov = &h->iov[(size_t)k * VX_IOV_PER_MSG];
      iov[0] = (struct iovec){hd, hl};
      iov[1] = (struct iovec){vx_tx_payload(&tx, i), len};
      h->msgs[k].msg_hdr = (struct msghdr){&h->addrs[k], sl, iov, 2, NULL, 0, 0};
    }
    sent += vx_sendmmsg_all(h, h->tx_fd, n, &stopped);
    done += n;
  }
  if (stopped) h->st.tx_again += count - done;
  napi_value v;
  napi_create_uint32(env, sent, &v);
  return v;
}

static napi_value membership(napi_env env, napi_callback_info info, int add) {
  size_t argc = 2;
  napi_value argv[2];
  vx_handle *h = vx_this(env, info, VX_UDP, &argc, argv, 1);
  if (!h) return NULL;
  char group[64], ifname[IF_NAMESIZE];
  ifname[0] = 0;
  if (argc < 1 || vx_arg_string(env, argv[0], "group", group, sizeof group)) return NULL;
  if (argc > 1) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t != napi_undefined && t != napi_null &&
        vx_arg_string(env, argv[1], "interface name", ifname, sizeof ifname))
      return NULL;
  }
  const char *op = add ? "UDP join" : "UDP leave";
  char subject[160];
  snprintf(subject, sizeof subject, "%s on %s", group, ifname[0] ? ifname : "(default)");
  uint8_t a[16];
  int fam = 0;
  if (parse_addr(group, &fam, a) != 0 || fam != h->family)
    return vx_throw_type(env, "group must be a multicast address of the socket's family");
  int ix = h->mc_ifindex;
  if (ifname[0]) {
    ix = ifindex_of(h->fd, ifname);
    if (ix < 0) return vx_throw_errno(env, op, subject, -ix);
  }
  int r;
  if (fam == AF_INET) {
    struct ip_mreqn mr;
    memset(&mr, 0, sizeof mr);
    memcpy(&mr.imr_multiaddr, a, 4);
    mr.imr_ifindex = ix;
    r = setsockopt(h->fd, IPPROTO_IP, add ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mr, sizeof mr);
  } else {
    struct ipv6_mreq mr;
    memset(&mr, 0, sizeof mr);
    memcpy(&mr.ipv6mr_multiaddr, a, 16);
    mr.ipv6mr_interface = (unsigned)ix;
    r = setsockopt(h->fd, IPPROTO_IPV6, add ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &mr,
                   sizeof mr);
  }
  if (r < 0) return vx_throw_errno(env, op, subject, errno);
  return NULL;
}

/* addMembership(group, ifname?) / dropMembership(group, ifname?): join or
 * leave a multicast group (multicast mode) on the underlay interface
 * (default: multicastInterface from openUdp). */
napi_value vx_udp_add_membership(napi_env env, napi_callback_info info) {
  return membership(env, info, 1);
}
napi_value vx_udp_drop_membership(napi_env env, napi_callback_info info) {
  return membership(env, info, 0);
}
