// `vxswitch run -f CONFIG.toml`: the daemon in the foreground. Logs are JSON
// lines on stdout; SIGTERM / SIGINT send Cease to every peer, remove TAPs and
// exit 0.
import type { Command } from 'commander';
import type { LogLevel } from '../daemon/logger.js';
import { CliError } from './cli-error.js';

interface RunOptions {
  /** One or more -f: a goplane user's gobgpd.conf and goplaned.conf are merged (docs/goplane-config.md). */
  file: string[];
  apiSocket?: string;
  logLevel?: LogLevel;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the VTEP (dataplane + BGP EVPN speaker) in the foreground')
    .requiredOption(
      '-f, --file <config>',
      'TOML config (gobgpd.conf / goplaned.conf key names); repeat to merge files, e.g. -f gobgpd.conf -f goplaned.conf',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--log-level <level>', 'debug, info, warn or error (default: the config\'s, else info)')
    .action(async (_opts: RunOptions, cmd: Command) => {
      const opts = cmd.optsWithGlobals<RunOptions>();
      await run(opts);
    });
}

async function run(opts: RunOptions): Promise<void> {
  // Loaded here, not at the top: the client commands (neighbor, fdb, ...)
  // start fast because they never load the daemon.
  const { ApiServer, DEFAULT_API_SOCKET } = await import('../daemon/api-server.js');
  const { ConfigError, loadConfig } = await import('../daemon/config-file.js');
  const { createLogger } = await import('../daemon/logger.js');
  const { Vtep } = await import('../daemon/vtep.js');
  const { reload } = await import('../daemon/reload.js');
  let config;
  try {
    config = await loadConfig(opts.file);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`bad config, not started:\n${e.problems.join('\n')}`);
    throw e;
  }
  if (opts.logLevel !== undefined && !['debug', 'info', 'warn', 'error'].includes(opts.logLevel)) {
    throw new CliError(`--log-level ${opts.logLevel}: expected debug, info, warn or error`);
  }
  const log = createLogger(opts.logLevel ?? config.logLevel);
  let vtep: import('../daemon/vtep.js').Vtep;
  try {
    vtep = await Vtep.start(config, log);
  } catch (e) {
    throw new CliError(`not started: ${(e as Error).message}`);
  }
  const apiOptions: import('../daemon/api-server.js').ApiServerOptions = {};
  if (config.apiSocketGroup !== undefined) apiOptions.group = config.apiSocketGroup;
  if (config.apiClientBuffer !== undefined) apiOptions.clientBuffer = config.apiClientBuffer;
  const api = new ApiServer(vtep, opts.apiSocket ?? config.apiSocket ?? DEFAULT_API_SOCKET, log, apiOptions);
  try {
    await api.listen();
  } catch (e) {
    await vtep.stop();
    throw new CliError((e as Error).message);
  }
  // Issue 9 item 17: say whether the daemon runs with only what it needs.
  const { NEEDED_CAPABILITIES, ownPrivileges } = await import('../daemon/capabilities.js');
  const privileges = ownPrivileges();
  if (privileges.extra.length > 0) {
    log.warn(
      { uid: privileges.uid, capabilities: privileges.effective },
      `running with capabilities vxswitch does not use: ${privileges.extra.join(', ')} (it needs ${NEEDED_CAPABILITIES.join(', ')}; deploy/vxswitch.service runs it as its own user with those only)`,
    );
  } else {
    log.info({ uid: privileges.uid, capabilities: privileges.effective }, 'running with only the capabilities vxswitch uses');
  }
  let metrics: import('../daemon/metrics.js').MetricsServer | null = null;
  if (config.metricsListen !== undefined) {
    const { MetricsServer } = await import('../daemon/metrics.js');
    const { parseListenAddress } = await import('../daemon/listen-address.js');
    // The config schema validated the address already.
    metrics = new MetricsServer(vtep, parseListenAddress(config.metricsListen)!, log);
    try {
      await metrics.listen();
    } catch (e) {
      await Promise.all([api.close(), vtep.stop()]);
      throw new CliError((e as Error).message);
    }
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      void Promise.all([api.close(), metrics?.close(), vtep.stop()]).then(() => resolve());
    };
    // SIGHUP: re-read the file(s) and apply the difference; reloads run one at a time.
    let reloading = Promise.resolve();
    const onHup = (): void => {
      reloading = reloading
        .then(async () => {
          if (!stopping) await reload(vtep, opts.file, log);
        })
        .catch((e: unknown) => log.error({ err: e }, 'reload failed'));
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
