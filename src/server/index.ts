/** Public surface of the server: the daemon and its HTTP listener. */
export { type Daemon, type DaemonOptions, startDaemon, VERSION } from './daemon.js';
export type { ReloadResult } from './policy-holder.js';
