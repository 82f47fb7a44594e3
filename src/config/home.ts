/** The files of a keygate home folder. */
import { join } from 'node:path';

export interface HomePaths {
  readonly root: string;
  /** The policy file. */
  readonly policy: string;
  /** Embedded PGlite data. */
  readonly data: string;
  /** The master key (0600), unless it comes from the environment or a passphrase. */
  readonly masterKey: string;
  /** A new master key written before a rotation commits; promoted after. */
  readonly masterKeyNext: string;
  /** The admin token, shown once at init (0600). */
  readonly adminToken: string;
  /** URL, pid and local socket of the running daemon. */
  readonly daemon: string;
  /** The daemon's local socket (0600) that `keygate stdio` relays to. */
  readonly socket: string;
}

/** The port the daemon listens on when none is configured. */
export const DEFAULT_PORT = 7787;

export function homePaths(root: string): HomePaths {
  return {
    root,
    policy: join(root, 'keygate.yaml'),
    data: join(root, 'data'),
    masterKey: join(root, 'master.key'),
    masterKeyNext: join(root, 'master.key.next'),
    adminToken: join(root, 'admin.token'),
    daemon: join(root, 'daemon.json'),
    socket: join(root, 'daemon.sock'),
  };
}
