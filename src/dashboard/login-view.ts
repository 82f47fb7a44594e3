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
