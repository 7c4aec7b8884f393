/*
 * TAP ports: a device created, or attached to when it exists, by name with
 * IFF_TAP | IFF_NO_PI (plain Ethernet frames, no packet-info prefix). TAP has
 * no mmsg calls: a batch is a loop of readv()/writev() inside one native call.
 *
 * With vnetHdr (IFF_VNET_HDR) every frame carries a virtio_net_hdr, and
 * TUNSETOFFLOAD tells the kernel we take partial checksums and TCP/UDP GSO
 * super-frames, as a virtio NIC would: the host's stack then sends us 64 KB
 * frames instead of segmenting them for us.
 */
#include "vxio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

/* Linux 6.2: UDP segmentation offload towards the reader (uapi if_tun.h). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

/* openTap(name, { up, mtu, vnetHdr, multiQueue, detachQueue, netns }).
 * multiQueue: one queue of a multi-queue TAP (IFF_MULTI_QUEUE, kernel
 * Documentation/networking/tuntap.rst "Multiqueue tuntap interface"): every
 * open attaches another queue, the kernel spreads frames over them by flow.
 * detachQueue (with multiQueue): the queue is detached right after it is made
 * (TUNSETQUEUE IFF_DETACH_QUEUE, same document): it gets no frames, yet it
 * keeps the device (and its settings) while no other queue is attached. */
napi_value vx_open_tap(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ifname[IF_NAMESIZE], ns[200];
  int up, vnet, mq, detach;
  uint32_t mtu;
  if (argc < 1 || vx_arg_string(env, argv[0], "TAP name", ifname, sizeof ifname)) return NULL;
  napi_value o = argc > 1 ? argv[1] : NULL;
  if (vx_opt_bool(env, o, "up", 0, &up) || vx_opt_u32(env, o, "mtu", 0, &mtu) ||
      vx_opt_bool(env, o, "vnetHdr", 0, &vnet) || vx_opt_bool(env, o, "multiQueue", 0, &mq) ||
      vx_opt_bool(env, o, "detachQueue", 0, &detach) || vx_opt_string(env, o, "netns", ns, sizeof ns))
    return NULL;

  vx_handle *h = vx_handle_new(VX_TAP);
  if (!h) return vx_throw_errno(env, "TAP open", ifname, ENOMEM);
  snprintf(h->name, sizeof h->name, "%s", ifname);
  int ctl = -1;
  const char *op = "TAP netns";
  int saved = -1, err = vx_netns_enter(ns, &saved);
  if (err) goto fail;

  /* The device belongs to the namespace of the thread that opens the tun
   * file, so this stays inside the netns window. */
  op = "TAP open /dev/net/tun";
  h->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (h->fd < 0) goto fail_errno;
  op = "TAP TUNSETIFF";
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0) | (mq ? IFF_MULTI_QUEUE : 0);
  memcpy(ifr.ifr_name, ifname, strlen(ifname));
  /* Creates the device, or attaches when a TAP of that name exists (made by
   * `ip tuntap add ... mode tap`, say); a non-TAP device of that name fails. */
  if (ioctl(h->fd, TUNSETIFF, &ifr) < 0) goto fail_errno;
  snprintf(h->name, sizeof h->name, "%.*s", IF_NAMESIZE - 1, ifr.ifr_name);
  h->vnet = vnet;
  if (vnet) {
    op = "TAP TUNSETVNETHDRSZ";
    int sz = VX_VNET_LEN;
    if (ioctl(h->fd, TUNSETVNETHDRSZ, &sz) < 0) goto fail_errno;
    op = "TAP TUNSETOFFLOAD";
    unsigned long off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    /* USO where the kernel has it (6.2+), else TCP only. */
    if (ioctl(h->fd, TUNSETOFFLOAD, off | TUN_F_USO4 | TUN_F_USO6) < 0 &&
        ioctl(h->fd, TUNSETOFFLOAD, off) < 0)
      goto fail_errno;
  }

  ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  op = "TAP socket";
  if (ctl < 0) goto fail_errno;
  op = "TAP SIOCGIFINDEX";
  if (ioctl(ctl, SIOCGIFINDEX, &ifr) < 0) goto fail_errno;
  h->ifindex = ifr.ifr_ifindex;
  if (mtu) {
    op = "TAP SIOCSIFMTU";
    ifr.ifr_mtu = (int)mtu;
    if (ioctl(ctl, SIOCSIFMTU, &ifr) < 0) goto fail_errno;
  }
  if (up) {
    op = "TAP SIOCSIFFLAGS";
    if (ioctl(ctl, SIOCGIFFLAGS, &ifr) < 0) goto fail_errno;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(ctl, SIOCSIFFLAGS, &ifr) < 0) goto fail_errno;
  }
  if (mq && detach) {
    op = "TAP TUNSETQUEUE detach";
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_DETACH_QUEUE;
    if (ioctl(h->fd, TUNSETQUEUE, &ifr) < 0) goto fail_errno;
  }
  close(ctl);
  ctl = -1;
  vx_netns_leave(saved);
  saved = -1;
  napi_value obj = vx_handle_wrap(env, h);
  if (!obj) return NULL;
  napi_value vb;
  napi_get_boolean(env, vnet != 0, &vb);
  napi_set_named_property(env, obj, "vnetHdr", vb);
  return obj;

fail_errno:
  err = errno;
fail:
  vx_netns_leave(saved);
  if (ctl >= 0) close(ctl);
  if (h->fd >= 0) close(h->fd);
  free(h);
  return vx_throw_errno(env, op, ifname, err);
}

/* recv(buffer, offsets, lengths, vnet, headroom, frameMax, max) -> frames
 * read (see vx_rx_args): packed, each read given a whole frameMax slot. */
napi_value vx_tap_recv(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  vx_handle *h = vx_this(env, info, VX_TAP, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < 7) return vx_throw_type(env, "recv(buffer, offsets, lengths, vnet, headroom, frameMax, max)");
  vx_rx_args rx;
  if (vx_arg_rx(env, argv, h, &rx)) return NULL;
  uint32_t n = 0;
  uint64_t pos = 0;
  while (n < rx.max) {
    int64_t at = vx_rx_place(&rx, pos, rx.frame_max);
    if (at < 0) break;
    struct iovec iov[2];
    int k = 0;
    if (h->vnet) iov[k++] = (struct iovec){rx.vnet + (size_t)n * VX_VNET_LEN, VX_VNET_LEN};
    iov[k++] = (struct iovec){rx.buf + at, rx.frame_max};
    ssize_t r = readv(h->fd, iov, k);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (n > 0) break; /* report the frames we have; the error comes back next call */
      return vx_throw_errno(env, "TAP read", h->name, errno);
    }
    if (h->vnet) r = r >= VX_VNET_LEN ? r - VX_VNET_LEN : 0;
    rx.offs[n] = (uint32_t)at;
    /* tun returns the frame's full length even when it copied only frameMax bytes. */
    if ((size_t)r > rx.frame_max || r == 0) {
      rx.lens[n] = 0;
      h->st.rx_truncated += 1;
    } else {
      rx.lens[n] = (uint32_t)r;
      pos = (uint64_t)at + (uint64_t)r;
      h->st.rx_frames += 1;
      h->st.rx_bytes += (double)r;
    }
    n++;
  }
  napi_value v;
  napi_create_uint32(env, n, &v);
  return v;
}

/* send(src, arena, sel, offsets, lengths, hdrOffsets, hdrLengths, vnet,
 * count) -> frames written (see vx_tx_args). */
napi_value vx_tap_send(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  vx_handle *h = vx_this(env, info, VX_TAP, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < 9) return vx_throw_type(env, "send(src, arena, sel, offsets, lengths, hdrOffsets, hdrLengths, vnet, count)");
  vx_tx_args tx;
  if (vx_arg_tx(env, argv, 8, 1, h, &tx)) return NULL;
  uint32_t count = tx.count, sent = 0, i = 0;
  while (i < count) {
    struct iovec iov[VX_IOV_PER_MSG];
    int k = vx_tx_iov(h, &tx, i, iov);
    ssize_t w = writev(h->fd, iov, k);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        h->st.tx_again += count - i;
        break;
      }
      /* EINVAL for a runt, EIO when the device is down...: this frame only. */
      h->st.tx_errors += 1;
      h->st.last_tx_errno = errno;
      i++;
      continue;
    }
    h->st.tx_frames += 1;
    h->st.tx_bytes += (double)w - (h->vnet ? VX_VNET_LEN : 0);
    sent++;
    i++;
  }
  napi_value v;
  napi_create_uint32(env, sent, &v);
  return v;
}
