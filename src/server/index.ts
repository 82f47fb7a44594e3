/** Public surface of the server: the gateway (every route, no listener) and the daemon that serves it. */

export { type Daemon, type DaemonOptions, startDaemon } from './daemon.js';
export { buildGateway, type Gateway, type GatewayOptions, type PolicySource, VERSION } from './gateway.js';
