// Where the daemon's management API listens unless told otherwise. Its own
// module so the CLI's client commands can name it without loading the daemon.
import { existsSync } from 'node:fs';

export const DEFAULT_API_SOCKET = '/run/vxswitch.sock';
/** deploy/vxswitch.service's socket, in its RuntimeDirectory (the daemon runs unprivileged there). */
export const SERVICE_API_SOCKET = '/run/vxswitch/vxswitch.sock';

/** The socket a client uses without --api-socket: the default, else the service's when only that exists. */
export function clientApiSocket(): string {
  return !existsSync(DEFAULT_API_SOCKET) && existsSync(SERVICE_API_SOCKET) ? SERVICE_API_SOCKET : DEFAULT_API_SOCKET;
}
