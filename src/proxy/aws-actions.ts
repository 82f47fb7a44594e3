/**
 * What an AWS request does beyond its method and path, for the policy of a proxy service keygate
 * signs for. Path globs cannot tell AWS's actions apart: the query protocol (STS, IAM, EC2, SQS,
 * SNS, Redshift) names its action in `?Action=` or a form body, the JSON protocol in
 * `X-Amz-Target`, all on `/`; and S3 reads the object a PUT copies from `X-Amz-Copy-Source`.
 *
 * Two things are refused whatever the routes say: an action that mints AWS credentials (the
 * answer would hand the agent working keys that keygate never sees, so cannot scrub, and that
 * reach AWS without it), and an S3 copy from an object the agent could not GET itself.
 */

/**
 * Actions whose answer carries new AWS credentials or tokens that act for the account: STS's
 * temporary keys, IAM's access keys, login profiles and service credentials, Cognito identity
 * pools' keys, SSO role credentials, ECR's and CodeArtifact's tokens, Redshift's database
 * credentials, and S3 Express's session keys (`CreateSession`).
 */
const CREDENTIAL_ACTIONS = new Set([
  'AssumeRole',
  'AssumeRoleWithSAML',
  'AssumeRoleWithWebIdentity',
  'AssumeRoot',
  'GetSessionToken',
  'GetFederationToken',
  'CreateAccessKey',
  'CreateLoginProfile',
  'UpdateLoginProfile',
  'CreateServiceSpecificCredential',
  'ResetServiceSpecificCredential',
  'GetCredentialsForIdentity',
  'GetOpenIdToken',
  'GetOpenIdTokenForDeveloperIdentity',
  'GetRoleCredentials',
  'GetAuthorizationToken',
  'GetClusterCredentials',
  'GetClusterCredentialsWithIAM',
  'CreateSession',
]);

/** One proxied request to an AWS service, as the agent sent it (checked path, raw query). */
export interface AwsRequest {
  /** The signing name, from the policy's `aws:` block (`s3`, `sts`, `dynamodb`, …). */
  readonly service: string;
  readonly method: string;
  readonly path: string;
  /** Without `?`. */
  readonly query: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Uint8Array;
}

function headerText(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value.join(',') : (value as string);
}

/** Form-decoded `name=value` pairs of a query or a form body. */
function formPairs(text: string): [string, string][] {
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part.replaceAll('+', ' '));
    } catch {
      return part;
    }
  };
  return text
    .split('&')
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const equals = pair.indexOf('=');
      return equals < 0
        ? [decode(pair), '']
        : [decode(pair.slice(0, equals)), decode(pair.slice(equals + 1))];
    });
}

/** Every action `request` names: `?Action=`, a form body's `Action=`, `X-Amz-Target`'s operation. */
function actionsOf(request: AwsRequest): string[] {
  const actions = formPairs(request.query)
    .filter(([name]) => name.toLowerCase() === 'action')
    .map(([, value]) => value);
  const type = headerText(request.headers['content-type']) ?? '';
  if (/^application\/x-www-form-urlencoded/i.test(type) && request.body.length > 0)
    for (const [name, value] of formPairs(Buffer.from(request.body).toString('utf8')))
      if (name.toLowerCase() === 'action') actions.push(value);
  const target = headerText(request.headers['x-amz-target']);
  if (target) actions.push(target.slice(target.lastIndexOf('.') + 1));
  // S3 Express's CreateSession is `GET /<bucket>?session`.
  if (request.service.startsWith('s3') && formPairs(request.query).some(([name]) => name === 'session'))
    actions.push('CreateSession');
  return actions.map((action) => action.trim());
}

/** The credential-minting action `request` names, if any (see CREDENTIAL_ACTIONS). */
export function awsCredentialAction(request: AwsRequest): string | undefined {
  return actionsOf(request).find((action) => CREDENTIAL_ACTIONS.has(action));
}

/**
 * The path (`/bucket/key`, as a route would write it) of the object an S3 request copies from
 * (`X-Amz-Copy-Source`: CopyObject, UploadPartCopy), or undefined when it copies nothing. A
 * source keygate cannot read as a path (an access point ARN, a malformed escape) is returned as
 * `invalid`.
 */
export function s3CopySource(request: AwsRequest): string | undefined {
  if (!request.service.startsWith('s3')) return undefined;
  const raw = headerText(request.headers['x-amz-copy-source']);
  if (raw === undefined) return undefined;
  const withoutVersion = raw.split('?')[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(withoutVersion);
  } catch {
    return 'invalid';
  }
  if (decoded.startsWith('arn:') || decoded.length === 0) return 'invalid';
  return decoded.startsWith('/') ? decoded : `/${decoded}`;
}
