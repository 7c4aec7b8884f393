// Client of the daemon's management API (src/daemon/api-server.ts): one
// request, one JSON answer, over the unix socket.
import net from 'node:net';
import { CliError } from './cli-error.js';

export async function apiCall<T>(socketPath: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CliError(`no answer from the vxswitch daemon on ${socketPath} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ method, params })}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.end();
      const res = JSON.parse(buffered.slice(0, nl)) as { ok: boolean; result?: T; error?: string };
      if (res.ok) resolve(res.result as T);
      else reject(new CliError(`daemon: ${res.error ?? 'unknown error'}`));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'no vxswitch daemon is running' : e.message;
      reject(new CliError(`${why} (API socket ${socketPath}; start one with: vxswitch run -f CONFIG.toml)`));
    });
  });
}
