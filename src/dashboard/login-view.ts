/** The sign-in page: the admin token typed in, or a one-time link's code handed over by the script. */
import { type Html, html } from './html.js';

export function loginPage(next: string, problem?: string): Html {
  return html`<h1>Sign in</h1>
<p>The dashboard is for the people who run keygate. Sign in with the admin token (the file
<code>admin.token</code> in the keygate home), or run <code>keygate dashboard</code> for a one-time link.</p>
${problem ? html`<p class="error" role="alert" data-login-error>${problem}</p>` : ''}
<form method="post" action="/login" class="card">
<input type="hidden" name="next" value="${next}">
<label>Admin token <input type="password" name="token" autocomplete="off" required autofocus></label>
<button type="submit">Sign in</button>
</form>
<form id="link-login" method="post" action="/login" hidden>
<input type="hidden" name="next" value="${next}">
<input type="hidden" name="code" value="">
</form>`;
}

/**
 * The answer to a sign-in: the action key for the script to keep (in this origin's storage)
 * before it goes on to `next`. Without the script, reading works and changes are refused.
 */
export function signedInPage(next: string, actionKey: string): Html {
  return html`<h1>Signed in</h1>
<div id="signed-in" data-next="${next}" data-action-key="${actionKey}">
<p>Going on to <a href="${next}">${next}</a>…</p>
<p class="meta">Approving, denying and revoking need this page's script (it keeps a key for this browser).</p>
</div>`;
}
