/** Injecting a credential: what it puts on the wire is what its scrubber finds, and the scrubber is made once. */
import { describe, expect, it } from 'vitest';
import { bearerCredential, type Credential, injectCredential } from '../../src/executor/index.js';
import type { OutgoingRequest } from '../../src/executor/outgoing-request.js';

const TOKEN = 'sk-CANARYinject000000000000000000000001';
const request = (url = 'https://api.example/v1/models'): OutgoingRequest => ({
  method: 'GET',
  url: new URL(url),
  headers: { accept: 'application/json' },
});

/** A credential sent as a query parameter, as a `query` secret is. */
const queryCredential: Credential = {
  label: 'query test',
  inject: (outgoing) => outgoing.url.searchParams.set('api_key', TOKEN),
  secretValues: () => [TOKEN],
};

describe('injectCredential', () => {
  it('scrubs the value and the envelope it put on the wire, header or query', () => {
    const header = request();
    const headerScrubber = injectCredential(bearerCredential('openai', TOKEN), header);
    expect(header.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(headerScrubber.scrub(`echo ${Buffer.from(`Bearer ${TOKEN}`).toString('base64')}`)).not.toContain(
      Buffer.from(`Bearer ${TOKEN}`).toString('base64'),
    );
    const query = request('https://api.example/v1/models?limit=2');
    const queryScrubber = injectCredential(queryCredential, query);
    expect(query.url.search).toBe(`?limit=2&api_key=${TOKEN}`);
    expect(queryScrubber.scrub(`saw api_key=${TOKEN}`)).toBe('saw api_key=[REDACTED]');
  });

  it('makes one scrubber per credential while it puts the same values on the wire', () => {
    const credential = bearerCredential('openai', TOKEN);
    const first = injectCredential(credential, request());
    expect(injectCredential(credential, request())).toBe(first);
    // Another credential with the same value is another object: its own scrubber, as good.
    const other = injectCredential(bearerCredential('openai', TOKEN), request());
    expect(other).not.toBe(first);
    expect(other.scrub(TOKEN)).toBe('[REDACTED]');
  });
});
