/**
 * The checks a proxied request to a service keygate signs for AWS gets beyond its route: its
 * input, refused while the call is resolved (before policy, approval or audit, so no approval is
 * spent on a request that cannot be signed), and what it does, judged with policy.
 */
import { KeygateError } from '../errors/index.js';
import type { CallerIdentity, Decision, PolicyEngine } from '../policy/index.js';
import {
  type AwsRequest,
  awsCredentialAction,
  awsEncodedQuery,
  awsUriEncode,
  checkProxyPath,
  isSignedHeader,
  s3CopySource,
} from '../proxy/index.js';
import type { HttpCall, HttpCallRequest } from './call.js';

/**
 * Refuses (`request.invalid`) what cannot be signed as the agent sent it: a malformed escape in
 * the query, and a signed header (`content-type`, `x-amz-*`) with a character outside printable
 * ASCII, whose bytes on the wire (Latin-1) would differ from the UTF-8 the signature hashes.
 */
export function checkAwsInput(query: string, headers: HttpCallRequest['headers']): void {
  awsEncodedQuery(query);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !isSignedHeader(name.toLowerCase())) continue;
    const text = Array.isArray(value) ? value.join(',') : (value as string);
    if (/[^\t\x20-\x7e]/.test(text))
      throw new KeygateError(
        'request.invalid',
        `header ${name} has a character outside printable ASCII: AWS signs its bytes, so encode it first (S3 metadata: RFC 2047)`,
      );
  }
}

/**
 * Why `call`, which its routes allow, is refused on its AWS service, or undefined: an action
 * that mints credentials, or an S3 copy from an object the caller may not GET through this
 * service.
 */
export function awsRefusal(
  policy: PolicyEngine,
  caller: CallerIdentity,
  call: HttpCall,
): Decision | undefined {
  const aws = call.service.aws;
  if (!aws) return undefined;
  const request: AwsRequest = {
    service: aws.service,
    method: call.method,
    path: call.path,
    query: call.query,
    headers: call.headers,
    body: call.body,
  };
  const action = awsCredentialAction(request);
  if (action)
    return {
      allowed: false,
      reason: `${action} mints AWS credentials, which the agent would hold outside keygate: keygate never proxies it`,
    };
  const source = s3CopySource(request);
  if (source === undefined) return undefined;
  const readable =
    source === 'invalid' ? undefined : copySourceDecision(policy, caller, call.service.name, source);
  if (readable?.allowed) return undefined;
  return {
    allowed: false,
    reason:
      source === 'invalid'
        ? 'x-amz-copy-source is not a bucket and key keygate can check'
        : `x-amz-copy-source names ${source}, which ${caller.agent} may not GET through ${call.service.name}: a copy reads its source`,
  };
}

/** Whether `caller` may GET the copy source `path` (decoded) on `service`, as a route judges it. */
function copySourceDecision(
  policy: PolicyEngine,
  caller: CallerIdentity,
  service: string,
  path: string,
): Decision | undefined {
  try {
    const checked = checkProxyPath(path.split('/').map(awsUriEncode).join('/'));
    return policy.decideProxy(caller, service, 'GET', checked.path);
  } catch {
    return undefined;
  }
}
