/*
 * AF_PACKET ports: one socket bound to one interface by name, promiscuous,
 * ignoring its interface's outgoing frames, receiving in batches either with
 * recvmmsg or from a PACKET_MMAP TPACKET_V3 ring (chosen by option: both are
 * kept so bench/afpacket-rx.ts can measure them), sending with sendmmsg.
 *
 * With vnetHdr every frame carries a virtio_net_hdr (PACKET_VNET_HDR): the
 * kernel hands over GSO super-frames and partial checksums as they are, with
 * what is needed to finish them, and takes the same from us. The underlay
 * link uses the same handle with a classic BPF filter and no promiscuity.
 */
#include "vxio.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING /* Linux 4.20 */
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef TP_STATUS_VLAN_TPID_VALID
#define TP_STATUS_VLAN_TPID_VALID (1 << 6)
#endif

/* recvmmsg mode queues skbs on the socket: the kernel's default receive
 * buffer (~208 KiB) holds only about a hundred full-size frames, which one
 * burst overflows. 4 MiB by default (SO_RCVBUFFORCE as root); the ring mode
 * has its own memory and ignores it. */
#define VX_PACKET_RCVBUF (4u << 20)

void vx_packet_release(vx_handle *h) {
  if (h->ring.map) munmap(h->ring.map, h->ring.map_len);
  h->ring.map = NULL;
}

static int set_buf(int fd, int force_opt, int opt, uint32_t bytes) {
  int v = (int)bytes;
  if (bytes == 0) return 0;
  /* The *FORCE variants pass net.core.[rw]mem_max when we run as root. */
  if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof v) == 0) return 0;
  return setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v) == 0 ? 0 : errno;
}

/* virtio_net_hdr flags and csum_start / hdr_len, in host byte order. */
#define VNET_F_NEEDS_CSUM 1

/* A VLAN tag put back into the frame moves everything after the MAC
 * addresses 4 bytes on; the kernel's virtio_net_hdr counted without it. */
static void vnet_vlan_shift(uint8_t *vnet) {
  uint16_t v;
  if (vnet[0] & VNET_F_NEEDS_CSUM) {
    memcpy(&v, vnet + 6, 2);
    v += 4;
    memcpy(vnet + 6, &v, 2);
  }
  memcpy(&v, vnet + 2, 2);
  if (v) {
    v += 4;
    memcpy(vnet + 2, &v, 2);
  }
}

/* openPacket(ifname, { rxMode: 'recvmmsg'|'ring', promiscuous, ignoreOutgoing,
 *   batchSize, ringBlockSize, ringBlockCount, ringBlockTimeoutMs, qdiscBypass,
 *   reinsertVlan, rcvbuf, sndbuf, vnetHdr, filter, receive, txRingFrames,
 *   txRingFrameSize, fanoutGroup, netns }). receive false: a send-only socket.
 *   fanoutGroup (1..65535): join that PACKET_FANOUT_HASH group of the
 *   interface, so sockets of several threads share its frames by flow hash
 *   (packet(7) PACKET_FANOUT; a flow stays on one socket). filter is a
 *   classic BPF program (struct sock_filter[], 8 bytes each, host order) the
 *   socket applies before bind, so no other frame reaches it. */
napi_value vx_open_packet(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ifname[IF_NAMESIZE], mode[16], ns[200];
  uint32_t batch, block_size, block_nr, tov, rcvbuf, sndbuf;
  int promisc, ignore_out, bypass, reinsert, vnet, receive;
  uint32_t tx_frames, tx_frame_size, fanout;
  if (argc < 1 || vx_arg_string(env, argv[0], "interface name", ifname, sizeof ifname)) return NULL;
  napi_value o = argc > 1 ? argv[1] : NULL;
  struct sock_fprog filter = {0, NULL};
  if (o) {
    bool has = false;
    napi_valuetype ot;
    napi_typeof(env, o, &ot);
    if (ot == napi_object) napi_has_named_property(env, o, "filter", &has);
    if (has) {
      napi_value f;
      uint8_t *code;
      size_t code_len;
      napi_get_named_property(env, o, "filter", &f);
      if (vx_arg_bytes(env, f, "filter", &code, &code_len)) return NULL;
      if (code_len == 0 || code_len % sizeof(struct sock_filter) != 0 || code_len / 8 > BPF_MAXINSNS)
        return vx_throw_range(env, "filter must hold 1..4096 BPF instructions of 8 bytes");
      filter.len = (unsigned short)(code_len / sizeof(struct sock_filter));
      filter.filter = (struct sock_filter *)code; /* only read during this call */
    }
  }
  if (vx_opt_bool(env, o, "vnetHdr", 0, &vnet) ||
      vx_opt_string(env, o, "rxMode", mode, sizeof mode) ||
      vx_opt_bool(env, o, "promiscuous", 1, &promisc) ||
      vx_opt_bool(env, o, "receive", 1, &receive) ||
      vx_opt_bool(env, o, "ignoreOutgoing", 1, &ignore_out) ||
      vx_opt_bool(env, o, "qdiscBypass", 0, &bypass) ||
      vx_opt_bool(env, o, "reinsertVlan", 1, &reinsert) ||
      vx_opt_u32(env, o, "batchSize", VX_BATCH_DEFAULT, &batch) ||
      vx_opt_u32(env, o, "ringBlockSize", 1u << 18, &block_size) ||
      vx_opt_u32(env, o, "ringBlockCount", 32, &block_nr) ||
      vx_opt_u32(env, o, "ringBlockTimeoutMs", 1, &tov) ||
      vx_opt_u32(env, o, "rcvbuf", VX_PACKET_RCVBUF, &rcvbuf) ||
      vx_opt_u32(env, o, "sndbuf", 0, &sndbuf) ||
      vx_opt_u32(env, o, "txRingFrames", 0, &tx_frames) ||
      vx_opt_u32(env, o, "txRingFrameSize", 1u << 17, &tx_frame_size) ||
      vx_opt_u32(env, o, "fanoutGroup", 0, &fanout) ||
      vx_opt_string(env, o, "netns", ns, sizeof ns))
    return NULL;
  /* The ring is the default: bench/afpacket-rx.ts measured it faster and
   * cheaper per frame; recvmmsg has the lower latency at low rates (the ring
   * hands a partly filled block over only after ringBlockTimeoutMs). */
  int ring = 1;
  if (strcmp(mode, "recvmmsg") == 0)
    ring = 0;
  else if (mode[0] == 0 || strcmp(mode, "ring") == 0)
    ring = 1;
  else
    return vx_throw_type(env, "rxMode must be 'recvmmsg' or 'ring'");
  if (fanout > 0xffff) return vx_throw_range(env, "fanoutGroup must be 1..65535 (0: none)");
  long page = sysconf(_SC_PAGESIZE);
  if (tx_frames && (tx_frame_size < (uint32_t)page || tx_frame_size % (uint32_t)page != 0))
    return vx_throw_range(env, "txRingFrameSize must be a multiple of the page size");
  if (ring && (block_size < (uint32_t)page || block_size % (uint32_t)page != 0 || block_nr == 0 ||
               tov == 0))
    return vx_throw_range(env, "ringBlockSize must be a multiple of the page size, "
                               "ringBlockCount and ringBlockTimeoutMs at least 1");

  vx_handle *h = vx_handle_new(VX_PACKET);
  if (!h) return vx_throw_errno(env, "AF_PACKET open", ifname, ENOMEM);
  snprintf(h->name, sizeof h->name, "%s", ifname);
  h->ring_mode = ring;
  h->reinsert_vlan = reinsert;
  h->vnet = vnet;

  const char *op = "AF_PACKET netns";
  int saved = -1, err = vx_netns_enter(ns, &saved);
  if (err) goto fail;

  /* Protocol 0: the socket receives nothing until bind() names the
   * interface, so no frame of another interface slips into the ring or the
   * queue in between. */
  op = "AF_PACKET socket";
  h->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (h->fd < 0) goto fail_errno;

  op = "AF_PACKET bind";
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, strlen(ifname));
  if (ioctl(h->fd, SIOCGIFINDEX, &ifr) < 0) goto fail_errno;
  h->ifindex = ifr.ifr_ifindex;

  /* The switch never re-receives what it (or anyone) sent out this port. */
  op = "AF_PACKET PACKET_IGNORE_OUTGOING";
  int one = 1;
  if (ignore_out && setsockopt(h->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0)
    goto fail_errno;
  /* Before the ring: the kernel refuses PACKET_VNET_HDR once one exists. */
  op = "AF_PACKET PACKET_VNET_HDR";
  if (vnet && setsockopt(h->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) goto fail_errno;
  op = "AF_PACKET SO_ATTACH_FILTER";
  if (filter.len && setsockopt(h->fd, SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof filter) < 0)
    goto fail_errno;

  if (ring || tx_frames) {
    op = "AF_PACKET PACKET_VERSION";
    int v = TPACKET_V3;
    if (setsockopt(h->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) goto fail_errno;
  }
  size_t rx_len = 0, tx_len = 0;
  if (tx_frames) {
    /* TX ring: one frame per slot (tpacket3_hdr, then the frame at
     * TPACKET_ALIGN(sizeof hdr)); a slot must hold the largest message, a
     * UDP GSO run of 64 KiB. PACKET_LOSS: a malformed frame is dropped,
     * not left blocking the ring. */
    op = "AF_PACKET PACKET_TX_RING";
    if (setsockopt(h->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof one) < 0) goto fail_errno;
    struct tpacket_req3 treq;
    memset(&treq, 0, sizeof treq);
    treq.tp_block_size = tx_frame_size;
    treq.tp_block_nr = tx_frames;
    treq.tp_frame_size = tx_frame_size;
    treq.tp_frame_nr = tx_frames;
    if (setsockopt(h->fd, SOL_PACKET, PACKET_TX_RING, &treq, sizeof treq) < 0) goto fail_errno;
    tx_len = (size_t)tx_frame_size * tx_frames;
  }
  if (ring) {
    op = "AF_PACKET PACKET_RX_RING";
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = block_size;
    req.tp_block_nr = block_nr;
    /* V3 packs frames of any size into a block; frame_size/nr are nominal. */
    req.tp_frame_size = 2048;
    req.tp_frame_nr = (block_size / 2048) * block_nr;
    req.tp_retire_blk_tov = tov; /* ms a partly filled block waits */
    if (setsockopt(h->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) goto fail_errno;
    rx_len = (size_t)block_size * block_nr;
    h->ring.block_size = block_size;
    h->ring.block_nr = block_nr;
  }
  if (rx_len + tx_len) {
    /* One mapping: the RX ring first, the TX ring after it (packet_mmap). */
    h->ring.map_len = rx_len + tx_len;
    h->ring.map = mmap(NULL, h->ring.map_len, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
    if (h->ring.map == MAP_FAILED) {
      h->ring.map = NULL;
      op = "AF_PACKET mmap";
      goto fail_errno;
    }
    if (tx_len) {
      h->ring.tx = h->ring.map + rx_len;
      h->ring.tx_frame_size = tx_frame_size;
      h->ring.tx_frame_nr = tx_frames;
    }
  }
  if (!ring && reinsert) {
    /* The kernel strips a received VLAN tag into skb metadata; auxdata
     * carries it back so the frame can be given to JS as it was on the wire. */
    op = "AF_PACKET PACKET_AUXDATA";
    if (setsockopt(h->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0) goto fail_errno;
  }
  op = "AF_PACKET SO_RCVBUF";
  if ((err = set_buf(h->fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf))) goto fail;
  op = "AF_PACKET SO_SNDBUF";
  if ((err = set_buf(h->fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf))) goto fail;
  op = "AF_PACKET PACKET_QDISC_BYPASS";
  if (bypass && setsockopt(h->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0)
    goto fail_errno;

  op = "AF_PACKET bind";
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  /* Protocol 0: a send-only socket that the kernel hands no frame at all. */
  sll.sll_protocol = receive ? htons(ETH_P_ALL) : 0;
  sll.sll_ifindex = h->ifindex;
  if (bind(h->fd, (struct sockaddr *)&sll, sizeof sll) < 0) goto fail_errno;

  if (fanout && receive) {
    /* After bind: the group is the interface's. Hash of the flow (the
     * kernel's rxhash), fragments reassembled first so they follow their
     * flow (PACKET_FANOUT_FLAG_DEFRAG). */
    op = "AF_PACKET PACKET_FANOUT";
    int arg = (int)(fanout | ((uint32_t)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16));
    if (setsockopt(h->fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0) goto fail_errno;
  }
  if (promisc && receive) {
    /* Membership is per socket and dropped by the kernel when it closes. */
    op = "AF_PACKET PACKET_MR_PROMISC";
    struct packet_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.mr_ifindex = h->ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(h->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) goto fail_errno;
  }
  vx_netns_leave(saved);
  saved = -1;

  op = "AF_PACKET open";
  if ((err = vx_alloc_batch(h, batch, !ring, 0))) goto fail;
  napi_value obj = vx_handle_wrap(env, h);
  if (!obj) return NULL;
  vx_set_str(env, obj, "rxMode", ring ? "ring" : "recvmmsg");
  napi_value vb;
  napi_get_boolean(env, vnet != 0, &vb);
  napi_set_named_property(env, obj, "vnetHdr", vb);
  return obj;

fail_errno:
  err = errno;
fail:
  vx_netns_leave(saved);
  vx_packet_release(h);
  if (h->fd >= 0) close(h->fd);
  free(h->msgs);
  free(h->iov);
  free(h->ctrl);
  free(h);
  return vx_throw_errno(env, op, ifname, err);
}

/* Put a VLAN tag the kernel stripped back after the MAC addresses: frames
 * reach JS as they were on the wire, so 802.1Q decoding and the VLAN->VNI
 * map need no side channel. p holds len bytes and has room for len + 4. */
static inline void insert_vlan(uint8_t *p, uint32_t len, uint16_t tpid, uint16_t tci) {
  memmove(p + 16, p + 12, len - 12);
  p[12] = (uint8_t)(tpid >> 8);
  p[13] = (uint8_t)tpid;
  p[14] = (uint8_t)(tci >> 8);
  p[15] = (uint8_t)tci;
}

/* recvmmsg mode: every message gets a whole frameMax slot (the length is
 * known only after the call), laid out at a fixed stride. */
static int recv_mmsg(vx_handle *h, const vx_rx_args *rx) {
  uint32_t max = rx->max > h->batch ? h->batch : rx->max;
  uint32_t cap = rx->frame_max;
  uint64_t stride = ((uint64_t)rx->headroom + cap + VX_RX_ALIGN - 1) & ~(uint64_t)(VX_RX_ALIGN - 1);
  uint32_t n = 0;
  for (; n < max; n++) {
    int64_t at = vx_rx_place(rx, n * stride, cap);
    if (at < 0) break;
    rx->offs[n] = (uint32_t)at;
    struct iovec *iov = &h->iov[(size_t)n * VX_IOV_PER_MSG];
    int k = 0;
    if (h->vnet) iov[k++] = (struct iovec){rx->vnet + (size_t)n * VX_VNET_LEN, VX_VNET_LEN};
    iov[k++] = (struct iovec){rx->buf + at, rx->frame_max};
    struct msghdr *m = &h->msgs[n].msg_hdr;
    *m = (struct msghdr){NULL, 0, iov, (size_t)k, h->ctrl ? h->ctrl + (size_t)n * VX_CTRL_SIZE : NULL,
                         h->ctrl ? VX_CTRL_SIZE : 0, 0};
  }
  if (n == 0) return 0;
  int got;
  do {
    /* MSG_TRUNC: msg_len is the frame's real length, so a frame larger than
     * frameMax is recognised and dropped, not cut. */
    got = recvmmsg(h->fd, h->msgs, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  for (int i = 0; i < got; i++) {
    struct msghdr *m = &h->msgs[i].msg_hdr;
    uint32_t len = h->msgs[i].msg_len;
    if (h->vnet) len = len >= VX_VNET_LEN ? len - VX_VNET_LEN : 0;
    int trunc = (m->msg_flags & MSG_TRUNC) || len > rx->frame_max || len == 0;
    if (!trunc && h->ctrl) {
      for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
        struct tpacket_auxdata aux;
        memcpy(&aux, CMSG_DATA(c), sizeof aux);
        if ((aux.tp_status & TP_STATUS_VLAN_VALID) && len >= 12) {
          if (len + 4 > rx->frame_max) {
            trunc = 1;
            break;
          }
          uint16_t tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : ETH_P_8021Q;
          insert_vlan(rx->buf + rx->offs[i], len, tpid, aux.tp_vlan_tci);
          len += 4;
          if (h->vnet) vnet_vlan_shift(rx->vnet + (size_t)i * VX_VNET_LEN);
        }
      }
    }
    if (trunc) {
      /* The slot is used but holds no frame: length 0 tells JS to skip it. */
      rx->lens[i] = 0;
      h->st.rx_truncated += 1;
    } else {
      rx->lens[i] = len;
      h->st.rx_frames += 1;
      h->st.rx_bytes += len;
    }
  }
  return got;
}

/* Ring mode: frames are copied out of the ring packed one after the other; a
 * frame that does not fit what is left of the buffer stays in the ring for
 * the next call. */
static int recv_ring(vx_handle *h, const vx_rx_args *rx) {
  vx_ring *r = &h->ring;
  uint32_t got = 0;
  uint64_t pos = 0;
  while (got < rx->max) {
    struct tpacket_block_desc *bd =
        (struct tpacket_block_desc *)(r->map + (size_t)r->cur_block * r->block_size);
    if (r->pkts_left == 0) {
      /* Acquire: the frames of a block are valid once we see it is ours. */
      if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
        break;
      r->pkts_left = bd->hdr.bh1.num_pkts;
      r->next_pkt = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
      if (r->pkts_left == 0) {
        __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        r->cur_block = (r->cur_block + 1) % r->block_nr;
        continue;
      }
    }
    struct tpacket3_hdr *ph = (struct tpacket3_hdr *)r->next_pkt;
    const uint8_t *data = (const uint8_t *)ph + ph->tp_mac;
    uint32_t len = ph->tp_snaplen;
    int vlan = h->reinsert_vlan && (ph->tp_status & TP_STATUS_VLAN_VALID) && len >= 12;
    uint32_t out_len = len + (vlan ? 4u : 0u);
    if (ph->tp_len != ph->tp_snaplen || out_len > rx->frame_max) {
      /* Cut by the ring or larger than the caller takes: dropped, counted. */
      h->st.rx_truncated += 1;
    } else {
      int64_t at = vx_rx_place(rx, pos, out_len);
      if (at < 0) break; /* no room left in this batch: next call */
      uint8_t *dst = rx->buf + at;
      if (h->vnet) {
        /* The kernel puts the virtio_net_hdr just before the frame. */
        uint8_t *vn = rx->vnet + (size_t)got * VX_VNET_LEN;
        memcpy(vn, data - VX_VNET_LEN, VX_VNET_LEN);
        if (vlan) vnet_vlan_shift(vn);
      }
      if (vlan) {
        uint16_t tpid =
            (ph->tp_status & TP_STATUS_VLAN_TPID_VALID) ? ph->hv1.tp_vlan_tpid : ETH_P_8021Q;
        uint16_t tci = (uint16_t)ph->hv1.tp_vlan_tci;
        memcpy(dst, data, 12);
        dst[12] = (uint8_t)(tpid >> 8);
        dst[13] = (uint8_t)tpid;
        dst[14] = (uint8_t)(tci >> 8);
        dst[15] = (uint8_t)tci;
        memcpy(dst + 16, data + 12, len - 12);
      } else {
        memcpy(dst, data, len);
      }
      rx->offs[got] = (uint32_t)at;
      rx->lens[got++] = out_len;
      pos = (uint64_t)at + out_len;
      h->st.rx_frames += 1;
      h->st.rx_bytes += out_len;
    }
    if (--r->pkts_left == 0) {
      /* Release: hand the whole block back once every frame was copied. */
      __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      r->cur_block = (r->cur_block + 1) % r->block_nr;
    } else {
      r->next_pkt += ph->tp_next_offset;
    }
  }
  return (int)got;
}

/* recv(buffer, offsets, lengths, vnet, headroom, frameMax, max) -> frames
 * received (0 when nothing is waiting); see vx_rx_args. */
napi_value vx_packet_recv(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  vx_handle *h = vx_this(env, info, VX_PACKET, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < 7) return vx_throw_type(env, "recv(buffer, offsets, lengths, vnet, headroom, frameMax, max)");
  vx_rx_args rx;
  if (vx_arg_rx(env, argv, h, &rx)) return NULL;
  int n = h->ring_mode ? recv_ring(h, &rx) : recv_mmsg(h, &rx);
  if (n < 0) return vx_throw_errno(env, "AF_PACKET recv", h->name, -n);
  napi_value v;
  napi_create_uint32(env, (uint32_t)n, &v);
  return v;
}

/* TX ring: copy each frame's parts into the next free slot, mark it for
 * sending, and kick the kernel once for the whole batch. A slot still in
 * flight (the kernel has not sent it yet) means the ring is full: the rest
 * count as txQueueFull, like a full queue on sendmmsg. */
static uint32_t send_ring(vx_handle *h, const vx_tx_args *tx) {
  vx_ring *r = &h->ring;
  const size_t data_off = TPACKET_ALIGN(sizeof(struct tpacket3_hdr));
  uint32_t queued = 0;
  for (uint32_t i = 0; i < tx->count; i++) {
    struct tpacket3_hdr *ph = (struct tpacket3_hdr *)(r->tx + (size_t)r->tx_cur * r->tx_frame_size);
    if (__atomic_load_n(&ph->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) {
      h->st.tx_again += tx->count - i;
      break;
    }
    struct iovec iov[VX_IOV_PER_MSG];
    int k = vx_tx_iov(h, tx, i, iov);
    size_t len = 0;
    for (int j = 0; j < k; j++) len += iov[j].iov_len;
    if (data_off + len > r->tx_frame_size) {
      h->st.tx_errors += 1;
      h->st.last_tx_errno = EMSGSIZE;
      continue;
    }
    uint8_t *d = (uint8_t *)ph + data_off;
    for (int j = 0; j < k; j++) {
      memcpy(d, iov[j].iov_base, iov[j].iov_len);
      d += iov[j].iov_len;
    }
    ph->tp_len = (uint32_t)len;
    ph->tp_next_offset = 0;
    /* Release: the frame's bytes before the kernel may see the slot as ours to send. */
    __atomic_store_n(&ph->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    r->tx_cur = (r->tx_cur + 1) % r->tx_frame_nr;
    queued++;
    h->st.tx_bytes += (double)len - (h->vnet ? VX_VNET_LEN : 0);
  }
  if (queued) {
    /* One kick for the batch; frames the kernel cannot send now stay queued in the ring. */
    if (send(h->fd, NULL, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EWOULDBLOCK) {
      h->st.tx_errors += 1;
      h->st.last_tx_errno = errno;
    }
  }
  h->st.tx_frames += queued;
  return queued;
}

/* send(src, arena, sel, offsets, lengths, hdrOffsets, hdrLengths, vnet,
 * count) -> frames handed to the kernel (see vx_tx_args). Frames that failed
 * on their own are counted in txErrors, frames not tried because the queue
 * was full in txQueueFull. */
napi_value vx_packet_send(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  vx_handle *h = vx_this(env, info, VX_PACKET, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < 9) return vx_throw_type(env, "send(src, arena, sel, offsets, lengths, hdrOffsets, hdrLengths, vnet, count)");
  vx_tx_args tx;
  if (vx_arg_tx(env, argv, 8, 1, h, &tx)) return NULL;
  uint32_t count = tx.count, done = 0, sent = 0;
  int stopped = 0;
  if (h->ring.tx) {
    sent = send_ring(h, &tx);
    napi_value v;
    napi_create_uint32(env, sent, &v);
    return v;
  }
  while (done < count && !stopped) {
    uint32_t n = count - done;
    if (n > h->batch) n = h->batch;
    for (uint32_t i = 0; i < n; i++) {
      struct iovec *iov = &h->iov[(size_t)i * VX_IOV_PER_MSG];
      int k = vx_tx_iov(h, &tx, done + i, iov);
      /* No address: a bound AF_PACKET socket sends out its interface. */
      h->msgs[i].msg_hdr = (struct msghdr){NULL, 0, iov, (size_t)k, NULL, 0, 0};
    }
    sent += vx_sendmmsg_all(h, h->fd, n, &stopped);
    done += n;
  }
  if (stopped) h->st.tx_again += count - done;
  napi_value v;
  napi_create_uint32(env, sent, &v);
  return v;
}

/* setFilter(filter): replace the socket's classic BPF program (atomically:
 * the kernel swaps it under the socket lock), e.g. when a VXLAN port or a
 * multicast group is added at runtime. */
napi_value vx_packet_set_filter(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  vx_handle *h = vx_this(env, info, VX_PACKET, &argc, argv, 1);
  if (!h) return NULL;
  uint8_t *code;
  size_t code_len;
  if (argc < 1 || vx_arg_bytes(env, argv[0], "filter", &code, &code_len)) return argc < 1 ? vx_throw_type(env, "setFilter(filter)") : NULL;
  if (code_len == 0 || code_len % sizeof(struct sock_filter) != 0 || code_len / 8 > BPF_MAXINSNS)
    return vx_throw_range(env, "filter must hold 1..4096 BPF instructions of 8 bytes");
  struct sock_fprog prog = {(unsigned short)(code_len / sizeof(struct sock_filter)), (struct sock_filter *)code};
  if (setsockopt(h->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
    return vx_throw_errno(env, "AF_PACKET SO_ATTACH_FILTER", h->name, errno);
  return NULL;
}

/* stats(): the common counters plus the kernel's PACKET_STATISTICS
 * (kernelPackets counts drops too; kernelDrops = frames the socket lost). */
napi_value vx_packet_stats(napi_env env, napi_callback_info info) {
  vx_handle *h = vx_this(env, info, VX_PACKET, NULL, NULL, 0);
  if (!h) return NULL;
  if (h->fd >= 0) {
    struct tpacket_stats_v3 s;
    memset(&s, 0, sizeof s);
    socklen_t l = h->ring_mode ? sizeof(struct tpacket_stats_v3) : sizeof(struct tpacket_stats);
    if (getsockopt(h->fd, SOL_PACKET, PACKET_STATISTICS, &s, &l) == 0) {
      h->st.k_packets += s.tp_packets;
      h->st.k_drops += s.tp_drops;
      if (h->ring_mode) h->st.k_freeze += s.tp_freeze_q_cnt;
    }
  }
  napi_value o = vx_stats_object(env, h);
  vx_set_num(env, o, "kernelPackets", h->st.k_packets);
  vx_set_num(env, o, "kernelDrops", h->st.k_drops);
  vx_set_num(env, o, "ringFreezes", h->st.k_freeze);
  return o;
}
