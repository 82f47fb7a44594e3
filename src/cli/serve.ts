/** `keygate serve [--port N] [--host H] [--init]`: run the daemon until SIGTERM or SIGINT. */
import {
  currentEnvironment,
  DEFAULT_PORT,
  envValue,
  homePaths,
  keygateCommand,
  resolveHome,
} from '../config/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import { startDaemon } from '../server/index.js';
import { startTelemetry, type Telemetry } from '../telemetry/index.js';
import type { CommandOutput } from './output.js';
import { masterKeySources, requireInitializedHome, storeLocation } from './vault-session.js';

export interface ServeOptions {
  readonly home?: string;
  readonly port?: string;
  readonly host?: string;
  /** Initialise the home first when it has no vault (what `npm start` does). */
  readonly init?: boolean;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

export async function serveCommand(options: ServeOptions): Promise<CommandOutput> {
  const portText = options.port ?? envValue('KEYGATE_PORT');
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KeygateError('cli.usage', `--port must be 0-65535, got ${portText}`);
  }
  const host = options.host ?? envValue('KEYGATE_HOST') ?? '127.0.0.1';
  const log = (line: string) => process.stderr.write(`keygate: ${line}\n`);
  if (!LOOPBACK.includes(host)) {
    log(
      `listening on ${host}, beyond this machine: agents elsewhere can reach it; keep the admin token off them`,
    );
  }
  const home = resolveHome(options.home);
  if (options.init) {
    const { initCommand } = await import('./init.js');
    try {
      const created = await initCommand({ home });
      process.stderr.write(`${created.text}\n\n`);
    } catch (error) {
      if (!isKeygateError(error, 'vault.already_initialized')) throw error;
    }
  } else {
    await requireInitializedHome(homePaths(home));
  }
  const command = keygateCommand(home);
  // OpenTelemetry's SDK is loaded only when an OTLP endpoint is set; it reads its OTEL_* itself.
  const telemetry = await startTelemetry(currentEnvironment());
  if (telemetry.enabled) log('exporting OpenTelemetry spans and metrics over OTLP');
  // The command reads the environment; the daemon is given values.
  const daemon = await startDaemon({
    home,
    port,
    host,
    log,
    command,
    ...storeLocation(),
    ...masterKeySources(),
  }).catch(async (error: unknown) => {
    await stopTelemetry(telemetry, log);
    throw error;
  });
  log(
    `listening on ${daemon.url}${daemon.socket ? ` and ${daemon.socket}` : ''} (home ${homePaths(home).root})`,
  );
  log(
    `MCP endpoint ${daemon.url}/mcp; next: ${command('secret set github')}, ${command('agent add NAME')}, ${command('mcp-config --client claude-code --agent NAME')}`,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: finishing in-flight calls`);
      // The last calls' spans and metrics are exported before the process exits.
      void daemon
        .close()
        .then(() => stopTelemetry(telemetry, log))
        .then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void daemon.reloadPolicy());
  });
  log('stopped');
  return { exitCode: 0 };
}

/** Flushes and stops the SDK; an unreachable collector is reported, never a reason to fail the stop. */
async function stopTelemetry(telemetry: Telemetry, log: (line: string) => void): Promise<void> {
  if (!telemetry.enabled) return;
  await telemetry.shutdown().catch(() => log('could not flush OpenTelemetry data to the collector'));
}
