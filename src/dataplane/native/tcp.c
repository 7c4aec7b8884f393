/*
 * TCP socket options Node cannot set, for the BGP transport
 * (src/control/tcp-security.ts): TCP MD5 signatures (RFC 2385, TCP_MD5SIG)
 * and GTSM (RFC 5082: send with TTL 255, drop anything that arrives with
 * less, IP_MINTTL / IPV6_MINHOPCOUNT).
 *
 * An MD5 or GTSM connection must be configured before its SYN leaves, and
 * Node creates and connects a socket in one step. So tcpConnect() makes the
 * socket here (options set, bound, non-blocking connect) and polls it for
 * writability on Node's own loop; the callback gets the connected fd, which
 * the caller wraps with `new net.Socket({ fd })`. The poll is closed before
 * the callback, so libuv lets the new handle own the fd.
 *
 *   tcpConnect({ remoteAddress, remotePort, localAddress?, localPort?,
 *                md5Key?: Buffer, ttl?, minTtl? }, callback(err, fd))
 *       -> { cancel() }        cancel(): close the socket, no callback
 *   tcpSetMd5(fd, peerAddress, key: Buffer)   empty key = remove
 *   tcpSetTtlSecurity(fd, ttl, minTtl)        0 = leave as is
 */
#include "vxio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TCP_MD5SIG
#define TCP_MD5SIG 14
#endif
#ifndef TCP_MD5SIG_MAXKEYLEN
#define TCP_MD5SIG_MAXKEYLEN 80
#endif
#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

/* The address `text` as a sockaddr for a socket of `sock_family`: an IPv4
 * address on an IPv6 socket becomes v4-mapped (the kernel then files an MD5
 * key under the IPv4 address, tcp_v6_parse_md5_keys). 0 or EINVAL. */
static int parse_addr(const char *text, int sock_family, uint16_t port, struct sockaddr_storage *ss,
                      socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, text, &a4) == 1) {
    if (sock_family == AF_INET6) {
      struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
      s->sin6_family = AF_INET6;
      s->sin6_port = htons(port);
      s->sin6_addr.s6_addr[10] = 0xff;
      s->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&s->sin6_addr.s6_addr[12], &a4, 4);
      *len = sizeof *s;
    } else {
      struct sockaddr_in *s = (struct sockaddr_in *)ss;
      s->sin_family = AF_INET;
      s->sin_port = htons(port);
      s->sin_addr = a4;
      *len = sizeof *s;
    }
    return 0;
  }
  if (inet_pton(AF_INET6, text, &a6) == 1 && sock_family == AF_INET6) {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    s->sin6_addr = a6;
    *len = sizeof *s;
    return 0;
  }
  return EINVAL;
}

static int socket_family(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
  return ss.ss_family;
}

/* RFC 2385 key for connections with `peer` on `fd`; keylen 0 removes it. */
static int set_md5(int fd, int family, const char *peer, const uint8_t *key, size_t keylen) {
  struct tcp_md5sig md5;
  socklen_t len;
  memset(&md5, 0, sizeof md5);
  if (keylen > TCP_MD5SIG_MAXKEYLEN) return EINVAL;
  int err = parse_addr(peer, family, 0, &md5.tcpm_addr, &len);
  if (err) return err;
  md5.tcpm_keylen = (uint16_t)keylen;
  if (keylen) memcpy(md5.tcpm_key, key, keylen);
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof md5) != 0) {
    /* Removing a key that is not there is not an error. */
    if (keylen == 0 && errno == ENOENT) return 0;
    return errno;
  }
  return 0;
}

/* RFC 5082: outgoing TTL / hop limit, and the minimum accepted. On an IPv6
 * socket the IPv4 options are set too, for v4-mapped peers. */
static int set_ttl(int fd, int family, uint32_t ttl, uint32_t min_ttl) {
  int v;
  if (family == AF_INET6) {
    if (ttl) {
      v = (int)ttl;
      if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v) != 0) return errno;
      (void)setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof v);
    }
    if (min_ttl) {
      v = (int)min_ttl;
      if (setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &v, sizeof v) != 0) return errno;
      (void)setsockopt(fd, IPPROTO_IP, IP_MINTTL, &v, sizeof v);
    }
    return 0;
  }
  if (ttl) {
    v = (int)ttl;
    if (setsockopt(fd, IPPROTO_IP, IP_TTL, &v, sizeof v) != 0) return errno;
  }
  if (min_ttl) {
    v = (int)min_ttl;
    if (setsockopt(fd, IPPROTO_IP, IP_MINTTL, &v, sizeof v) != 0) return errno;
  }
  return 0;
}

/* ------------------------------------------------------------ tcpConnect */

typedef struct tcp_connect {
  napi_env env;
  uv_poll_t *poll;
  int fd;
  int pending; /* polling; the callback has not run and cancel() was not called */
  napi_ref cb_ref;
  napi_ref self_ref; /* strong while pending, so GC never finalizes a live connect */
  napi_async_context actx;
  char name[96];
} tcp_connect;

static void free_poll(uv_handle_t *p) { free(p); }

/* Stop polling and drop the JS references; the fd is left to the caller. */
static void connect_finish(tcp_connect *c) {
  c->pending = 0;
  if (c->poll) {
    uv_close((uv_handle_t *)c->poll, free_poll);
    c->poll = NULL;
  }
  if (c->cb_ref) {
    napi_delete_reference(c->env, c->cb_ref);
    c->cb_ref = NULL;
  }
  if (c->self_ref) {
    napi_delete_reference(c->env, c->self_ref);
    c->self_ref = NULL;
  }
  if (c->actx) {
    napi_async_destroy(c->env, c->actx);
    c->actx = NULL;
  }
}

static void on_writable(uv_poll_t *p, int status, int events) {
  tcp_connect *c = p->data;
  napi_env env = c->env;
  if (!c->pending) return;
  int err = 0;
  socklen_t el = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) err = errno;
  if (!err && status < 0) err = -status;
  if (!err && !(events & UV_WRITABLE)) return; /* spurious: keep waiting */

  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, self, argv[2], result;
  napi_get_reference_value(env, c->cb_ref, &cb);
  napi_get_reference_value(env, c->self_ref, &self);
  napi_async_context actx = c->actx;
  c->actx = NULL; /* destroyed after the call */
  if (err) {
    close(c->fd);
    c->fd = -1;
    argv[0] = vx_make_errno_error(env, "connect", c->name, err);
    napi_get_undefined(env, &argv[1]);
  } else {
    napi_get_null(env, &argv[0]);
    napi_create_int32(env, c->fd, &argv[1]);
    c->fd = -1; /* now the caller's */
  }
  connect_finish(c);
  napi_status s = napi_make_callback(env, actx, self, cb, 2, argv, &result);
  napi_async_destroy(env, actx);
  if (s == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
  napi_close_handle_scope(env, scope);
}

static napi_value m_cancel(napi_env env, napi_callback_info info) {
  napi_value self;
  napi_get_cb_info(env, info, NULL, NULL, &self, NULL);
  tcp_connect *c = NULL;
  if (napi_unwrap(env, self, (void **)&c) != napi_ok || !c) return NULL;
  if (c->pending) {
    connect_finish(c);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
  }
  return NULL;
}

static void finalize_connect(napi_env env, void *data, void *hint) {
  tcp_connect *c = data;
  /* Not pending here (self_ref kept it alive until then), so only the fd of
   * a connect that never completed could be left. */
  if (c->fd >= 0) close(c->fd);
  free(c);
}

static napi_value vx_tcp_connect(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2] = {NULL, NULL}, self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  napi_valuetype t = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &t);
  if (t != napi_function) return vx_throw_type(env, "tcpConnect(options, callback): callback must be a function");
  napi_value o = argv[0];
  char remote[64], local[64];
  uint32_t rport, lport, ttl, min_ttl;
  if (vx_opt_string(env, o, "remoteAddress", remote, sizeof remote) ||
      vx_opt_u32(env, o, "remotePort", 179, &rport) ||
      vx_opt_string(env, o, "localAddress", local, sizeof local) ||
      vx_opt_u32(env, o, "localPort", 0, &lport) || vx_opt_u32(env, o, "ttl", 0, &ttl) ||
      vx_opt_u32(env, o, "minTtl", 0, &min_ttl))
    return NULL;
  if (!remote[0]) return vx_throw_type(env, "tcpConnect: remoteAddress is required");
  if (rport == 0 || rport > 65535 || lport > 65535 || ttl > 255 || min_ttl > 255)
    return vx_throw_range(env, "tcpConnect: port or TTL out of range");
  uint8_t *key = NULL;
  size_t keylen = 0;
  bool has_key = false;
  napi_has_named_property(env, o, "md5Key", &has_key);
  if (has_key) {
    napi_value k;
    napi_get_named_property(env, o, "md5Key", &k);
    napi_typeof(env, k, &t);
    if (t != napi_undefined && vx_arg_bytes(env, k, "md5Key", &key, &keylen)) return NULL;
    if (keylen > TCP_MD5SIG_MAXKEYLEN) return vx_throw_range(env, "md5Key is longer than 80 bytes");
  }

  char name[96];
  snprintf(name, sizeof name, "%s:%u", remote, rport);
  struct in6_addr probe;
  int family = inet_pton(AF_INET6, remote, &probe) == 1 ? AF_INET6 : AF_INET;
  struct sockaddr_storage ra, la;
  socklen_t rlen = 0, llen = 0;
  if (parse_addr(remote, family, (uint16_t)rport, &ra, &rlen))
    return vx_throw_errno(env, "connect", name, EINVAL);
  if (local[0] && parse_addr(local, family, (uint16_t)lport, &la, &llen))
    return vx_throw_errno(env, "bind", local, EINVAL);

  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return vx_throw_errno(env, "socket", name, errno);
  int err = 0;
  const char *op = "TCP_MD5SIG";
  if (keylen && (err = set_md5(fd, family, remote, key, keylen))) goto fail;
  op = "TTL security";
  if ((err = set_ttl(fd, family, ttl, min_ttl))) goto fail;
  op = "bind";
  if (local[0] || lport) {
    if (!local[0]) {
      memset(&la, 0, sizeof la);
      la.ss_family = (sa_family_t)family;
      if (family == AF_INET) {
        ((struct sockaddr_in *)&la)->sin_port = htons((uint16_t)lport);
        llen = sizeof(struct sockaddr_in);
      } else {
        ((struct sockaddr_in6 *)&la)->sin6_port = htons((uint16_t)lport);
        llen = sizeof(struct sockaddr_in6);
      }
    }
    if (bind(fd, (struct sockaddr *)&la, llen) != 0) {
      err = errno;
      goto fail;
    }
  }
  op = "connect";
  if (connect(fd, (struct sockaddr *)&ra, rlen) != 0 && errno != EINPROGRESS) {
    err = errno;
    goto fail;
  }

  tcp_connect *c = calloc(1, sizeof *c);
  uv_poll_t *poll = malloc(sizeof *poll);
  if (!c || !poll) {
    free(c);
    free(poll);
    err = ENOMEM;
    goto fail;
  }
  c->env = env;
  c->fd = fd;
  snprintf(c->name, sizeof c->name, "%s", name);
  uv_loop_t *loop = NULL;
  napi_get_uv_event_loop(env, &loop);
  int r = uv_poll_init(loop, poll, fd);
  if (r < 0) {
    free(c);
    free(poll);
    err = -r;
    goto fail;
  }
  poll->data = c;
  c->poll = poll;
  c->pending = 1;

  napi_value obj, cancel, res_name;
  napi_create_object(env, &obj);
  napi_wrap(env, obj, c, finalize_connect, NULL, NULL);
  napi_create_function(env, "cancel", NAPI_AUTO_LENGTH, m_cancel, NULL, &cancel);
  napi_set_named_property(env, obj, "cancel", cancel);
  napi_create_reference(env, argv[1], 1, &c->cb_ref);
  napi_create_reference(env, obj, 1, &c->self_ref);
  napi_create_string_utf8(env, "vxio.tcpConnect", NAPI_AUTO_LENGTH, &res_name);
  napi_async_init(env, obj, res_name, &c->actx);
  r = uv_poll_start(poll, UV_WRITABLE, on_writable);
  if (r < 0) {
    connect_finish(c);
    return vx_throw_errno(env, "poll", name, -r); /* fd closed by the finalizer */
  }
  return obj;

fail:
  close(fd);
  return vx_throw_errno(env, op, name, err);
}

/* ------------------------------------------------------------ options */

static int arg_fd(napi_env env, napi_value v, int *fd) {
  uint32_t u;
  if (vx_arg_u32(env, v, "fd", &u)) return -1;
  if (u > 0x7fffffff) {
    vx_throw_range(env, "fd out of range");
    return -1;
  }
  *fd = (int)u;
  return 0;
}

static napi_value vx_tcp_set_md5(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  char peer[64];
  uint8_t *key;
  size_t keylen;
  if (argc < 3 || arg_fd(env, argv[0], &fd) || vx_arg_string(env, argv[1], "peer address", peer, sizeof peer) ||
      vx_arg_bytes(env, argv[2], "key", &key, &keylen))
    return NULL;
  if (keylen > TCP_MD5SIG_MAXKEYLEN) return vx_throw_range(env, "key is longer than 80 bytes");
  int family = socket_family(fd);
  if (family < 0) return vx_throw_errno(env, "getsockname", peer, errno);
  int err = set_md5(fd, family, peer, key, keylen);
  if (err) return vx_throw_errno(env, "TCP_MD5SIG", peer, err);
  return NULL;
}

static napi_value vx_tcp_set_ttl_security(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd;
  uint32_t ttl, min_ttl;
  if (argc < 3 || arg_fd(env, argv[0], &fd) || vx_arg_u32(env, argv[1], "ttl", &ttl) ||
      vx_arg_u32(env, argv[2], "minTtl", &min_ttl))
    return NULL;
  if (ttl > 255 || min_ttl > 255) return vx_throw_range(env, "TTL out of range");
  int family = socket_family(fd);
  if (family < 0) return vx_throw_errno(env, "getsockname", "TTL security", errno);
  int err = set_ttl(fd, family, ttl, min_ttl);
  if (err) return vx_throw_errno(env, "setsockopt", "TTL security", err);
  return NULL;
}

napi_status vx_tcp_register(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
      {"tcpConnect", NULL, vx_tcp_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpSetMd5", NULL, vx_tcp_set_md5, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpSetTtlSecurity", NULL, vx_tcp_set_ttl_security, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
}
