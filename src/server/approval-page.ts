/**
 * The approval page that URL elicitation points to (a minimal one until the dashboard). It is
 * the same static page for every id: it holds no data, no secret and no pre-authorisation. The
 * person who opens it types the admin token, which stays in the page's memory and is sent only
 * to this daemon's /api, where the decision is made and audited like one from the CLI.
 */
import type { ServerResponse } from 'node:http';

const SCRIPT = `
const id = decodeURIComponent(location.pathname.split('/').pop());
const $ = (selector) => document.querySelector(selector);
let token = '';
async function api(method, path, body) {
  const response = await fetch('/api/approvals/' + encodeURIComponent(id) + path, {
    method,
    headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(payload.error ? payload.error.message : 'HTTP ' + response.status);
  return payload;
}
function show(approval) {
  $('#summary').textContent = approval.summary.join('\\n');
  $('#arguments').textContent = approval.arguments.join('\\n');
  $('#record').textContent = [
    'Agent: ' + approval.agent,
    'Tool: ' + approval.tool + (approval.operation ? ' (' + approval.service + ': ' + approval.operation + ', risk: ' + approval.risk + ')' : ''),
    'Expires: ' + approval.expiresAt,
    'Policy version: ' + approval.policyVersion,
    'Arguments hash: ' + approval.argsHash,
  ].join('\\n');
  $('#full').hidden = false;
  $('#status').textContent = 'Status: ' + approval.status + (approval.reason ? ' (' + approval.reason + ')' : '');
  $('#decide').hidden = approval.status !== 'pending';
}
$('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  token = $('#token').value.trim();
  $('#token').value = '';
  try {
    show(await api('GET', ''));
    $('#login').hidden = true;
    $('#error').textContent = '';
  } catch (error) {
    $('#error').textContent = error.message;
  }
});
for (const action of ['approve', 'deny']) {
  $('#' + action).addEventListener('click', async () => {
    try {
      show(await api('POST', '/' + action, { reason: $('#reason').value || undefined, by: 'page' }));
      $('#error').textContent = '';
    } catch (error) {
      $('#error').textContent = error.message;
    }
  });
}
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keygate: approve a call</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
pre { background: #f4f4f4; padding: 1rem; white-space: pre-wrap; }
#error { color: #b00020; }
button { margin-right: .5rem; }
</style>
</head>
<body>
<h1>Approve a call</h1>
<p>An agent asked keygate to make a call that needs a human's approval. Enter the admin token
(from <code>admin.token</code> in the keygate home) to see it and decide.</p>
<form id="login">
<label>Admin token <input id="token" type="password" autocomplete="off" required></label>
<button type="submit">Show the call</button>
</form>
<pre id="summary"></pre>
<section id="full" hidden>
<h2>Every argument, in full</h2>
<p>This is exactly what runs if you approve (sensitive values are shown as [REDACTED]).</p>
<pre id="arguments"></pre>
<pre id="record"></pre>
</section>
<p id="status"></p>
<div id="decide" hidden>
<label>Reason or note (optional) <input id="reason" maxlength="500"></label>
<p><button id="approve">Approve: run it once</button><button id="deny">Deny</button></p>
</div>
<p id="error" role="alert"></p>
<script src="/approvals/page.js"></script>
</body>
</html>
`;

const HEADERS = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** Serves the page (any id: it is the same page) or its script. */
export function sendApprovalPage(res: ServerResponse, pathname: string): void {
  if (pathname === '/approvals/page.js') {
    res.writeHead(200, { ...HEADERS, 'content-type': 'text/javascript; charset=utf-8' });
    res.end(SCRIPT);
    return;
  }
  res.writeHead(200, {
    ...HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy':
      "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  });
  res.end(PAGE);
}
