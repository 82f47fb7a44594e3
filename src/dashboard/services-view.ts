/** Services, their credentials' metadata (never a value) and the policy in force. */
import type { PolicyState } from '../policy/index.js';
import type { SecretMetadata } from '../vault/index.js';
import { type Html, html } from './html.js';
import { when } from './layout.js';

export interface ServiceRow {
  readonly name: string;
  /** `spec` (curated tools) or `proxy` (raw HTTP). */
  readonly mode: 'spec' | 'proxy';
  readonly credential: string | undefined;
  readonly baseUrl: string | undefined;
  /** The credential's metadata, when the vault holds it. */
  readonly secret: SecretMetadata | undefined;
}

export function servicesPage(services: ServiceRow[], secrets: SecretMetadata[], policy: PolicyState): Html {
  return html`<h1>Services and secrets</h1>
<h2>Policy</h2>
<p data-policy>Version <code>${policy.version}</code>, loaded ${when(policy.loadedAt)}.</p>
${
  policy.rejected
    ? html`<div class="card"><p class="bad" data-policy-rejected>The policy file was changed at ${when(policy.rejected.at)} and refused; the version above stays in force:</p><pre>${policy.rejected.problems.join('\n')}</pre></div>`
    : ''
}
<h2>Services</h2>
<table data-services><thead><tr><th>Service</th><th>Mode</th><th>Base URL</th><th>Credential</th><th>Kind</th><th>Fingerprint</th><th>Version</th><th>Set</th><th>Rotated</th><th>Last used</th></tr></thead><tbody>
${services.map(
  (s) =>
    html`<tr data-service="${s.name}"><td>${s.name}</td><td>${s.mode}</td><td>${s.baseUrl ?? 'the spec’s'}</td><td>${s.credential ?? '—'}${
      s.credential && !s.secret ? html` <span class="bad">(not in the vault)</span>` : ''
    }</td><td>${s.secret?.kind ?? ''}</td><td><code>${s.secret?.fingerprint ?? ''}</code></td><td>${s.secret?.version ?? ''}</td><td>${when(s.secret?.createdAt)}</td><td>${when(s.secret?.rotatedAt)}</td><td>${when(s.secret?.lastUsedAt)}</td></tr>`,
)}
</tbody></table>
<h2>Every secret in the vault</h2>
<p class="meta">Values are write-only: nothing here, in the API or in the CLI ever shows one.</p>
<table data-secrets><thead><tr><th>Name</th><th>Kind</th><th>Service</th><th>Fingerprint</th><th>Version</th><th>Set</th><th>Rotated</th><th>Last used</th></tr></thead><tbody>
${secrets.map(
  (s) =>
    html`<tr data-secret="${s.name}"><td>${s.name}</td><td>${s.kind}</td><td>${s.service ?? ''}</td><td><code>${s.fingerprint}</code></td><td>${s.version}</td><td>${when(s.createdAt)}</td><td>${when(s.rotatedAt)}</td><td>${when(s.lastUsedAt)}</td></tr>`,
)}
</tbody></table>`;
}
