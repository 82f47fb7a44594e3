/**
 * What `GET /` answers until the dashboard is built: a short page saying what keygate is and
 * where to go instead, HTML for a browser and plain text for anything else. It holds no data.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const HEADERS = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const text = (version: string) => `keygate ${version}

keygate is an MCP server that lets AI agents call GitHub, Stripe, Notion and other APIs without
ever holding the keys: it executes each call itself with a credential from its encrypted vault,
under per-agent policy, with a human's approval for writes and payments, and audits every call.

The dashboard is not built yet. Meanwhile:
- agents connect to /mcp with their token (keygate mcp-config --client ... --agent NAME)
- /healthz tells whether this daemon is up
- approvals, audit, agents and secrets are in the CLI: keygate approvals, keygate audit tail,
  keygate agent list, keygate secret list (keygate --help lists every command)
- README.md in the keygate package explains the rest, and docs/ holds the architecture and
  the error codes
`;

const html = (version: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>keygate</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
code { background: #f4f4f4; padding: 0 .2rem; }
</style>
</head>
<body>
<h1>keygate <small>${version}</small></h1>
<p>keygate is an MCP server that lets AI agents call GitHub, Stripe, Notion and other APIs
without ever holding the keys: it executes each call itself with a credential from its encrypted
vault, under per-agent policy, with a human's approval for writes and payments, and audits every
call.</p>
<p><strong>The dashboard is not built yet.</strong> Meanwhile:</p>
<ul>
<li>agents connect to <code>/mcp</code> with their token
(<code>keygate mcp-config --client … --agent NAME</code> prints a client's config);</li>
<li><a href="/healthz"><code>/healthz</code></a> tells whether this daemon is up;</li>
<li>approvals, audit, agents and secrets are in the CLI: <code>keygate approvals</code>,
<code>keygate audit tail</code>, <code>keygate agent list</code>, <code>keygate secret list</code>
(<code>keygate --help</code> lists every command);</li>
<li><code>README.md</code> in the keygate package explains the rest, and <code>docs/</code> holds
the architecture and the error codes.</li>
</ul>
</body>
</html>
`;

/** Answers `GET /`: HTML when the client asks for it (a browser), plain text otherwise. */
export function sendHomePage(req: IncomingMessage, res: ServerResponse, version: string): void {
  const wantsHtml = /\btext\/html\b/i.test(req.headers.accept ?? '');
  const body = wantsHtml ? html(version) : text(version);
  res.writeHead(200, {
    ...HEADERS,
    'content-type': wantsHtml ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
    vary: 'Accept',
    ...(wantsHtml
      ? {
          'content-security-policy':
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        }
      : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
