# vxswitch's native I/O addon (src/dataplane/native): AF_PACKET, AF_XDP,
# TAP, the UDP underlay and rtnetlink for the dataplane. `npm install` builds it from
# source with node-gyp against Node's own headers; nothing is downloaded.
# Linux only (its syscalls are Linux's); elsewhere no target is built and
# vxswitch runs on the pure-JS fallback (src/dataplane/js-fallback-io.ts).
{
  "targets": [
    {
      "target_name": "vxio",
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "src/dataplane/native/vxio.c",
            "src/dataplane/native/packet.c",
            "src/dataplane/native/tap.c",
            "src/dataplane/native/udp.c",
            "src/dataplane/native/tcp.c",
            "src/dataplane/native/netlink.c",
            "src/dataplane/native/xdp.c"
          ],
          "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
          "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
        }, {
          "type": "none"
        }]
      ]
    }
  ]
}
