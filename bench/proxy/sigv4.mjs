#!/usr/bin/env node
// What AWS SigV4 re-signing adds to a proxied request, in process and bounded in count: the
// forwarder's credential step (`applyCredential`: the credential put on the request and the
// scrubber of what it put there) for a bearer secret, an aws-sigv4 secret with long-lived keys
// and one with a session token, on the same S3-style PUT; with, as baselines in the same run,
// the bare signer keygate uses (@smithy/signature-v4 on a ready request) and a peer signer
// (aws4). Samples are interleaved in rotating order after a warm-up. Needs `npm run build`.
import { performance } from 'node:perf_hooks';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import { applyCredential, bearerCredential } from '../../dist/executor/index.js';
import { secretKind } from '../../dist/vault/index.js';
import { quantiles } from '../stats.mjs';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);
const TARGET = { region: 'eu-west-1', service: 's3' };
const KEY_ID = 'AKIAKEYGATEBENCH0001';
const SECRET = 'bench/K7MDENG+bPxRfiCYEXAMPLEKEYbench0001';
const SESSION = `IQoJb3JpZ2luX2Vj${'x'.repeat(600)}`;
const BODY = Buffer.from('quarterly numbers: 42\n'.repeat(20));

const aws = secretKind('aws-sigv4');
const longLived = aws.credential(
  'bench',
  { 'access-key-id': KEY_ID },
  JSON.stringify({ secret_access_key: SECRET }),
);
const temporary = aws.credential(
  'bench',
  { 'access-key-id': KEY_ID },
  JSON.stringify({ secret_access_key: SECRET, session_token: SESSION }),
);
const bearer = bearerCredential('bench', 'sk-bench000000000000000000000000000000000001');

/** A fresh copy of the request the forwarder would send (the credential step changes it in place). */
const outgoing = () => ({
  method: 'PUT',
  url: new URL('https://s3.eu-west-1.amazonaws.com/team-reports/q4/summary%20(final).txt?x-id=PutObject'),
  headers: {
    'content-type': 'text/plain',
    'x-amz-meta-owner': 'ops',
    'user-agent': 'aws-sdk-js/3',
    'accept-encoding': 'identity',
  },
  body: BODY,
});

const smithy = new SignatureV4({
  credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
  region: TARGET.region,
  service: 's3',
  sha256: Sha256,
  uriEscapePath: false,
  applyChecksum: false,
});

const ways = {
  'bearer (inject)': async () => applyCredential(bearer, outgoing(), 'bench', undefined),
  'aws-sigv4, long-lived keys': async () => applyCredential(longLived, outgoing(), 'bench', TARGET),
  'aws-sigv4, session token': async () => applyCredential(temporary, outgoing(), 'bench', TARGET),
  'bare @smithy/signature-v4 sign': async () => {
    const request = outgoing();
    await smithy.sign({
      method: request.method,
      protocol: 'https:',
      hostname: request.url.hostname,
      path: request.url.pathname,
      query: { 'x-id': 'PutObject' },
      headers: { ...request.headers, host: request.url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      body: request.body,
    });
  },
  'aws4 sign (peer)': async () => {
    const request = outgoing();
    aws4.sign(
      {
        host: request.url.host,
        method: request.method,
        path: `${request.url.pathname}${request.url.search}`,
        service: 's3',
        region: TARGET.region,
        headers: { ...request.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        body: request.body,
      },
      { accessKeyId: KEY_ID, secretAccessKey: SECRET },
    );
  },
};

const names = Object.keys(ways);
const samples = Object.fromEntries(names.map((name) => [name, []]));
for (let i = 0; i < WARMUP + SAMPLES; i++) {
  // Rotating order: no way always runs first (or right after the same other one).
  for (let k = 0; k < names.length; k++) {
    const name = names[(i + k) % names.length];
    const start = performance.now();
    await ways[name]();
    const micros = (performance.now() - start) * 1000;
    if (i >= WARMUP) samples[name].push(micros);
  }
}

const bearerMedian = quantiles(samples['bearer (inject)']).median;
console.log(`node ${process.version}, ${SAMPLES} samples each after ${WARMUP} warm-up, microseconds`);
for (const name of names) {
  const q = quantiles(samples[name], 1);
  const ratio = (q.median / bearerMedian).toFixed(1);
  console.log(
    `${name.padEnd(32)} median ${String(q.median).padStart(7)}  p99 ${String(q.p99).padStart(7)}  (${ratio}× bearer)`,
  );
}
