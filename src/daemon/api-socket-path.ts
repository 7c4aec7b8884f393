// Where the daemon's management API listens unless told otherwise. Its own
// module so the CLI's client commands can name it without loading the daemon.
export const DEFAULT_API_SOCKET = '/run/vxswitch.sock';
