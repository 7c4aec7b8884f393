/*
 * vxio module: the handle classes, polling through libuv, errors, argument
 * checks and network namespace switching shared by packet.c, tap.c, udp.c,
 * netlink.c and xdp.c.
 */
#include "vxio.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct vx_module {
  napi_ref cls[VX_KIND_END]; /* indexed by enum vx_kind */
} vx_module;

/* ------------------------------------------------------------------ errors */

napi_value vx_make_errno_error(napi_env env, const char *op, const char *subject, int err) {
  char msg[320];
  /* libuv's UV_E* codes are -errno on Unix, so it names any errno for us. */
  const char *ename = uv_err_name(-err);
  snprintf(msg, sizeof msg, "%s %s: %s (%s)", op, subject, ename, strerror(err));
  napi_value m, code, e, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, ename, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, m, &e);
  /* Same shape as Node's own system errors: negative errno, syscall. */
  napi_create_int32(env, -err, &v);
  napi_set_named_property(env, e, "errno", v);
  napi_create_string_utf8(env, op, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "syscall", v);
  return e;
}

napi_value vx_throw_errno(napi_env env, const char *op, const char *subject, int err) {
  napi_throw(env, vx_make_errno_error(env, op, subject, err));
  return NULL;
}

napi_value vx_throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

napi_value vx_throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

/* --------------------------------------------------------------- arguments */

int vx_arg_u32(napi_env env, napi_value v, const char *what, uint32_t *out) {
  napi_valuetype t;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    snprintf(msg, sizeof msg, "%s must be a number", what);
    vx_throw_type(env, msg);
    return -1;
  }
  double d;
  napi_get_value_double(env, v, &d);
  if (!(d >= 0 && d <= 4294967295.0) || d != (double)(uint32_t)d) {
    snprintf(msg, sizeof msg, "%s must be an integer in 0..2^32-1", what);
    vx_throw_range(env, msg);
    return -1;
  }
  *out = (uint32_t)d;
  return 0;
}

int vx_arg_bytes(napi_env env, napi_value v, const char *what, uint8_t **data, size_t *len) {
  bool is_ta = false;
  char msg[128];
  napi_is_typedarray(env, v, &is_ta);
  if (is_ta) {
    napi_typedarray_type type;
    size_t n;
    void *p;
    napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL);
    if (type == napi_uint8_array) { /* Buffer is a Uint8Array */
      *data = p;
      *len = n;
      return 0;
    }
  }
  snprintf(msg, sizeof msg, "%s must be a Buffer or Uint8Array", what);
  vx_throw_type(env, msg);
  return -1;
}

int vx_arg_u32array(napi_env env, napi_value v, const char *what, uint32_t **data, size_t *len) {
  bool is_ta = false;
  char msg[128];
  napi_is_typedarray(env, v, &is_ta);
  if (is_ta) {
    napi_typedarray_type type;
    size_t n;
    void *p;
    napi_get_typedarray_info(env, v, &type, &n, &p, NULL, NULL);
    if (type == napi_uint32_array) {
      *data = p;
      *len = n;
      return 0;
    }
  }
  snprintf(msg, sizeof msg, "%s must be a Uint32Array", what);
  vx_throw_type(env, msg);
  return -1;
}

int vx_arg_string(napi_env env, napi_value v, const char *what, char *buf, size_t size) {
  napi_valuetype t;
  char msg[128];
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
    snprintf(msg, sizeof msg, "%s must be a string", what);
    vx_throw_type(env, msg);
    return -1;
  }
  size_t n = 0;
  napi_get_value_string_utf8(env, v, NULL, 0, &n);
  if (n == 0 || n >= size) {
    snprintf(msg, sizeof msg, "%s must be 1..%zu bytes long", what, size - 1);
    vx_throw_range(env, msg);
    return -1;
  }
  napi_get_value_string_utf8(env, v, buf, size, &n);
  return 0;
}

static int opt_get(napi_env env, napi_value obj, const char *key, napi_value *v) {
  napi_valuetype t;
  if (obj == NULL) return 0;
  if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object) return 0;
  bool has = false;
  napi_has_named_property(env, obj, key, &has);
  if (!has) return 0;
  napi_get_named_property(env, obj, key, v);
  napi_typeof(env, *v, &t);
  return t != napi_undefined;
}

int vx_opt_u32(napi_env env, napi_value obj, const char *key, uint32_t def, uint32_t *out) {
  napi_value v;
  if (!opt_get(env, obj, key, &v)) {
    *out = def;
    return 0;
  }
  return vx_arg_u32(env, v, key, out);
}

int vx_opt_bool(napi_env env, napi_value obj, const char *key, int def, int *out) {
  napi_value v;
  if (!opt_get(env, obj, key, &v)) {
    *out = def;
    return 0;
  }
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a boolean", key);
    vx_throw_type(env, msg);
    return -1;
  }
  *out = b;
  return 0;
}

int vx_opt_string(napi_env env, napi_value obj, const char *key, char *buf, size_t size) {
  napi_value v;
  buf[0] = 0;
  if (!opt_get(env, obj, key, &v)) return 0;
  return vx_arg_string(env, v, key, buf, size);
}

int vx_set_num(napi_env env, napi_value obj, const char *key, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return napi_set_named_property(env, obj, key, v) == napi_ok ? 0 : -1;
}

int vx_set_str(napi_env env, napi_value obj, const char *key, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return napi_set_named_property(env, obj, key, v) == napi_ok ? 0 : -1;
}

/* A typed array argument that may also be null or undefined (-> NULL). */
static int arg_opt_array(napi_env env, napi_value v, const char *what, napi_typedarray_type want,
                         void **data, size_t *len) {
  napi_valuetype t;
  *data = NULL;
  *len = 0;
  if (napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined)) return 0;
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (is_ta) {
    napi_typedarray_type type;
    napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL);
    if (type == want) return 0;
  }
  char msg[128];
  snprintf(msg, sizeof msg, "%s must be a %s or null", what,
           want == napi_uint8_array ? "Uint8Array" : "Uint32Array");
  vx_throw_type(env, msg);
  return -1;
}

int vx_arg_rx(napi_env env, napi_value *argv, const vx_handle *h, vx_rx_args *rx) {
  size_t offs_len, lens_len, vnet_len;
  void *vnet;
  if (vx_arg_bytes(env, argv[0], "buffer", &rx->buf, &rx->buflen) ||
      vx_arg_u32array(env, argv[1], "offsets", &rx->offs, &offs_len) ||
      vx_arg_u32array(env, argv[2], "lengths", &rx->lens, &lens_len) ||
      arg_opt_array(env, argv[3], "vnet", napi_uint8_array, &vnet, &vnet_len) ||
      vx_arg_u32(env, argv[4], "headroom", &rx->headroom) ||
      vx_arg_u32(env, argv[5], "frameMax", &rx->frame_max) ||
      vx_arg_u32(env, argv[6], "max", &rx->max))
    return -1;
  rx->vnet = vnet;
  if (h->vnet && !vnet) {
    vx_throw_type(env, "this handle has virtio-net headers: pass a vnet array");
    return -1;
  }
  if (rx->frame_max < 64 || rx->headroom > 4096) {
    vx_throw_range(env, "frameMax must be at least 64 and headroom at most 4096");
    return -1;
  }
  if (rx->max > offs_len || rx->max > lens_len || (h->vnet && rx->max > vnet_len / VX_VNET_LEN)) {
    vx_throw_range(env, "max is larger than the offsets, lengths or vnet array");
    return -1;
  }
  return 0;
}

int64_t vx_rx_place(const vx_rx_args *rx, uint64_t pos, uint32_t need) {
  /* 64-bit math: on armv7 size_t is 32 bits. */
  uint64_t at = (pos + VX_RX_ALIGN - 1) & ~(uint64_t)(VX_RX_ALIGN - 1);
  at += rx->headroom;
  if (at + need > rx->buflen || at > 0xffffffffu) return -1;
  return (int64_t)at;
}

static int check_part(napi_env env, const char *what, uint32_t i, uint32_t off, uint32_t len,
                      size_t buflen) {
  if ((uint64_t)off + len <= (uint64_t)buflen) return 0;
  char msg[160];
  snprintf(msg, sizeof msg, "frame %u: %s (offset %u, length %u) is outside its buffer", i, what,
           off, len);
  vx_throw_range(env, msg);
  return -1;
}

int vx_arg_tx(napi_env env, napi_value *argv, size_t count_at, int frame, const vx_handle *h,
              vx_tx_args *tx) {
  size_t src_len, arena_len, sel_len, offs_len, lens_len, hoffs_len = 0, hlens_len = 0,
                                                            vnet_len = 0;
  void *arena, *sel, *hoffs = NULL, *hlens = NULL, *vnet = NULL;
  memset(tx, 0, sizeof *tx);
  if (vx_arg_bytes(env, argv[0], "src", &tx->src, &src_len) ||
      arg_opt_array(env, argv[1], "arena", napi_uint8_array, &arena, &arena_len) ||
      arg_opt_array(env, argv[2], "sel", napi_uint8_array, &sel, &sel_len) ||
      vx_arg_u32array(env, argv[3], "offsets", &tx->offs, &offs_len) ||
      vx_arg_u32array(env, argv[4], "lengths", &tx->lens, &lens_len) ||
      vx_arg_u32(env, argv[count_at], "count", &tx->count))
    return -1;
  if (frame && (arg_opt_array(env, argv[5], "hdrOffsets", napi_uint32_array, &hoffs, &hoffs_len) ||
                arg_opt_array(env, argv[6], "hdrLengths", napi_uint32_array, &hlens, &hlens_len) ||
                arg_opt_array(env, argv[7], "vnet", napi_uint8_array, &vnet, &vnet_len)))
    return -1;
  tx->arena = arena;
  tx->sel = sel;
  tx->hoffs = hoffs;
  tx->hlens = hlens;
  tx->vnet = vnet;
  uint32_t n = tx->count;
  if (n > offs_len || n > lens_len || (sel && n > sel_len) ||
      (hlens && (!hoffs || n > hlens_len || n > hoffs_len))) {
    vx_throw_range(env, "count is larger than one of the per-frame arrays");
    return -1;
  }
  if (h->vnet && (!vnet || (uint64_t)n * VX_VNET_LEN > vnet_len)) {
    vx_throw_type(env, "this handle has virtio-net headers: pass count * 10 bytes of vnet");
    return -1;
  }
  for (uint32_t i = 0; i < n; i++) {
    size_t len = tx->sel && tx->sel[i] ? arena_len : src_len;
    if (check_part(env, "payload", i, tx->offs[i], tx->lens[i], len)) return -1;
    if (tx->hlens && tx->hlens[i] && check_part(env, "header", i, tx->hoffs[i], tx->hlens[i], arena_len))
      return -1;
  }
  return 0;
}

int vx_tx_iov(const vx_handle *h, const vx_tx_args *tx, uint32_t i, struct iovec *iov) {
  int k = 0;
  if (h->vnet) iov[k++] = (struct iovec){tx->vnet + (size_t)i * VX_VNET_LEN, VX_VNET_LEN};
  if (tx->hlens && tx->hlens[i]) iov[k++] = (struct iovec){tx->arena + tx->hoffs[i], tx->hlens[i]};
  iov[k++] = (struct iovec){vx_tx_payload(tx, i), tx->lens[i]};
  return k;
}



/* --------------------------------------------------------------- netns */

int vx_netns_enter(const char *ns, int *saved) {
  char path[256];
  *saved = -1;
  if (ns == NULL || ns[0] == 0) return 0;
  if (ns[0] == '/')
    snprintf(path, sizeof path, "%s", ns);
  else
    snprintf(path, sizeof path, "/run/netns/%s", ns);
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) return errno;
  /* setns() moves only the calling (JS) thread; the thread's own namespace is
   * remembered through /proc/thread-self, not /proc/self. */
  int old = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (old < 0) {
    int e = errno;
    close(target);
    return e;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int e = errno;
    close(target);
    close(old);
    return e;
  }
  close(target);
  *saved = old;
  return 0;
}

void vx_netns_leave(int saved) {
  if (saved < 0) return;
  if (setns(saved, CLONE_NEWNET) != 0) {
    /* Sockets opened later would land in the wrong namespace: not survivable. */
    napi_fatal_error("vxio", NAPI_AUTO_LENGTH, "cannot return to the original network namespace",
                     NAPI_AUTO_LENGTH);
  }
  close(saved);
}

/* --------------------------------------------------------------- handles */

vx_handle *vx_handle_new(int kind) {
  vx_handle *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->magic = VX_MAGIC;
  h->kind = kind;
  h->fd = -1;
  h->tx_fd = -1;
  return h;
}

int vx_alloc_batch(vx_handle *h, uint32_t batch, int with_ctrl, int with_addrs) {
  if (batch == 0) batch = VX_BATCH_DEFAULT;
  if (batch > VX_BATCH_MAX) batch = VX_BATCH_MAX;
  h->batch = batch;
  h->msgs = calloc(batch, sizeof *h->msgs);
  /* Up to VX_IOV_PER_MSG iovecs per message: virtio_net_hdr, header, payload. */
  h->iov = calloc((size_t)batch * VX_IOV_PER_MSG, sizeof *h->iov);
  if (with_ctrl) h->ctrl = calloc(batch, VX_CTRL_SIZE);
  if (with_addrs) {
    h->addrs = calloc(batch, sizeof *h->addrs);
    h->hdrs = calloc(batch, VX_HDR_SCRATCH);
  }
  if (!h->msgs || !h->iov || (with_ctrl && !h->ctrl) || (with_addrs && (!h->addrs || !h->hdrs)))
    return ENOMEM;
  return 0;
}


static void env_teardown(void *arg);

static void stop_polling(napi_env env, vx_handle *h) {
  if (h->hooked) {
    napi_remove_env_cleanup_hook(env, env_teardown, h);
    h->hooked = 0;
  }
  if (h->poll) {
    /* uv_close stops the watcher and removes the fd from epoll before we
     * close the fd; the uv_poll_t itself is freed in its close callback. */
    /* The close callback is libc's free itself, not a function of ours: when
     * a worker thread ends, Node unloads this addon before its loop runs
     * the close callbacks (a callback here would jump into unmapped code). */
    uv_close((uv_handle_t *)h->poll, (uv_close_cb)(void (*)(void))free);
    h->poll = NULL;
  }
  if (h->cb_ref) {
    napi_delete_reference(env, h->cb_ref);
    h->cb_ref = NULL;
  }
  if (h->actx) {
    napi_async_destroy(env, h->actx);
    h->actx = NULL;
  }
  if (h->self_ref) {
    napi_delete_reference(env, h->self_ref);
    h->self_ref = NULL;
  }
}

/* The environment is going away with a handle still polling (a worker
 * thread ending, docs/workers.md): stop polling while its loop still runs.
 * Left to the handle's finalizer, which runs later in the teardown, the
 * watcher would outlive its loop and crash the process. */
static void env_teardown(void *arg) {
  vx_handle *h = arg;
  h->hooked = 0;
  stop_polling(h->env, h);
}

static void close_fds(vx_handle *h) {
  if (h->kind == VX_PACKET) vx_packet_release(h);
  if (h->kind == VX_XDP) vx_xdp_release(h); /* detaches the XDP program */
  if (h->fd >= 0) close(h->fd);
  if (h->tx_fd >= 0) close(h->tx_fd);
  h->fd = -1;
  h->tx_fd = -1;
  free(h->msgs);
  free(h->iov);
  free(h->ctrl);
  free(h->addrs);
  free(h->hdrs);
  h->msgs = NULL;
  h->iov = NULL;
  h->ctrl = NULL;
  h->addrs = NULL;
  h->hdrs = NULL;
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  vx_handle *h = data;
  stop_polling(env, h);
  close_fds(h);
  h->magic = 0;
  free(h);
}

static napi_value constructor(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  napi_valuetype t = napi_undefined;
  if (argc == 1) napi_typeof(env, argv[0], &t);
  void *p = NULL;
  if (t == napi_external) napi_get_value_external(env, argv[0], &p);
  vx_handle *h = p;
  if (!h || h->magic != VX_MAGIC) return vx_throw_type(env, "vxio handles are made by openPacket/openTap/openUdp/openNetlink");
  if (napi_wrap(env, self, h, finalize_handle, NULL, NULL) != napi_ok) return NULL;
  return self;
}

napi_value vx_handle_wrap(napi_env env, vx_handle *h) {
  vx_module *m = NULL;
  napi_get_instance_data(env, (void **)&m);
  napi_value cls, ext, obj, v;
  napi_get_reference_value(env, m->cls[h->kind], &cls);
  napi_create_external(env, h, NULL, NULL, &ext);
  if (napi_new_instance(env, cls, 1, &ext, &obj) != napi_ok) {
    close_fds(h);
    free(h);
    return NULL;
  }
  h->env = env;
  napi_create_int32(env, h->fd, &v);
  napi_set_named_property(env, obj, "fd", v);
  napi_create_int32(env, h->ifindex, &v);
  napi_set_named_property(env, obj, "ifindex", v);
  vx_set_str(env, obj, "name", h->name);
  return obj;
}

vx_handle *vx_this(napi_env env, napi_callback_info info, int kind, size_t *argc,
                   napi_value *argv, int need_open) {
  napi_value self;
  size_t zero = 0;
  if (napi_get_cb_info(env, info, argc ? argc : &zero, argv, &self, NULL) != napi_ok) return NULL;
  vx_handle *h = NULL;
  if (napi_unwrap(env, self, (void **)&h) != napi_ok || !h || h->magic != VX_MAGIC ||
      (kind && h->kind != kind)) {
    vx_throw_type(env, "not a vxio handle of the right kind");
    return NULL;
  }
  if (need_open && h->fd < 0) {
    vx_throw_errno(env, "closed handle", h->name, EBADF);
    return NULL;
  }
  return h;
}

/* --------------------------------------------------------------- polling */

static void on_poll(uv_poll_t *p, int status, int events) {
  vx_handle *h = p->data;
  napi_env env = h->env;
  napi_handle_scope scope;
  napi_value cb, self, argv[1], result;
  size_t argc = 0;
  int restart = 0;
  if (!h->cb_ref) return;
  napi_open_handle_scope(env, &scope);
  if (status < 0) {
    /* libuv reports any POLLERR as EBADF and stops the watcher. A socket
     * error (ENETDOWN when the link went down, say) is read and cleared with
     * SO_ERROR and polling goes on; anything else (a TAP whose device was
     * deleted) leaves polling stopped. */
    int err = 0;
    socklen_t el = sizeof err;
    if (h->fd >= 0 && getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err != 0)
      restart = 1;
    else
      err = (h->kind == VX_TAP) ? ENODEV : -status;
    argv[0] = vx_make_errno_error(env, "poll", h->name, err);
    argc = 1;
  } else {
    napi_get_null(env, &argv[0]);
    argc = 1;
  }
  if (restart && h->poll) uv_poll_start(h->poll, UV_READABLE, on_poll);
  napi_get_reference_value(env, h->cb_ref, &cb);
  napi_get_reference_value(env, h->self_ref, &self);
  /* napi_make_callback runs the microtask queue afterwards and keeps
   * async_hooks context, as Node does for its own I/O callbacks. */
  napi_status s = napi_make_callback(env, h->actx, self, cb, argc, argv, &result);
  if (s == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
  napi_close_handle_scope(env, scope);
}

/* startPolling(callback): call callback(null) whenever the fd is readable
 * (level-triggered: again on the next loop turn while data is left). */
static napi_value m_start_polling(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  vx_handle *h = vx_this(env, info, 0, &argc, argv, 1);
  if (!h) return NULL;
  size_t one = 1; /* argc now holds the count JS passed, maybe more than argv holds */
  napi_get_cb_info(env, info, &one, argv, &self, NULL);
  napi_valuetype t = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t != napi_function) return vx_throw_type(env, "startPolling needs a callback function");
  if (h->cb_ref) napi_delete_reference(env, h->cb_ref);
  napi_create_reference(env, argv[0], 1, &h->cb_ref);
  if (!h->self_ref) napi_create_reference(env, self, 1, &h->self_ref);
  if (!h->actx) {
    napi_value name;
    napi_create_string_utf8(env, "vxio", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, self, name, &h->actx);
  }
  if (!h->poll) {
    uv_loop_t *loop = NULL;
    napi_get_uv_event_loop(env, &loop);
    h->poll = malloc(sizeof *h->poll);
    if (!h->poll) return vx_throw_errno(env, "poll", h->name, ENOMEM);
    int r = uv_poll_init(loop, h->poll, h->fd);
    if (r < 0) {
      free(h->poll);
      h->poll = NULL;
      return vx_throw_errno(env, "poll", h->name, -r);
    }
    h->poll->data = h;
  }
  if (!h->hooked && napi_add_env_cleanup_hook(env, env_teardown, h) == napi_ok) h->hooked = 1;
  int r = uv_poll_start(h->poll, UV_READABLE, on_poll);
  if (r < 0) return vx_throw_errno(env, "poll", h->name, -r);
  return NULL;
}

static napi_value m_stop_polling(napi_env env, napi_callback_info info) {
  vx_handle *h = vx_this(env, info, 0, NULL, NULL, 0);
  if (!h) return NULL;
  stop_polling(env, h);
  return NULL;
}

static napi_value m_close(napi_env env, napi_callback_info info) {
  vx_handle *h = vx_this(env, info, 0, NULL, NULL, 0);
  if (!h) return NULL;
  stop_polling(env, h);
  close_fds(h);
  return NULL;
}

static napi_value m_is_open(napi_env env, napi_callback_info info) {
  vx_handle *h = vx_this(env, info, 0, NULL, NULL, 0);
  if (!h) return NULL;
  napi_value v;
  napi_get_boolean(env, h->fd >= 0, &v);
  return v;
}

napi_value vx_stats_object(napi_env env, vx_handle *h) {
  napi_value o;
  napi_create_object(env, &o);
  vx_set_num(env, o, "rxFrames", h->st.rx_frames);
  vx_set_num(env, o, "rxBytes", h->st.rx_bytes);
  vx_set_num(env, o, "rxTruncated", h->st.rx_truncated);
  vx_set_num(env, o, "txFrames", h->st.tx_frames);
  vx_set_num(env, o, "txBytes", h->st.tx_bytes);
  vx_set_num(env, o, "txErrors", h->st.tx_errors);
  vx_set_num(env, o, "txQueueFull", h->st.tx_again);
  vx_set_str(env, o, "lastTxError", h->st.last_tx_errno ? uv_err_name(-h->st.last_tx_errno) : "");
  return o;
}

static napi_value m_stats(napi_env env, napi_callback_info info) {
  vx_handle *h = vx_this(env, info, 0, NULL, NULL, 0);
  if (!h) return NULL;
  return vx_stats_object(env, h);
}

uint32_t vx_sendmmsg_all(vx_handle *h, int fd, uint32_t n, int *stopped) {
  uint32_t i = 0, sent = 0;
  *stopped = 0;
  while (i < n) {
    int r = sendmmsg(fd, h->msgs + i, n - i, MSG_DONTWAIT);
    if (r > 0) {
      /* Bytes the caller gave (header and payload): without the virtio_net_hdr
       * and without the headers the UDP underlay adds. */
      for (int k = 0; k < r; k++) {
        struct msghdr *m = &h->msgs[i + k].msg_hdr;
        if (h->kind == VX_UDP) {
          h->st.tx_bytes += m->msg_iov[m->msg_iovlen - 1].iov_len;
          continue;
        }
        for (size_t j = h->vnet ? 1 : 0; j < m->msg_iovlen; j++) h->st.tx_bytes += m->msg_iov[j].iov_len;
      }
      i += (uint32_t)r;
      sent += (uint32_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      /* The device queue or socket buffer is full: like a NIC, drop the rest
       * and let the caller count it (it knows sent < count). */
      h->st.tx_again += n - i;
      *stopped = 1;
      break;
    }
    /* This one message failed on its own (too big for the MTU with DF, no
     * route, link down...): count it, skip it, send the rest. */
    h->st.tx_errors += 1;
    h->st.last_tx_errno = errno;
    i++;
  }
  h->st.tx_frames += sent;
  return sent;
}

/* --------------------------------------------------------------- module */

typedef struct {
  const char *name;
  napi_callback fn;
} method_def;

static int define_class(napi_env env, vx_module *m, int kind, const char *name,
                        const method_def *extra, size_t n_extra) {
  napi_property_descriptor props[16];
  size_t n = 0;
  const method_def common[] = {
      {"startPolling", m_start_polling},
      {"stopPolling", m_stop_polling},
      {"close", m_close},
      {"isOpen", m_is_open},
      {"stats", m_stats},
  };
  for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
    props[n++] = (napi_property_descriptor){common[i].name, NULL, common[i].fn, NULL, NULL,
                                            NULL, napi_default_method, NULL};
  for (size_t i = 0; i < n_extra; i++) {
    /* A kind may override a common method (AF_PACKET stats add the kernel's). */
    size_t j;
    for (j = 0; j < n; j++)
      if (strcmp(props[j].utf8name, extra[i].name) == 0) break;
    props[j] = (napi_property_descriptor){extra[i].name, NULL, extra[i].fn, NULL, NULL,
                                          NULL, napi_default_method, NULL};
    if (j == n) n++;
  }
  napi_value cls;
  if (napi_define_class(env, name, NAPI_AUTO_LENGTH, constructor, NULL, n, props, &cls) !=
      napi_ok)
    return -1;
  return napi_create_reference(env, cls, 1, &m->cls[kind]) == napi_ok ? 0 : -1;
}

static void free_module(napi_env env, void *data, void *hint) {
  vx_module *m = data;
  for (int i = 0; i < VX_KIND_END; i++)
    if (m->cls[i]) napi_delete_reference(env, m->cls[i]);
  free(m);
}

static napi_value init(napi_env env, napi_value exports) {
  vx_module *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  napi_set_instance_data(env, m, free_module, NULL);

  const method_def packet_methods[] = {
      {"recv", vx_packet_recv},
      {"send", vx_packet_send},
      {"stats", vx_packet_stats},
      {"setFilter", vx_packet_set_filter}};
  const method_def tap_methods[] = {{"recv", vx_tap_recv}, {"send", vx_tap_send}};
  const method_def xdp_methods[] = {
      {"recv", vx_xdp_recv}, {"send", vx_xdp_send}, {"stats", vx_xdp_stats}};
  const method_def udp_methods[] = {{"recv", vx_udp_recv},
                                    {"send", vx_udp_send},
                                    {"addMembership", vx_udp_add_membership},
                                    {"dropMembership", vx_udp_drop_membership}};
  const method_def netlink_methods[] = {{"recv", vx_netlink_recv}, {"send", vx_netlink_send}};
  if (define_class(env, m, VX_PACKET, "PacketHandle", packet_methods, 4) ||
      define_class(env, m, VX_TAP, "TapHandle", tap_methods, 2) ||
      define_class(env, m, VX_UDP, "UdpHandle", udp_methods, 4) ||
      define_class(env, m, VX_NETLINK, "NetlinkHandle", netlink_methods, 2) ||
      define_class(env, m, VX_XDP, "XdpHandle", xdp_methods, 3))
    return NULL;

  napi_property_descriptor fns[] = {
      {"openPacket", NULL, vx_open_packet, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openTap", NULL, vx_open_tap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openUdp", NULL, vx_open_udp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openNetlink", NULL, vx_open_netlink, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openXdp", NULL, vx_open_xdp, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  if (vx_tcp_register(env, exports) != napi_ok) return NULL;
  napi_value v;
  napi_create_uint32(env, VX_BATCH_MAX, &v);
  napi_set_named_property(env, exports, "batchMax", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
