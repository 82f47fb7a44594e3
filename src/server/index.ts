/** Public surface of the server: the daemon and its HTTP listener. */

export type { ReloadResult } from '../policy/index.js';
export { type Daemon, type DaemonOptions, startDaemon, VERSION } from './daemon.js';
