/** Public surface of the dashboard: the pages the daemon serves at `/` and their sign-in. */
export { Dashboard, type DashboardDeps } from './dashboard.js';
export { DASHBOARD_HEADERS } from './layout.js';
export { DashboardSessions, LINK_TTL_MS, SESSION_COOKIE, SESSION_TTL_MS } from './sessions.js';
