/*
 * AF_XDP ports (docs/afxdp.md): one XDP socket bound to one receive queue of
 * one interface, with the smallest XDP program that hands that queue's frames
 * to it. Raw syscalls only (bpf(2), socket(AF_XDP), mmap), no libbpf/libxdp:
 * the addon builds from source on a fresh Debian or a Raspberry Pi with
 * nothing but the kernel's UAPI headers (linux-libc-dev).
 *
 * The kernel side, per the kernel's Documentation/networking/af_xdp.rst:
 *   - a UMEM: one anonymous mapping cut into equal frames, registered with
 *     XDP_UMEM_REG; the first half receives, the second half sends;
 *   - four single-producer/single-consumer rings mapped from the socket:
 *     FILL (frames we give the kernel to receive into), RX (frames it filled),
 *     TX (frames we want sent), COMPLETION (sent frames it gives back);
 *   - an XSKMAP with this socket at the queue's index, and a program
 *     `return bpf_redirect_map(&xskmap, ctx->rx_queue_index, XDP_PASS)`,
 *     attached with BPF_LINK_CREATE: frames of a queue with no socket go on
 *     to the kernel stack, and the program comes off the interface when the
 *     link fd is closed, by close() or by the process dying.
 *
 * Same contract as packet.c: recv() copies frames into JS-owned slots and
 * gives their UMEM frames straight back to FILL; send() copies frames into
 * free UMEM frames, queues them on TX and kicks the kernel. Nothing is
 * allocated per packet. It decides nothing: which queue, which attach mode,
 * copy or zero-copy are the caller's options.
 */
#include "vxio.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<linux/if_xdp.h>) && __has_include(<linux/bpf.h>)
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#endif
#endif

/* BPF_LINK_CREATE for XDP (BPF_XDP) arrived in the 5.9 UAPI headers; 5.10's
 * BPF_F_SLEEPABLE is the nearest macro that says the headers are that new.
 * With older headers the addon still builds and openXdp throws ENOSYS. */
#if defined(XDP_USE_NEED_WAKEUP) && defined(BPF_F_SLEEPABLE) && defined(__NR_bpf)
#define VX_HAVE_XDP 1
#else
#define VX_HAVE_XDP 0
#endif

#if VX_HAVE_XDP

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
/* Linux 6.17 (if_xdp.h): how many TX descriptors one sendto() turns into
 * skbs in copy mode; the kernel's default is 32. */
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif

/* One mapped ring: producer and consumer indices run freely (u32, wrapping),
 * the slot is index & mask. */
typedef struct vx_xq {
  uint32_t *producer, *consumer, *flags;
  void *desc;
  uint32_t mask;
  void *map;
  size_t map_len;
} vx_xq;

struct vx_xsk {
  int map_fd, prog_fd, link_fd;
  uint8_t *umem;
  size_t umem_len;
  uint32_t frame_size, ring_size;
  uint32_t queue;
  int zero_copy;
  vx_xq fill, comp, rx, tx;
  /* TX frames not on the TX ring: a stack of UMEM addresses. */
  uint64_t *tx_free;
  uint32_t tx_nfree;
  /* The kernel's XDP_STATISTICS are cumulative: nothing to accumulate. */
};

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

static int create_xskmap(uint32_t entries) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_XSKMAP;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = entries;
  memcpy(a.map_name, "vxio_xsks", 10);
  return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

/*
 * The program, hand-assembled (kernel Documentation/bpf/standard-instruction-
 * set.rst; struct xdp_md in linux/bpf.h):
 *   r2 = *(u32 *)(r1 + offsetof(struct xdp_md, rx_queue_index))
 *   r1 = map_fd                     (ld_imm64, BPF_PSEUDO_MAP_FD: 2 slots)
 *   r3 = XDP_PASS                   (the action when the map has no socket
 *                                    at that index, Linux 5.3+)
 *   call bpf_redirect_map
 *   exit                            (r0: XDP_REDIRECT or XDP_PASS)
 */
static int load_program(int map_fd) {
  struct bpf_insn insns[6];
  memset(insns, 0, sizeof insns);
  insns[0].code = BPF_LDX | BPF_MEM | BPF_W;
  insns[0].dst_reg = BPF_REG_2;
  insns[0].src_reg = BPF_REG_1;
  insns[0].off = (int16_t)offsetof(struct xdp_md, rx_queue_index);
  insns[1].code = BPF_LD | BPF_DW | BPF_IMM;
  insns[1].dst_reg = BPF_REG_1;
  insns[1].src_reg = BPF_PSEUDO_MAP_FD;
  insns[1].imm = map_fd;
  insns[3].code = BPF_ALU64 | BPF_MOV | BPF_K;
  insns[3].dst_reg = BPF_REG_3;
  insns[3].imm = XDP_PASS;
  insns[4].code = BPF_JMP | BPF_CALL;
  insns[4].imm = BPF_FUNC_redirect_map;
  insns[5].code = BPF_JMP | BPF_EXIT;
  static const char license[] = "Dual MIT/GPL";
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_XDP;
  a.expected_attach_type = BPF_XDP;
  a.insns = (uint64_t)(uintptr_t)insns;
  a.insn_cnt = sizeof insns / sizeof insns[0];
  a.license = (uint64_t)(uintptr_t)license;
  memcpy(a.prog_name, "vxio_xsk", 9);
  return (int)sys_bpf(BPF_PROG_LOAD, &a);
}

static int map_set(int map_fd, uint32_t key, int value) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)map_fd;
  a.key = (uint64_t)(uintptr_t)&key;
  a.value = (uint64_t)(uintptr_t)&value;
  a.flags = BPF_ANY;
  return (int)sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

static int attach_link(int prog_fd, int ifindex, uint32_t xdp_flags) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)prog_fd;
  a.link_create.target_ifindex = (uint32_t)ifindex;
  a.link_create.attach_type = BPF_XDP;
  a.link_create.flags = xdp_flags;
  return (int)sys_bpf(BPF_LINK_CREATE, &a);
}

static int map_ring(int fd, vx_xq *q, const struct xdp_ring_offset *off, uint32_t n,
                    size_t desc_size, uint64_t pgoff) {
  q->map_len = off->desc + (size_t)n * desc_size;
  /* The FILL and COMPLETION offsets are 4 and 6 GiB: past a 32-bit off_t
   * (armv7), hence mmap64. */
  q->map = mmap64(NULL, q->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                  (off64_t)pgoff);
  if (q->map == MAP_FAILED) {
    q->map = NULL;
    return errno;
  }
  uint8_t *base = q->map;
  q->producer = (uint32_t *)(base + off->producer);
  q->consumer = (uint32_t *)(base + off->consumer);
  q->flags = (uint32_t *)(base + off->flags);
  q->desc = base + off->desc;
  q->mask = n - 1;
  return 0;
}

void vx_xdp_release(vx_handle *h) {
  struct vx_xsk *x = h->xsk;
  if (!x) return;
  /* The link first: from here on nothing is redirected to the socket. */
  if (x->link_fd >= 0) close(x->link_fd);
  if (x->prog_fd >= 0) close(x->prog_fd);
  if (x->map_fd >= 0) close(x->map_fd);
  vx_xq *qs[] = {&x->fill, &x->comp, &x->rx, &x->tx};
  for (size_t i = 0; i < 4; i++)
    if (qs[i]->map) munmap(qs[i]->map, qs[i]->map_len);
  /* The kernel keeps the UMEM pages pinned until the socket is gone. */
  if (x->umem) munmap(x->umem, x->umem_len);
  free(x->tx_free);
  free(x);
  h->xsk = NULL;
}

static int set_int(int fd, int opt, uint32_t v) {
  int i = (int)v;
  return setsockopt(fd, SOL_XDP, opt, &i, sizeof i) == 0 ? 0 : errno;
}

/* openXdp(ifname, { queue, attachMode: 'native'|'generic'|'none', zeroCopy,
 *   frameSize, ringSize, txBudget, netns }) */
napi_value vx_open_xdp(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ifname[IF_NAMESIZE], mode[16], ns[200];
  uint32_t queue, frame_size, ring_size, tx_budget;
  int zero_copy;
  if (argc < 1 || vx_arg_string(env, argv[0], "interface name", ifname, sizeof ifname)) return NULL;
  napi_value o = argc > 1 ? argv[1] : NULL;
  if (vx_opt_u32(env, o, "queue", 0, &queue) ||
      vx_opt_string(env, o, "attachMode", mode, sizeof mode) ||
      vx_opt_bool(env, o, "zeroCopy", 0, &zero_copy) ||
      vx_opt_u32(env, o, "frameSize", 2048, &frame_size) ||
      vx_opt_u32(env, o, "ringSize", 2048, &ring_size) ||
      vx_opt_u32(env, o, "txBudget", 0, &tx_budget) ||
      vx_opt_string(env, o, "netns", ns, sizeof ns))
    return NULL;
  /* 'none': no program, so nothing is redirected to the socket and it only
   * sends; copy-mode TX needs no program (af_xdp.rst, "XDP_COPY"). */
  uint32_t xdp_flags = 0;
  if (mode[0] == 0 || strcmp(mode, "native") == 0)
    xdp_flags = XDP_FLAGS_DRV_MODE;
  else if (strcmp(mode, "generic") == 0)
    xdp_flags = XDP_FLAGS_SKB_MODE;
  else if (strcmp(mode, "none") != 0)
    return vx_throw_type(env, "attachMode must be 'native', 'generic' or 'none'");
  /* Aligned-chunk UMEM: a power of two between 2048 and the page size. */
  long page = sysconf(_SC_PAGESIZE);
  if (frame_size < 2048 || frame_size > (uint32_t)page || (frame_size & (frame_size - 1)))
    return vx_throw_range(env, "frameSize must be a power of two from 2048 to the page size");
  if (ring_size < 64 || ring_size > 65536 || (ring_size & (ring_size - 1)))
    return vx_throw_range(env, "ringSize must be a power of two from 64 to 65536");
  if (queue > 1023) return vx_throw_range(env, "queue must be 0..1023");

  vx_handle *h = vx_handle_new(VX_XDP);
  struct vx_xsk *x = calloc(1, sizeof *x);
  if (!h || !x) {
    free(h);
    free(x);
    return vx_throw_errno(env, "AF_XDP open", ifname, ENOMEM);
  }
  h->xsk = x;
  x->map_fd = x->prog_fd = x->link_fd = -1;
  x->frame_size = frame_size;
  x->ring_size = ring_size;
  x->queue = queue;
  x->zero_copy = zero_copy;
  snprintf(h->name, sizeof h->name, "%s", ifname);

  const char *op = "AF_XDP netns";
  int saved = -1, err = vx_netns_enter(ns, &saved);
  if (err) goto fail;

  op = "AF_XDP ifindex";
  h->ifindex = (int)if_nametoindex(ifname);
  if (h->ifindex == 0) goto fail_errno;

  op = "AF_XDP socket";
  h->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (h->fd < 0) goto fail_errno;

  /* UMEM: ring_size frames to receive into, ring_size frames to send from. */
  op = "AF_XDP UMEM";
  x->umem_len = (size_t)frame_size * ring_size * 2;
  x->umem = mmap(NULL, x->umem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                 -1, 0);
  if (x->umem == MAP_FAILED) {
    x->umem = NULL;
    goto fail_errno;
  }
  x->tx_free = malloc(sizeof *x->tx_free * ring_size);
  if (!x->tx_free) {
    err = ENOMEM;
    goto fail;
  }
  struct xdp_umem_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.addr = (uint64_t)(uintptr_t)x->umem;
  reg.len = x->umem_len;
  reg.chunk_size = frame_size;
  reg.headroom = 0;
  op = "AF_XDP XDP_UMEM_REG";
  if (setsockopt(h->fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof reg) < 0) goto fail_errno;
  op = "AF_XDP rings";
  if ((err = set_int(h->fd, XDP_UMEM_FILL_RING, ring_size)) ||
      (err = set_int(h->fd, XDP_UMEM_COMPLETION_RING, ring_size)) ||
      (err = set_int(h->fd, XDP_RX_RING, ring_size)) || (err = set_int(h->fd, XDP_TX_RING, ring_size)))
    goto fail;
  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  op = "AF_XDP XDP_MMAP_OFFSETS";
  if (getsockopt(h->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) goto fail_errno;
  op = "AF_XDP mmap";
  if ((err = map_ring(h->fd, &x->fill, &off.fr, ring_size, sizeof(uint64_t),
                      XDP_UMEM_PGOFF_FILL_RING)) ||
      (err = map_ring(h->fd, &x->comp, &off.cr, ring_size, sizeof(uint64_t),
                      XDP_UMEM_PGOFF_COMPLETION_RING)) ||
      (err = map_ring(h->fd, &x->rx, &off.rx, ring_size, sizeof(struct xdp_desc),
                      XDP_PGOFF_RX_RING)) ||
      (err = map_ring(h->fd, &x->tx, &off.tx, ring_size, sizeof(struct xdp_desc),
                      XDP_PGOFF_TX_RING)))
    goto fail;
  if (tx_budget) {
    op = "AF_XDP XDP_MAX_TX_SKB_BUDGET";
    if ((err = set_int(h->fd, XDP_MAX_TX_SKB_BUDGET, tx_budget))) goto fail;
  }

  /* Every receive frame on FILL before bind, so the first frame has room. */
  uint64_t *fq = x->fill.desc;
  for (uint32_t i = 0; i < ring_size; i++) fq[i] = (uint64_t)i * frame_size;
  __atomic_store_n(x->fill.producer, ring_size, __ATOMIC_RELEASE);
  for (uint32_t i = 0; i < ring_size; i++)
    x->tx_free[i] = (uint64_t)(ring_size + i) * frame_size;
  x->tx_nfree = ring_size;

  struct sockaddr_xdp sxdp;
  memset(&sxdp, 0, sizeof sxdp);
  sxdp.sxdp_family = AF_XDP;
  sxdp.sxdp_ifindex = (uint32_t)h->ifindex;
  sxdp.sxdp_queue_id = queue;
  sxdp.sxdp_flags = (zero_copy ? XDP_ZEROCOPY : XDP_COPY) | XDP_USE_NEED_WAKEUP;
  op = "AF_XDP bind";
  if (bind(h->fd, (struct sockaddr *)&sxdp, sizeof sxdp) < 0) goto fail_errno;

  if (xdp_flags) {
    op = "AF_XDP XSKMAP";
    x->map_fd = create_xskmap(queue + 1);
    if (x->map_fd < 0) goto fail_errno;
    if (map_set(x->map_fd, queue, h->fd) < 0) goto fail_errno;
    op = "AF_XDP BPF_PROG_LOAD";
    x->prog_fd = load_program(x->map_fd);
    if (x->prog_fd < 0) goto fail_errno;
    /* EBUSY: the interface has an XDP program already (another handle's, or
     * someone else's); EOPNOTSUPP: its driver has no native XDP. */
    op = "AF_XDP attach";
    x->link_fd = attach_link(x->prog_fd, h->ifindex, xdp_flags);
    if (x->link_fd < 0) goto fail_errno;
  }
  vx_netns_leave(saved);
  saved = -1;

  napi_value obj = vx_handle_wrap(env, h);
  if (!obj) return NULL;
  vx_set_str(env, obj, "attachMode",
             xdp_flags == XDP_FLAGS_DRV_MODE   ? "native"
             : xdp_flags == XDP_FLAGS_SKB_MODE ? "generic"
                                               : "none");
  vx_set_num(env, obj, "queue", queue);
  napi_value zc;
  napi_get_boolean(env, zero_copy, &zc);
  napi_set_named_property(env, obj, "zeroCopy", zc);
  return obj;

fail_errno:
  err = errno;
fail:
  vx_netns_leave(saved);
  vx_xdp_release(h);
  if (h->fd >= 0) close(h->fd);
  free(h);
  return vx_throw_errno(env, op, ifname, err);
}

/* recv(buffer, offsets, lengths, vnet, headroom, frameMax, max): as
 * AF_PACKET's ring, frames packed (vnet stays null: AF_XDP carries no
 * offload state). */
napi_value vx_xdp_recv(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  vx_handle *h = vx_this(env, info, VX_XDP, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < 7) return vx_throw_type(env, "recv(buffer, offsets, lengths, vnet, headroom, frameMax, max)");
  vx_rx_args to; /* the JS buffer frames are copied to */
  if (vx_arg_rx(env, argv, h, &to)) return NULL;
  struct vx_xsk *x = h->xsk;
  /* Acquire: descriptors up to producer are written before we read them. */
  uint32_t cons = *x->rx.consumer;
  uint32_t avail = __atomic_load_n(x->rx.producer, __ATOMIC_ACQUIRE) - cons;
  uint32_t n = avail < to.max ? avail : to.max;
  const struct xdp_desc *rd = x->rx.desc;
  uint64_t *fq = x->fill.desc;
  uint32_t fprod = *x->fill.producer;
  uint64_t pos = 0;
  uint32_t i = 0;
  for (; i < n; i++) {
    const struct xdp_desc *d = &rd[(cons + i) & x->rx.mask];
    int64_t at = d->len > to.frame_max ? -2 : vx_rx_place(&to, pos, d->len);
    if (at == -1) break; /* no room left in this batch: the frame stays for the next call */
    if (at < 0) {
      to.offs[i] = 0;
      to.lens[i] = 0;
      h->st.rx_truncated += 1;
    } else {
      memcpy(to.buf + at, x->umem + d->addr, d->len);
      to.offs[i] = (uint32_t)at;
      to.lens[i] = d->len;
      pos = (uint64_t)at + d->len;
      h->st.rx_frames += 1;
      h->st.rx_bytes += d->len;
    }
    /* The frame is copied out: back to FILL at once. The kernel masks the
     * offset the frame started at back to the chunk (aligned mode). FILL
     * always has room: it, RX and the kernel share ring_size frames. */
    fq[fprod++ & x->fill.mask] = d->addr;
  }
  n = i;
  if (n) {
    __atomic_store_n(x->rx.consumer, cons + n, __ATOMIC_RELEASE);
    __atomic_store_n(x->fill.producer, fprod, __ATOMIC_RELEASE);
    /* Zero-copy drivers may sleep until told FILL has frames again. */
    if (x->zero_copy && (__atomic_load_n(x->fill.flags, __ATOMIC_ACQUIRE) & XDP_RING_NEED_WAKEUP))
      recvfrom(h->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
  }
  napi_value v;
  napi_create_uint32(env, n, &v);
  return v;
}

/* Take back the frames the kernel has finished sending. */
static void reap_completions(struct vx_xsk *x) {
  uint32_t cons = *x->comp.consumer;
  uint32_t n = __atomic_load_n(x->comp.producer, __ATOMIC_ACQUIRE) - cons;
  const uint64_t *cq = x->comp.desc;
  for (uint32_t i = 0; i < n; i++) x->tx_free[x->tx_nfree++] = cq[(cons + i) & x->comp.mask];
  if (n) __atomic_store_n(x->comp.consumer, cons + n, __ATOMIC_RELEASE);
}

/* In copy mode the kernel turns TX descriptors into skbs inside sendto(),
 * at most its budget (32 by default, XDP_MAX_TX_SKB_BUDGET) per call, with
 * EAGAIN when it stopped on the budget or a busy device: call again while
 * each call makes progress. What a busy device leaves on the ring goes out
 * with the next send(). Returns 0 or the errno that ended it. */
static int kick_tx(vx_handle *h, struct vx_xsk *x) {
  if (x->zero_copy) {
    /* The driver sends from the ring itself and needs a wakeup only when
     * it says so. */
    if (__atomic_load_n(x->tx.flags, __ATOMIC_ACQUIRE) & XDP_RING_NEED_WAKEUP)
      sendto(h->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
    return 0;
  }
  uint32_t prod = *x->tx.producer;
  for (;;) {
    uint32_t before = __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE);
    if (before == prod) return 0;
    int e = sendto(h->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 ? errno : 0;
    if (e == EINTR) continue;
    /* EBUSY: the device dropped one frame (NET_XMIT_DROP); its descriptor
     * is consumed and completed. */
    if (e == EBUSY) h->st.tx_errors += 1;
    if ((e == 0 || e == EAGAIN || e == EBUSY || e == ENOBUFS) &&
        __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE) != before)
      continue;
    return e;
  }
}

/* send(src, arena, sel, offsets, lengths, hdrOffsets, hdrLengths, vnet,
 * count) -> frames queued for the kernel, as AF_PACKET's (vx_tx_args; vnet
 * must be null: AF_XDP carries no offload state, so a frame must be
 * complete): frames that fit no UMEM frame count as txErrors (EMSGSIZE),
 * frames with no free UMEM frame or TX slot as txQueueFull. */
napi_value vx_xdp_send(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  vx_handle *h = vx_this(env, info, VX_XDP, &argc, argv, 1);
  if (!h) return NULL;
  if (argc < 9) return vx_throw_type(env, "send(src, arena, sel, offsets, lengths, hdrOffsets, hdrLengths, vnet, count)");
  vx_tx_args tx;
  if (vx_arg_tx(env, argv, 8, 1, h, &tx)) return NULL;
  struct vx_xsk *x = h->xsk;
  reap_completions(x);
  uint32_t prod = *x->tx.producer;
  uint32_t space = x->ring_size - (prod - __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE));
  struct xdp_desc *td = x->tx.desc;
  uint32_t i = 0, queued = 0;
  for (; i < tx.count; i++) {
    uint32_t hlen = tx.hlens ? tx.hlens[i] : 0;
    uint32_t len = hlen + tx.lens[i];
    if (len > x->frame_size) {
      h->st.tx_errors += 1;
      h->st.last_tx_errno = EMSGSIZE;
      continue;
    }
    if (x->tx_nfree == 0 || queued == space) break;
    uint64_t addr = x->tx_free[--x->tx_nfree];
    if (hlen) memcpy(x->umem + addr, tx.arena + tx.hoffs[i], hlen);
    memcpy(x->umem + addr + hlen, vx_tx_payload(&tx, i), tx.lens[i]);
    struct xdp_desc *d = &td[prod++ & x->tx.mask];
    d->addr = addr;
    d->len = len;
    d->options = 0;
    h->st.tx_bytes += len;
    queued++;
  }
  if (i < tx.count) h->st.tx_again += tx.count - i;
  if (queued) {
    __atomic_store_n(x->tx.producer, prod, __ATOMIC_RELEASE);
    int e = kick_tx(h, x);
    if (e && e != EAGAIN) h->st.last_tx_errno = e;
  }
  h->st.tx_frames += queued;
  napi_value v;
  napi_create_uint32(env, queued, &v);
  return v;
}

/* stats(): the common counters plus the socket's XDP_STATISTICS. */
napi_value vx_xdp_stats(napi_env env, napi_callback_info info) {
  vx_handle *h = vx_this(env, info, VX_XDP, NULL, NULL, 0);
  if (!h) return NULL;
  struct xdp_statistics s;
  memset(&s, 0, sizeof s);
  socklen_t l = sizeof s;
  if (h->fd >= 0) getsockopt(h->fd, SOL_XDP, XDP_STATISTICS, &s, &l);
  napi_value o = vx_stats_object(env, h);
  vx_set_num(env, o, "kernelDrops", (double)s.rx_dropped);
  vx_set_num(env, o, "rxRingFull", (double)s.rx_ring_full);
  vx_set_num(env, o, "fillRingEmpty", (double)s.rx_fill_ring_empty_descs);
  vx_set_num(env, o, "rxInvalid", (double)s.rx_invalid_descs);
  vx_set_num(env, o, "txInvalid", (double)s.tx_invalid_descs);
  return o;
}

#else /* !VX_HAVE_XDP */

void vx_xdp_release(vx_handle *h) { (void)h; }

static napi_value not_built(napi_env env) {
  return vx_throw_errno(env, "AF_XDP", "(built without linux/if_xdp.h 5.10+ headers)", ENOSYS);
}
napi_value vx_open_xdp(napi_env env, napi_callback_info info) { return not_built(env); }
napi_value vx_xdp_recv(napi_env env, napi_callback_info info) { return not_built(env); }
napi_value vx_xdp_send(napi_env env, napi_callback_info info) { return not_built(env); }
napi_value vx_xdp_stats(napi_env env, napi_callback_info info) { return not_built(env); }

#endif
