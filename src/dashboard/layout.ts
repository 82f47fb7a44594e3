/** The frame every dashboard page shares, and the headers every dashboard answer carries. */
import type { ServerResponse } from 'node:http';
import { type Html, html } from './html.js';

/**
 * No inline script or style, nothing from another origin, no framing, forms only to this
 * daemon: what an escaped value could never have done anyway, a policy forbids twice.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const DASHBOARD_HEADERS = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  // Not `no-referrer`: under it a browser sends `Origin: null` with the dashboard's own forms,
  // which the Origin check must refuse. Links to other sites still carry no Referer.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'content-security-policy': DASHBOARD_CSP,
};

const SECTIONS = [
  ['/', 'Approvals'],
  ['/audit', 'Audit'],
  ['/agents', 'Agents'],
  ['/services', 'Services'],
  ['/activity', 'Activity'],
] as const;

export interface PageFrame {
  readonly title: string;
  /** The section the page belongs to (highlighted in the navigation). */
  readonly section?: (typeof SECTIONS)[number][0];
  /** The signed-in session's CSRF token (for the sign-out form); absent on the sign-in page. */
  readonly csrf?: string;
  readonly body: Html;
}

export function page({ title, section, csrf, body }: PageFrame): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · keygate</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<header>
<span class="brand">keygate</span>
${
  csrf === undefined
    ? ''
    : html`<nav>${SECTIONS.map(
        ([href, label]) =>
          html`<a href="${href}"${section === href ? html` aria-current="page"` : ''}>${label}</a>`,
      )}</nav>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="${csrf}"><button type="submit">Sign out</button></form>`
}
</header>
<main>
${body}
</main>
</body>
</html>
`;
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  body: Html,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...DASHBOARD_HEADERS, 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(body.text);
}

/** A 303 to `location` (after a form's change, or to the sign-in page). */
export function redirect(
  res: ServerResponse,
  location: string,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(303, { ...DASHBOARD_HEADERS, location, ...headers });
  res.end();
}

/** An instant as people read it, in UTC (the daemon does not know the reader's zone). */
export function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '—';
}
