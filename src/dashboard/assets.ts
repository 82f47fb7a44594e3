/**
 * The dashboard's only script and style sheet, served from the daemon (the page's policy allows
 * no inline script, no inline style and nothing from another origin). The pages work without
 * the script; it adds what plain HTML cannot: live approvals, countdowns, and a sign-in link's
 * code read from the URL's fragment (which never reaches a server log or a Referer).
 */

export const DASHBOARD_JS = `'use strict';
(() => {
  const $ = (selector, root = document) => root.querySelector(selector);

  // A sign-in link carries its code after '#': hand it to the form, then drop it from the address
  // bar. Opened on a sign-in page already showing, only the fragment changes: no new page loads.
  const signInWithLink = () => {
    const login = $('#link-login');
    const code = new URLSearchParams(location.hash.slice(1)).get('code');
    if (!login || !code) return;
    history.replaceState(null, '', location.pathname + location.search);
    $('input[name=code]', login).value = code;
    login.submit();
  };
  signInWithLink();
  window.addEventListener('hashchange', signInWithLink);

  // The sign-in answer: keep the action key in this origin's storage (another port's pages
  // cannot read it, unlike the cookie), then go on.
  const signedIn = $('#signed-in');
  if (signedIn) {
    localStorage.setItem('keygate-action-key', signedIn.dataset.actionKey);
    signedIn.dataset.actionKey = '';
    location.replace(signedIn.dataset.next);
  }

  // Decisions and revocations carry the action key; signing out forgets it.
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (form.matches('[data-needs-key]')) {
      let field = $('input[name=action_key]', form);
      if (!field) {
        field = document.createElement('input');
        field.type = 'hidden';
        field.name = 'action_key';
        form.append(field);
      }
      field.value = localStorage.getItem('keygate-action-key') || '';
    }
    if (form.matches('[action="/logout"]')) localStorage.removeItem('keygate-action-key');
  });

  // Time left on each pending approval, counted down where it is shown.
  const countdowns = () => {
    for (const element of document.querySelectorAll('[data-expires]')) {
      const left = Math.max(0, Math.round((Date.parse(element.dataset.expires) - Date.now()) / 1000));
      element.textContent = left === 0 ? 'expired' : Math.floor(left / 60) + ' min ' + (left % 60) + ' s left';
    }
  };
  countdowns();
  setInterval(countdowns, 1000);

  // Live approvals: the daemon says when any approval changes; the list is fetched again.
  const live = $('[data-live]');
  if (live && 'EventSource' in window) {
    let fetching = false;
    let again = false;
    const refresh = async () => {
      if (fetching) { again = true; return; }
      fetching = true;
      try {
        const response = await fetch(live.dataset.live, { credentials: 'same-origin', headers: { accept: 'text/html' } });
        if (response.redirected || !response.ok) { location.reload(); return; }
        live.innerHTML = await response.text();
        countdowns();
      } finally {
        fetching = false;
        if (again) { again = false; refresh(); }
      }
    };
    const events = new EventSource('/events');
    events.addEventListener('approvals', refresh);
    events.addEventListener('open', refresh);
    events.addEventListener('signed-out', () => location.reload());
  }
})();
`;

export const DASHBOARD_CSS = `
:root { --fg: #1d1d1f; --muted: #6b6b70; --line: #deded9; --bg: #fafaf7; --accent: #2457c5;
  --ok: #1e7a3c; --bad: #b3261e; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.5rem; border-bottom: 1px solid var(--line); background: #fff; }
header .brand { font-weight: 700; }
header nav a { margin-right: 1rem; color: var(--muted); text-decoration: none; }
header nav a[aria-current=page] { color: var(--fg); font-weight: 600; }
header form { margin-left: auto; }
main { max-width: 72rem; margin: 1.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
pre { background: #f1f1ec; padding: .75rem; white-space: pre-wrap; word-break: break-word; margin: .5rem 0; }
code { background: #f1f1ec; padding: 0 .2rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin-bottom: 1rem; }
.card h3 { margin: 0 0 .4rem; font-size: 1rem; }
.meta { color: var(--muted); }
.amount { font-size: 1.6rem; font-weight: 700; margin: .3rem 0; }
.notice { border-left: 4px solid var(--bad); padding: .3rem .6rem; font-weight: 700; }
.risk { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; font-weight: 600; background: #eee; }
.risk-payment, .risk-destructive { background: #fde2df; color: var(--bad); }
.risk-write { background: #fff1d6; color: var(--warn); }
.risk-read { background: #e1f3e6; color: var(--ok); }
.status-approved, .status-used, .ok { color: var(--ok); }
.status-denied, .status-expired, .status-cancelled, .bad { color: var(--bad); }
.actions { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin-top: .6rem; }
input, select, button { font: inherit; padding: .3rem .5rem; }
button { cursor: pointer; border: 1px solid var(--line); background: #fff; border-radius: 4px; }
button.approve { background: var(--ok); color: #fff; border-color: var(--ok); }
button.deny, button.revoke { background: var(--bad); color: #fff; border-color: var(--bad); }
.filters { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
.filters label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); }
.pager { display: flex; gap: 1rem; margin: .8rem 0; }
.error { color: var(--bad); }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .5rem; margin-bottom: 1rem; }
.legend span { margin-right: 1rem; }
.swatch-allowed { color: #2457c5; } .swatch-denied { color: #b3261e; } .swatch-approved { color: #1e7a3c; }
`;
