/*
 * TAP ports: a device created, or attached to when it exists, by name with
 * IFF_TAP | IFF_NO_PI (plain Ethernet frames, no packet-info prefix). TAP has
 * no mmsg calls: a batch is a loop of read()/write() inside one native call.
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
#include <unistd.h>

/* openTap(name, { up, mtu, netns }) */
napi_value vx_open_tap(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ifname[IF_NAMESIZE], ns[200];
  int up;
  uint32_t mtu;
  if (argc < 1 || vx_arg_string(env, argv[0], "TAP name", ifname, sizeof ifname)) return NULL;
  napi_value o = argc > 1 ? argv[1] : NULL;
  if (vx_opt_bool(env, o, "up", 0, &up) || vx_opt_u32(env, o, "mtu", 0, &mtu) ||
      vx_opt_string(env, o, "netns", ns, sizeof ns))
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
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  memcpy(ifr.ifr_name, ifname, strlen(ifname));
  /* Creates the device, or attaches when a TAP of that name exists (made by
   * `ip tuntap add ... mode tap`, say); a non-TAP device of that name fails. */
  if (ioctl(h->fd, TUNSETIFF, &ifr) < 0) goto fail_errno;
  snprintf(h->name, sizeof h->name, "%.*s", IF_NAMESIZE - 1, ifr.ifr_name);

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
  close(ctl);
  ctl = -1;
  vx_netns_leave(saved);
  saved = -1;
  return vx_handle_wrap(env, h);

fail_errno:
  err = errno;
fail:
  vx_netns_leave(saved);
  if (ctl >= 0) close(ctl);
  if (h->fd >= 0) close(h->fd);
  free(h);
  return vx_throw_errno(env, op, ifname, err);
}

/* recv(buffer, slotSize, headroom, lengths, max) -> frames read. */
napi_value vx_tap_recv(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  vx_handle *h = vx_this(env, info, VX_TAP, &argc, argv, 1);
  if (!h) return NULL;
  uint8_t *buf;
  size_t buflen, lens_len;
  uint32_t slot, headroom, max, *lens;
  if (argc < 5 || vx_arg_bytes(env, argv[0], "buffer", &buf, &buflen) ||
      vx_arg_u32(env, argv[1], "slotSize", &slot) ||
      vx_arg_u32(env, argv[2], "headroom", &headroom) ||
      vx_arg_u32array(env, argv[3], "lengths", &lens, &lens_len) ||
      vx_arg_u32(env, argv[4], "max", &max))
    return argc < 5 ? vx_throw_type(env, "recv(buffer, slotSize, headroom, lengths, max)") : NULL;
  uint32_t cap = vx_check_rx(env, buflen, slot, headroom, lens_len, max);
  if (!cap) return NULL;
  uint32_t n = 0;
  while (n < max) {
    ssize_t r = read(h->fd, buf + (size_t)n * slot + headroom, cap);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (n > 0) break; /* report the frames we have; the error comes back next call */
      return vx_throw_errno(env, "TAP read", h->name, errno);
    }
    /* tun returns the frame's full length even when it copied only cap bytes. */
    if ((size_t)r > cap) {
      lens[n] = 0;
      h->st.rx_truncated += 1;
    } else {
      lens[n] = (uint32_t)r;
      h->st.rx_frames += 1;
      h->st.rx_bytes += (double)r;
    }
    n++;
  }
  napi_value v;
  napi_create_uint32(env, n, &v);
  return v;
}

/* send(buffer, offsets, lengths, count) -> frames written. */
napi_value vx_tap_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  vx_handle *h = vx_this(env, info, VX_TAP, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < 4) return vx_throw_type(env, "send(buffer, offsets, lengths, count)");
  vx_tx_args tx;
  if (vx_arg_tx(env, argv, 3, &tx)) return NULL;
  uint8_t *buf = tx.buf;
  uint32_t *offs = tx.offs, *lens = tx.lens, count = tx.count;
  uint32_t sent = 0, i = 0;
  while (i < count) {
    ssize_t w = write(h->fd, buf + offs[i], lens[i]);
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
    h->st.tx_bytes += (double)w;
    sent++;
    i++;
  }
  napi_value v;
  napi_create_uint32(env, sent, &v);
  return v;
}
