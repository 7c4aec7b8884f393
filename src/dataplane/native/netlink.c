/*
 * rtnetlink: an AF_NETLINK / NETLINK_ROUTE socket, for the next-hop resolver
 * (src/dataplane/next-hop-resolver.ts), which follows the kernel's routes,
 * neighbours and links so the dataplane can write outer Ethernet headers
 * itself. Syscalls only: the messages are built and parsed in TypeScript
 * (src/wire/netlink-*.ts, rtnetlink-*.ts).
 *
 *   openNetlink(groups: number[], { netns?, rcvbuf? }) -> NetlinkHandle
 *       groups: RTNLGRP_* numbers, joined with NETLINK_ADD_MEMBERSHIP
 *       (the nl_groups bitmask of bind() only reaches groups 1..32).
 *   handle.portId                 the port id the kernel gave the socket
 *                                 (nlmsg_pid of the replies to our requests)
 *   handle.send(buffer, offset, length) -> bytes sent (one datagram to the
 *                                 kernel; it may hold several requests)
 *   handle.recv(buffer) -> bytes of one datagram (it may hold several
 *                                 messages), 0 when nothing waits
 *
 * A notification the kernel could not queue because the receive buffer was
 * full is lost, and the socket then reports ENOBUFS once (netlink(7)): from
 * recv() as an error with code 'ENOBUFS', or through the polling callback
 * (the socket's pending error makes it poll as POLLERR). Either way the
 * caller must assume it missed changes and read the tables again. A
 * datagram larger than the caller's buffer is dropped by the kernel and
 * reported as EMSGSIZE, with the same consequence.
 */
#include "vxio.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

/* 8 MiB: a burst of route notifications (a routing daemon installing a
 * table) overflows the default ~208 KiB at once; an overflow costs a full
 * re-read, so room is cheap by comparison. SO_RCVBUFFORCE needs
 * CAP_NET_ADMIN; without it SO_RCVBUF is capped by net.core.rmem_max. */
#define VX_NETLINK_RCVBUF (8u << 20)
#define VX_NETLINK_GROUPS_MAX 32

static int setopt_int(int fd, int level, int opt, int v) {
  return setsockopt(fd, level, opt, &v, sizeof v) == 0 ? 0 : errno;
}

/* groups: an array of RTNLGRP_* numbers (1..1023). Returns the count or -1. */
static int arg_groups(napi_env env, napi_value v, uint32_t *groups) {
  bool is_array = false;
  uint32_t n = 0;
  napi_is_array(env, v, &is_array);
  if (!is_array) {
    vx_throw_type(env, "groups must be an array of RTNLGRP_* numbers");
    return -1;
  }
  napi_get_array_length(env, v, &n);
  if (n > VX_NETLINK_GROUPS_MAX) {
    vx_throw_range(env, "at most 32 groups");
    return -1;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    if (vx_arg_u32(env, e, "group", &groups[i])) return -1;
    if (groups[i] == 0 || groups[i] > 1023) {
      vx_throw_range(env, "a group is an RTNLGRP_* number, 1..1023");
      return -1;
    }
  }
  return (int)n;
}

/* openNetlink(groups, { netns, rcvbuf }) */
napi_value vx_open_netlink(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t groups[VX_NETLINK_GROUPS_MAX], rcvbuf;
  char ns[200];
  if (argc < 1) return vx_throw_type(env, "openNetlink(groups, options)");
  int ngroups = arg_groups(env, argv[0], groups);
  if (ngroups < 0) return NULL;
  napi_value o = argc > 1 ? argv[1] : NULL;
  if (vx_opt_string(env, o, "netns", ns, sizeof ns) ||
      vx_opt_u32(env, o, "rcvbuf", VX_NETLINK_RCVBUF, &rcvbuf))
    return NULL;
  if (rcvbuf > 0x7fffffff) return vx_throw_range(env, "rcvbuf must be below 2 GiB");

  vx_handle *h = vx_handle_new(VX_NETLINK);
  if (!h) return vx_throw_errno(env, "netlink open", "rtnetlink", ENOMEM);
  snprintf(h->name, sizeof h->name, ns[0] ? "rtnetlink[%.50s]" : "rtnetlink", ns);

  const char *op = "netlink netns";
  int saved = -1, err = vx_netns_enter(ns, &saved);
  if (err) goto fail;
  /* A netlink socket belongs to the namespace it is created in, for good. */
  op = "netlink socket";
  h->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (h->fd < 0) goto fail_errno;
  vx_netns_leave(saved);
  saved = -1;

  op = "netlink SO_RCVBUF";
  if (setopt_int(h->fd, SOL_SOCKET, SO_RCVBUFFORCE, (int)rcvbuf) &&
      (err = setopt_int(h->fd, SOL_SOCKET, SO_RCVBUF, (int)rcvbuf)))
    goto fail;
  /* Errors without a copy of the request (we match them by sequence number),
   * and with the kernel's explanation when it has one (extended ACK, Linux
   * 4.12+; older kernels just do not add it). */
  (void)setopt_int(h->fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
  (void)setopt_int(h->fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);

  op = "netlink bind";
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK; /* nl_pid 0: the kernel picks a unique port id */
  if (bind(h->fd, (struct sockaddr *)&sa, sizeof sa) < 0) goto fail_errno;
  socklen_t sl = sizeof sa;
  if (getsockname(h->fd, (struct sockaddr *)&sa, &sl) < 0) goto fail_errno;

  op = "netlink NETLINK_ADD_MEMBERSHIP";
  for (int i = 0; i < ngroups; i++)
    if ((err = setopt_int(h->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, (int)groups[i]))) goto fail;

  napi_value obj = vx_handle_wrap(env, h);
  if (!obj) return NULL;
  vx_set_num(env, obj, "portId", sa.nl_pid);
  return obj;

fail_errno:
  err = errno;
fail:
  vx_netns_leave(saved);
  if (h->fd >= 0) close(h->fd);
  vx_throw_errno(env, op, h->name, err); /* the message is copied into a JS string */
  free(h);
  return NULL;
}

/* this -> netlink handle, and its buffer argument (argv[0]) with `want`
 * arguments in all; NULL with an exception pending. */
static vx_handle *netlink_call(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                               const char *usage, uint8_t **buf, size_t *buflen) {
  size_t argc = want;
  vx_handle *h = vx_this(env, info, VX_NETLINK, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < want) {
    vx_throw_type(env, usage);
    return NULL;
  }
  return vx_arg_bytes(env, argv[0], "buffer", buf, buflen) ? NULL : h;
}

static napi_value bytes_done(napi_env env, ssize_t n) {
  napi_value v;
  napi_create_uint32(env, (uint32_t)n, &v);
  return v;
}

/* send(buffer, offset, length) -> bytes sent, to the kernel (port id 0). */
napi_value vx_netlink_send(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint8_t *buf;
  size_t buflen;
  uint32_t off, len;
  vx_handle *h = netlink_call(env, info, 3, argv, "send(buffer, offset, length)", &buf, &buflen);
  if (!h || vx_arg_u32(env, argv[1], "offset", &off) || vx_arg_u32(env, argv[2], "length", &len))
    return NULL;
  if ((uint64_t)off + len > (uint64_t)buflen)
    return vx_throw_range(env, "offset + length is outside the buffer");
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  ssize_t r;
  do {
    r = sendto(h->fd, buf + off, len, MSG_DONTWAIT, (struct sockaddr *)&kernel, sizeof kernel);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    h->st.tx_errors += 1;
    h->st.last_tx_errno = errno;
    return vx_throw_errno(env, "netlink send", h->name, errno);
  }
  h->st.tx_frames += 1;
  h->st.tx_bytes += (double)r;
  return bytes_done(env, r);
}

/* recv(buffer) -> bytes of one datagram, 0 when none waits. */
napi_value vx_netlink_recv(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  uint8_t *buf;
  size_t buflen;
  vx_handle *h = netlink_call(env, info, 1, argv, "recv(buffer)", &buf, &buflen);
  if (!h) return NULL;
  ssize_t r;
  /* MSG_TRUNC: the datagram's real length, so a cut one is noticed. */
  do {
    r = recv(h->fd, buf, buflen, MSG_DONTWAIT | MSG_TRUNC);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return bytes_done(env, 0);
    return vx_throw_errno(env, "netlink recv", h->name, errno);
  }
  if ((size_t)r > buflen) {
    h->st.rx_truncated += 1;
    return vx_throw_errno(env, "netlink recv", h->name, EMSGSIZE);
  }
  h->st.rx_frames += r > 0;
  h->st.rx_bytes += (double)r;
  return bytes_done(env, r);
}
