/*
 * vxio: the native I/O of vxswitch's dataplane (DESIGN.md "Native I/O").
 *
 * This addon holds syscalls and no forwarding logic: AF_PACKET ports
 * (recvmmsg or a TPACKET_V3 ring), AF_XDP ports, TAP devices, the UDP
 * underlay and an rtnetlink socket, each a file descriptor that libuv polls.
 * Every receive lands in a JS-owned buffer: frame i at offsets[i] with
 * `headroom` free bytes before it, its length in lengths[i], and (on handles
 * opened with virtio-net headers) its 10-byte virtio_net_hdr at vnet[i*10].
 * Every send takes (offset, length) pairs into a JS-owned buffer, optionally
 * a header and a virtio_net_hdr per frame. Nothing is allocated per packet.
 *
 * Plain Linux syscalls and GCC builtins only: it builds on x86-64, arm64 and
 * armv7 (Raspberry Pi) alike.
 */
#ifndef VXIO_H
#define VXIO_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <node_api.h>
#include <uv.h>

#define VX_MAGIC 0x7678696fu /* "vxio" */
#define VX_NAME_MAX 64
/* Upper bound for one handle's mmsghdr array; a batch larger than this is
 * sent in chunks and received up to this many frames per call. */
#define VX_BATCH_MAX 4096
#define VX_BATCH_DEFAULT 256
/* Room for one PACKET_AUXDATA control message per received frame. */
#define VX_CTRL_SIZE 64
/* Per-message scratch for the outer headers the UDP underlay builds: IPv4
 * (20) + UDP (8) = 28, rounded up. */
#define VX_HDR_SCRATCH 32
/* struct virtio_net_hdr (legacy, no num_buffers): what PACKET_VNET_HDR and
 * IFF_VNET_HDR put before every frame, fields in host byte order. */
#define VX_VNET_LEN 10
/* iovecs per message: virtio_net_hdr, header, payload. */
#define VX_IOV_PER_MSG 3
/* Received frames start at offsets aligned to this. */
#define VX_RX_ALIGN 64

enum vx_kind { VX_PACKET = 1, VX_TAP = 2, VX_UDP = 3, VX_NETLINK = 4, VX_XDP = 5, VX_KIND_END };

struct vx_xsk; /* xdp.c: UMEM, rings and BPF objects of an AF_XDP port */

typedef struct vx_stats {
  double rx_frames, rx_bytes, rx_truncated;
  double tx_frames, tx_bytes, tx_errors, tx_again;
  int last_tx_errno;
  /* AF_PACKET PACKET_STATISTICS, accumulated (the kernel resets on read). */
  double k_packets, k_drops, k_freeze;
} vx_stats;

typedef struct vx_ring {
  uint8_t *map; /* the whole mapping: RX ring, then TX ring */
  size_t map_len;
  uint32_t block_size, block_nr, cur_block, pkts_left;
  uint8_t *next_pkt;
  /* TX ring (PACKET_TX_RING), when asked for: fixed frames after the RX ring. */
  uint8_t *tx;
  uint32_t tx_frame_size, tx_frame_nr, tx_cur;
} vx_ring;

typedef struct vx_handle {
  uint32_t magic;
  int kind;
  int fd;    /* the polled fd: AF_PACKET socket, TAP fd, or UDP receive socket */
  int tx_fd; /* UDP underlay: the raw socket that sends (see udp.c) */
  int family;
  int ifindex;
  char name[VX_NAME_MAX]; /* interface name, or "address:port" for UDP */

  /* AF_PACKET and TAP */
  int ring_mode;
  int reinsert_vlan;
  int vnet; /* frames carry a virtio_net_hdr (PACKET_VNET_HDR / IFF_VNET_HDR) */
  vx_ring ring;

  /* UDP underlay */
  uint8_t src_addr[16];
  uint16_t port;
  uint8_t ttl, mc_ttl, tos;
  int mc_ifindex;

  /* AF_XDP */
  struct vx_xsk *xsk;

  /* Preallocated per-batch arrays (recvmmsg / sendmmsg). */
  uint32_t batch;
  struct mmsghdr *msgs;
  struct iovec *iov;
  uint8_t *ctrl;
  struct sockaddr_storage *addrs;
  uint8_t *hdrs;

  vx_stats st;

  /* Polling. */
  napi_env env;
  uv_poll_t *poll;
  /* An env cleanup hook is registered while polling (vxio.c env_teardown). */
  int hooked;
  napi_ref cb_ref;
  napi_ref self_ref; /* strong while polling, so GC never closes a polled fd */
  napi_async_context actx;
} vx_handle;

/* ---- vxio.c: shared helpers ---- */

/* Throws Error("<op> <subject>: ENAME (strerror)") with code/errno/syscall. */
napi_value vx_throw_errno(napi_env env, const char *op, const char *subject, int err);
napi_value vx_make_errno_error(napi_env env, const char *op, const char *subject, int err);
napi_value vx_throw_type(napi_env env, const char *msg);
napi_value vx_throw_range(napi_env env, const char *msg);

vx_handle *vx_handle_new(int kind);
/* Wraps h in a new instance of the class for h->kind; frees h on failure. */
napi_value vx_handle_wrap(napi_env env, vx_handle *h);
/* this -> handle of the given kind (0 = any), throwing if closed or wrong. */
vx_handle *vx_this(napi_env env, napi_callback_info info, int kind, size_t *argc,
                   napi_value *argv, int need_open);
int vx_alloc_batch(vx_handle *h, uint32_t batch, int with_ctrl, int with_addrs);

/* Enter the network namespace named by ns ("NAME" under /run/netns, or an
 * absolute path) on the calling thread; *saved gets the old one (-1 when ns
 * is empty). Returns 0 or an errno. */
int vx_netns_enter(const char *ns, int *saved);
void vx_netns_leave(int saved);

/* Argument helpers: each returns 0 on success, or throws and returns -1. */
int vx_arg_u32(napi_env env, napi_value v, const char *what, uint32_t *out);
int vx_arg_bytes(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len);
int vx_arg_u32array(napi_env env, napi_value v, const char *what, uint32_t **data, size_t *len);
int vx_arg_string(napi_env env, napi_value v, const char *what, char *buf, size_t size);
/* Options object helpers: missing/undefined -> default. */
int vx_opt_u32(napi_env env, napi_value obj, const char *key, uint32_t def, uint32_t *out);
int vx_opt_bool(napi_env env, napi_value obj, const char *key, int def, int *out);
int vx_opt_string(napi_env env, napi_value obj, const char *key, char *buf, size_t size);

int vx_set_num(napi_env env, napi_value obj, const char *key, double v);
int vx_set_str(napi_env env, napi_value obj, const char *key, const char *s);
napi_value vx_stats_object(napi_env env, vx_handle *h);

/* Common send loop over h->msgs[0..n): skips a message that fails on its
 * own (EMSGSIZE, ENETUNREACH...) and stops on a full queue (EAGAIN/ENOBUFS).
 * Returns the number sent; *stopped = 1 when it stopped on a full queue. */
uint32_t vx_sendmmsg_all(vx_handle *h, int fd, uint32_t n, int *stopped);

/* ---- packet.c ---- */
napi_value vx_open_packet(napi_env env, napi_callback_info info);
napi_value vx_packet_recv(napi_env env, napi_callback_info info);
napi_value vx_packet_send(napi_env env, napi_callback_info info);
napi_value vx_packet_stats(napi_env env, napi_callback_info info);
napi_value vx_packet_set_filter(napi_env env, napi_callback_info info);
void vx_packet_release(vx_handle *h);

/* ---- tap.c ---- */
napi_value vx_open_tap(napi_env env, napi_callback_info info);
napi_value vx_tap_recv(napi_env env, napi_callback_info info);
napi_value vx_tap_send(napi_env env, napi_callback_info info);

/* ---- udp.c ---- */
napi_value vx_open_udp(napi_env env, napi_callback_info info);
napi_value vx_udp_recv(napi_env env, napi_callback_info info);
napi_value vx_udp_send(napi_env env, napi_callback_info info);
napi_value vx_udp_add_membership(napi_env env, napi_callback_info info);
napi_value vx_udp_drop_membership(napi_env env, napi_callback_info info);

/* ---- netlink.c ---- */
napi_value vx_open_netlink(napi_env env, napi_callback_info info);
napi_value vx_netlink_send(napi_env env, napi_callback_info info);
napi_value vx_netlink_recv(napi_env env, napi_callback_info info);

/* ---- xdp.c ---- */
napi_value vx_open_xdp(napi_env env, napi_callback_info info);
napi_value vx_xdp_recv(napi_env env, napi_callback_info info);
napi_value vx_xdp_send(napi_env env, napi_callback_info info);
napi_value vx_xdp_stats(napi_env env, napi_callback_info info);
void vx_xdp_release(vx_handle *h);

/* ---- tcp.c: TCP MD5 / GTSM for the BGP transport (src/control) ---- */
napi_status vx_tcp_register(napi_env env, napi_value exports);

/* receive(buffer, offsets, lengths, vnet, headroom, frameMax, max): where
 * frames land. Frame i goes at offsets[i] (chosen by the addon: packed,
 * VX_RX_ALIGN-aligned, headroom bytes free before each), lengths[i] bytes (0:
 * the slot holds no frame: too large, dropped and counted), its
 * virtio_net_hdr at vnet[i*10] when the handle has them. frameMax is the
 * largest frame the caller takes. */
typedef struct {
  uint8_t *buf;
  size_t buflen;
  uint32_t *offs, *lens;
  uint8_t *vnet;
  uint32_t headroom, frame_max, max;
} vx_rx_args;

/* Parse receive()'s 7 arguments from argv[0..6]; -1 with a JS exception
 * pending. max is clamped to what offsets/lengths (and vnet) can hold. */
int vx_arg_rx(napi_env env, napi_value *argv, const vx_handle *h, vx_rx_args *rx);
/* Offset of the next frame when `pos` bytes of the buffer are used and the
 * frame needs `need` bytes, or -1 when it does not fit any more. */
int64_t vx_rx_place(const vx_rx_args *rx, uint64_t pos, uint32_t need);

/* send(src, arena, sel, offsets, lengths, ...): the frames a send names.
 * Frame i's payload is lengths[i] bytes at offsets[i] of src, or of arena
 * when sel[i] is non-zero; frame handles may also put hdrLengths[i] bytes at
 * hdrOffsets[i] of arena before it (a VLAN-tagged Ethernet header, the outer
 * headers of a datagram) and the virtio_net_hdr at vnet[i*10] before that. */
typedef struct {
  uint8_t *src, *arena, *sel, *vnet;
  uint32_t *offs, *lens, *hoffs, *hlens;
  uint32_t count;
} vx_tx_args;

/* Read send()'s common arguments (src, arena, sel, offsets, lengths) from
 * argv[0..4] and count from argv[count_at]; with frame set, also hdrOffsets,
 * hdrLengths and vnet from argv[5..7] (each may be null). Every part must lie
 * inside its buffer. Returns -1 with a JS exception pending. */
int vx_arg_tx(napi_env env, napi_value *argv, size_t count_at, int frame, const vx_handle *h,
              vx_tx_args *tx);
static inline uint8_t *vx_tx_payload(const vx_tx_args *tx, uint32_t i) {
  return (tx->sel && tx->sel[i] ? tx->arena : tx->src) + tx->offs[i];
}
/* Fill iov with frame i's parts (virtio_net_hdr, header, payload); returns
 * how many iovecs were used. */
int vx_tx_iov(const vx_handle *h, const vx_tx_args *tx, uint32_t i, struct iovec *iov);

#endif
