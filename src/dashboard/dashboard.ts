/**
 * The dashboard the daemon serves at `/`: server-rendered pages over the same operations the CLI
 * and /api use, for a human signed in with a session cookie. Every route but the sign-in page
 * and its static files refuses anyone else: no cookie, an agent's token, an ended session, a
 * page of another origin (another port included); every change also needs the session's CSRF
 * token, and a decision or revocation the action key this browser got at sign-in (see
 * sessions.ts). (Host and Origin host names are checked before any route, for the whole daemon.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalAdmin } from '../admin/index.js';
import { type Approvals, approvalView } from '../approvals/index.js';
import type { AuditLog, AuditRecord } from '../audit/index.js';
import type { Catalog } from '../catalog/index.js';
import { isKeygateError, KeygateError } from '../errors/index.js';
import type { PolicyEngine, PolicyState, RateLimiter } from '../policy/index.js';
import { httpStatusOf } from '../server/http-errors.js';
import { readBody } from '../server/request-guard.js';
import type { Store } from '../store/index.js';
import type { Vault } from '../vault/index.js';
import { ACTIVITY_SPANS, type ActivitySpan, activityPage, readActivity } from './activity.js';
import { type AgentDetail, type AgentRow, agentPage, agentsPage } from './agents-view.js';
import { approvalCard, approvalsFragment, type ShownApproval } from './approvals-view.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from './assets.js';
import { AUDIT_DECISIONS, type AuditFilters, auditPage, auditRowPage, verifyPage } from './audit-view.js';
import { type Html, html } from './html.js';
import { DASHBOARD_HEADERS, page, redirect, sendHtml } from './layout.js';
import { loginPage, signedInPage } from './login-view.js';
import { type ServiceRow, servicesPage } from './services-view.js';
import {
  type DashboardSession,
  DashboardSessions,
  holdsActionKey,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  sameSecret,
} from './sessions.js';

export interface DashboardDeps {
  readonly store: Store;
  readonly admin: LocalAdmin;
  readonly approvals: Approvals;
  readonly audit: AuditLog;
  readonly catalog: Catalog;
  readonly vault: Vault;
  readonly rateLimiter: RateLimiter;
  readonly policy: () => PolicyEngine;
  readonly policyState: () => PolicyState;
}

/** Rows on one audit page. */
const AUDIT_PAGE = 50;
/** Decided approvals listed under the pending ones (the rest are in the audit). */
const DECIDED_SHOWN = 50;
/** Open live-update streams at once; past this a new one is refused (each holds a connection). */
const MAX_STREAMS = 32;
/** How often a live stream says it is alive, and checks its session still is. */
const STREAM_PING_MS = 15_000;
const STREAM_CHECK_MS = 5_000;
/** The most a form may send (a reason is at most 500 characters). */
const FORM_LIMIT = 16 * 1024;

/** Paths the dashboard answers (everything else is /mcp, /proxy, /api or /healthz). */
const ROUTES =
  /^\/(?:$|favicon\.ico$|login$|logout$|events$|assets\/|fragments\/|approvals\/|audit(?:\/|$)|agents(?:\/|$)|services$|activity$)/;

/** What a signed-in request carries. */
interface SignedInRequest {
  readonly session: DashboardSession;
  readonly cookie: string;
}

/**
 * Every session cookie the request carries, at most four: another port of this host can set a
 * cookie of the same name (on a narrower path, sent first), which must not hide the real one.
 */
function cookiesOf(req: IncomingMessage): string[] {
  const found: string[] = [];
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE && value.join('=')) found.push(value.join('='));
  }
  return found.slice(0, 4);
}

/** Where to go after signing in: a path of this dashboard, never another site (`//evil`). */
function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) && ROUTES.test(next.split('?')[0]!) ? next : '/';
}

/**
 * Why a request made by another origin's page is refused, if it is one. The gateway's Host and
 * Origin check compares host names only; here the port counts too, since another port of
 * 127.0.0.1 is another origin (and the same site, so SameSite does not stop it). A browser's
 * own navigation (a link followed, an address typed) may come from anywhere: it shows the page
 * to the person, to no script.
 */
function otherOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  const host = req.headers.host ?? '';
  if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`)
    return 'Origin is not this dashboard (another port is another origin)';
  const site = req.headers['sec-fetch-site'];
  const navigation =
    req.headers['sec-fetch-mode'] === 'navigate' && (req.method === 'GET' || req.method === 'HEAD');
  if (site !== undefined && site !== 'same-origin' && site !== 'none' && !navigation)
    return 'a page of another origin cannot ask the dashboard for this';
  return undefined;
}

const wantsHtml = (req: IncomingMessage) => /\btext\/html\b/i.test(req.headers.accept ?? '');

/** `YYYY-MM-DDTHH:MM` (a datetime-local field, read as UTC) as a Date; anything else is a mistake. */
function utcInstant(value: string | undefined, name: string): Date | undefined {
  if (!value) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? new Date(`${value}Z`) : undefined;
  if (!date || Number.isNaN(date.getTime()))
    throw new KeygateError('request.invalid', `${name} must be a date and time such as 2026-12-01T09:30`);
  return date;
}

export class Dashboard {
  readonly sessions: DashboardSessions;
  private readonly streams = new Set<ServerResponse>();
  private verifying: ReturnType<LocalAdmin['verifyAudit']> | undefined;

  constructor(private readonly deps: DashboardDeps) {
    this.sessions = new DashboardSessions(deps.store);
  }

  /** Whether `pathname` is one of the dashboard's. */
  static handles(pathname: string): boolean {
    return ROUTES.test(pathname);
  }

  /** Answers one dashboard request (Host and Origin already checked). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const refused = otherOrigin(req);
    if (refused) throw new KeygateError('forbidden', refused);
    const reads = method === 'GET' || method === 'HEAD';
    if (reads && path === '/assets/dashboard.js')
      return this.sendAsset(res, 'text/javascript; charset=utf-8', DASHBOARD_JS);
    if (reads && path === '/assets/dashboard.css')
      return this.sendAsset(res, 'text/css; charset=utf-8', DASHBOARD_CSS);
    if (reads && path === '/favicon.ico') {
      res.writeHead(204, DASHBOARD_HEADERS).end();
      return;
    }
    if (path === '/login') {
      if (reads) return this.sendLogin(res, safeNext(url.searchParams.get('next')), 200);
      if (method === 'POST') return this.signIn(req, res);
    }
    const signedIn = await this.authenticate(req);
    if (!signedIn) return this.refuse(req, res, url);
    try {
      if (method === 'GET' || method === 'HEAD') return await this.show(req, res, url, signedIn);
      if (method !== 'POST') throw new KeygateError('not_found', `no dashboard route ${method} ${path}`);
      const form = await this.readForm(req);
      // A change needs the session's CSRF token: a page of another site can make the browser
      // send the cookie (were SameSite ever relaxed), never the token.
      const csrf = form.get('csrf') ?? (req.headers['x-csrf-token'] as string | undefined) ?? '';
      if (!sameSecret(csrf, signedIn.session.csrf))
        throw new KeygateError('forbidden', 'the form is missing this session’s CSRF token: reload the page');
      return await this.change(res, path, form, signedIn);
    } catch (error) {
      // A signed-in person's browser gets the reason as a page; scripts get the JSON error.
      if (!wantsHtml(req) || res.headersSent || !isKeygateError(error) || error.code === 'internal')
        throw error;
      return this.sendPage(
        res,
        'Not done',
        undefined,
        signedIn.session.csrf,
        html`<h1>Not done</h1><p class="error" role="alert" data-error="${error.code}">${error.message}</p><p><a href="/">Back to the dashboard</a></p>`,
        httpStatusOf(error),
      );
    }
  }

  /** Ends the live-update streams (the daemon is stopping: they would hold its drain). */
  close(): void {
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private sendAsset(res: ServerResponse, type: string, body: string): void {
    res.writeHead(200, { ...DASHBOARD_HEADERS, 'content-type': type, 'cache-control': 'no-cache' });
    res.end(body);
  }

  private sendLogin(res: ServerResponse, next: string, status: number, problem?: string): void {
    sendHtml(res, status, page({ title: 'Sign in', body: loginPage(next, problem) }));
  }

  private async authenticate(req: IncomingMessage): Promise<SignedInRequest | undefined> {
    for (const cookie of cookiesOf(req)) {
      const session = await this.sessions.check(cookie);
      if (session) return { session, cookie };
    }
    return undefined;
  }

  /**
   * No session: a browser is sent to sign in; anything else gets a 401 (or a 403 for a bearer
   * token, which opens the API or /mcp but never a page meant for a human).
   */
  private refuse(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.headers.authorization)
      throw new KeygateError(
        'forbidden',
        'the dashboard is for people: tokens open /mcp and /api, never its pages (sign in at /login)',
      );
    if ((req.method === 'GET' || req.method === 'HEAD') && wantsHtml(req) && url.pathname !== '/events') {
      redirect(res, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
      return;
    }
    throw new KeygateError(
      'auth.unauthorized',
      'sign in to the dashboard first (/login, or keygate dashboard)',
      {
        details: { reason: 'missing' },
      },
    );
  }

  private async readForm(req: IncomingMessage): Promise<URLSearchParams> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded' && type !== '')
      throw new KeygateError(
        'request.invalid',
        'dashboard forms are sent as application/x-www-form-urlencoded',
      );
    return new URLSearchParams((await readBody(req, FORM_LIMIT)).toString('utf8'));
  }

  private async signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await this.readForm(req);
    const next = safeNext(form.get('next'));
    const code = form.get('code');
    const token = form.get('token');
    const signedIn = code
      ? await this.sessions.redeemLink(code)
      : token
        ? await this.sessions.signIn(token)
        : undefined;
    if (!signedIn)
      return this.sendLogin(
        res,
        next,
        401,
        code
          ? 'That sign-in link is used, expired or unknown: run keygate dashboard for a new one.'
          : 'That is not the admin token in force (admin.token in the keygate home).',
      );
    // Not a redirect: this answer is the one place the action key is given, and the script
    // keeps it in this origin's storage before going on to `next`.
    sendHtml(res, 200, page({ title: 'Signed in', body: signedInPage(next, signedIn.actionKey) }), {
      'set-cookie': `${SESSION_COOKIE}=${signedIn.cookie}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`,
    });
  }

  private async show(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    signedIn: SignedInRequest,
  ): Promise<void> {
    const { csrf } = signedIn.session;
    const path = url.pathname;
    const q = (name: string) => url.searchParams.get(name) || undefined;
    // A HEAD must not hold a live stream or walk the whole chain for nothing.
    if (req.method === 'HEAD' && (path === '/events' || path.startsWith('/audit/')))
      throw new KeygateError('not_found', `HEAD ${path} is not served: use GET`);
    if (path === '/events') return this.stream(req, res, signedIn);
    if (path === '/' || path === '/fragments/approvals') {
      const fragment = await this.approvalsFragment(csrf);
      if (path === '/fragments/approvals') return sendHtml(res, 200, fragment);
      return this.sendPage(
        res,
        'Approvals',
        '/',
        csrf,
        html`<h1>Approvals</h1><section data-live="/fragments/approvals">${fragment}</section>`,
      );
    }
    const approval = /^\/approvals\/([^/]+)$/.exec(path);
    if (approval) {
      const shown = await this.shownApproval(decodeURIComponent(approval[1]!));
      return this.sendPage(
        res,
        `Approval ${shown.view.id}`,
        '/',
        csrf,
        html`<h1>Approval ${shown.view.id}</h1>${approvalCard(shown, csrf)}`,
      );
    }
    if (path === '/audit') {
      const filters: AuditFilters = {
        agent: q('agent'),
        tool: q('tool'),
        decision: q('decision'),
        from: q('from'),
        to: q('to'),
      };
      if (filters.decision && !(AUDIT_DECISIONS as readonly string[]).includes(filters.decision))
        throw new KeygateError('request.invalid', `decision must be one of ${AUDIT_DECISIONS.join(', ')}`);
      const before = q('before');
      if (before !== undefined && !/^\d{1,15}$/.test(before))
        throw new KeygateError('request.invalid', 'before must be a row number');
      const rows = await this.deps.audit.page({
        ...this.auditQuery(filters),
        ...(before === undefined ? {} : { beforeSeq: Number(before) }),
        limit: AUDIT_PAGE,
      });
      return this.sendPage(
        res,
        'Audit',
        '/audit',
        csrf,
        auditPage(rows, filters, AUDIT_PAGE, before === undefined),
      );
    }
    if (path === '/audit/verify') {
      // One check at a time, shared by everyone who asks while it runs: a million rows take a while.
      this.verifying ??= this.deps.admin.verifyAudit().finally(() => {
        this.verifying = undefined;
      });
      return this.sendPage(res, 'Audit chain', '/audit', csrf, verifyPage(await this.verifying));
    }
    if (path === '/audit/export') return this.exportAudit(res, url);
    const row = /^\/audit\/(\d{1,15})$/.exec(path);
    if (row) {
      const record = await this.deps.audit.get(Number(row[1]));
      if (!record) throw new KeygateError('not_found', `no audit row ${row[1]}`);
      return this.sendPage(res, `Audit row ${record.seq}`, '/audit', csrf, auditRowPage(record));
    }
    if (path === '/agents')
      return this.sendPage(res, 'Agents', '/agents', csrf, agentsPage(await this.agentRows()));
    const agent = /^\/agents\/([^/]+)$/.exec(path);
    if (agent) {
      const detail = await this.agentDetail(decodeURIComponent(agent[1]!));
      return this.sendPage(res, `Agent ${detail.name}`, '/agents', csrf, agentPage(detail, csrf));
    }
    if (path === '/services') {
      const { services, secrets } = await this.services();
      return this.sendPage(
        res,
        'Services',
        '/services',
        csrf,
        servicesPage(services, secrets, this.deps.policyState()),
      );
    }
    if (path === '/activity') {
      const span = (q('span') ?? '24h') as ActivitySpan;
      if (!Object.hasOwn(ACTIVITY_SPANS, span))
        throw new KeygateError('request.invalid', 'span must be 24h or 7d');
      return this.sendPage(
        res,
        'Activity',
        '/activity',
        csrf,
        activityPage(await readActivity(this.deps.store, span)),
      );
    }
    throw new KeygateError('not_found', `no dashboard page ${path}`);
  }

  private async change(
    res: ServerResponse,
    path: string,
    form: URLSearchParams,
    signedIn: SignedInRequest,
  ): Promise<void> {
    if (path === '/logout') {
      await this.sessions.end(signedIn.cookie);
      return redirect(res, '/login', {
        'set-cookie': `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`,
      });
    }
    // Deciding and revoking also need the action key (see SignedIn): a cookie and a page's CSRF
    // token are within reach of any other local port the admin's browser visits.
    if (!holdsActionKey(signedIn.session, form.get('action_key')))
      throw new KeygateError(
        'forbidden',
        'this browser did not sign in here: sign out and sign in again in this browser to approve, deny or revoke',
      );
    const decide = /^\/approvals\/([^/]+)\/decide$/.exec(path);
    if (decide) {
      const id = decodeURIComponent(decide[1]!);
      const verdict = form.get('verdict');
      if (verdict !== 'approve' && verdict !== 'deny')
        throw new KeygateError('request.invalid', 'verdict must be approve or deny');
      const reason = form.get('reason')?.trim();
      await this.deps.admin.decideApproval({
        id,
        verdict: verdict === 'approve' ? 'approved' : 'denied',
        ...(reason ? { reason } : {}),
        by: 'dashboard',
      });
      return redirect(res, `/approvals/${encodeURIComponent(id)}`);
    }
    const revoke = /^\/agents\/([^/]+)\/revoke$/.exec(path);
    if (revoke) {
      const agent = decodeURIComponent(revoke[1]!);
      const target = form.get('target') ?? '';
      // A token id must be one of this agent's: the page revokes what it shows, nothing else.
      const summary = (await this.deps.admin.listAgents()).agents.find((a) => a.name === agent);
      if (!summary || (target !== agent && !summary.tokens.some((token) => token.id === target)))
        throw new KeygateError('request.invalid', `${target} is not ${agent} or one of its tokens`);
      await this.deps.admin.revoke(target);
      return redirect(res, `/agents/${encodeURIComponent(agent)}`);
    }
    throw new KeygateError('not_found', `no dashboard action ${path}`);
  }

  private sendPage(
    res: ServerResponse,
    title: string,
    section: Parameters<typeof page>[0]['section'],
    csrf: string,
    body: Html,
    status = 200,
  ): void {
    sendHtml(res, status, page({ title, section, csrf, body }));
  }

  private async shown(
    views: Awaited<ReturnType<LocalAdmin['listApprovals']>>['approvals'],
  ): Promise<ShownApproval[]> {
    const policy = this.deps.policy();
    return views.map((view) => {
      const tool = this.deps.catalog.find(view.tool);
      return { view, rule: tool ? policy.approvalRuleFor(view.agent, tool).rule : null };
    });
  }

  private async approvalsFragment(csrf: string): Promise<Html> {
    const catalog = this.deps.catalog;
    const book = this.deps.approvals.book;
    const pending = await this.shown(
      (await book.list({ status: 'pending' })).map((a) => approvalView(a, catalog.find(a.tool))),
    );
    const decided = await this.shown(
      (await book.list({ status: 'decided', newestFirst: true, limit: DECIDED_SHOWN })).map((a) =>
        approvalView(a, catalog.find(a.tool)),
      ),
    );
    return approvalsFragment(pending, decided, csrf);
  }

  private async shownApproval(id: string): Promise<ShownApproval> {
    const [shown] = await this.shown([await this.deps.admin.getApproval(id)]);
    return shown!;
  }

  private auditQuery(filters: AuditFilters) {
    const from = utcInstant(filters.from, 'from');
    const to = utcInstant(filters.to, 'to');
    return {
      ...(filters.agent ? { agent: filters.agent } : {}),
      ...(filters.tool ? { tool: filters.tool } : {}),
      ...(filters.decision ? { decision: filters.decision } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
    };
  }

  /** Every matching row as JSON lines, newest first, read a page at a time. */
  private async exportAudit(res: ServerResponse, url: URL): Promise<void> {
    const q = (name: string) => url.searchParams.get(name) || undefined;
    const query = this.auditQuery({
      agent: q('agent'),
      tool: q('tool'),
      decision: q('decision'),
      from: q('from'),
      to: q('to'),
    });
    let rows: AuditRecord[] = await this.deps.audit.page({ ...query, limit: 1000 });
    res.writeHead(200, {
      ...DASHBOARD_HEADERS,
      'content-type': 'application/x-ndjson; charset=utf-8',
      'content-disposition': 'attachment; filename="keygate-audit.jsonl"',
    });
    while (rows.length > 0) {
      const chunk = `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;
      // A client that leaves while the socket is full must not leave this waiting for ever.
      if (!res.write(chunk))
        await new Promise((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      if (res.destroyed) return;
      rows = await this.deps.audit.page({ ...query, beforeSeq: rows[rows.length - 1]!.seq, limit: 1000 });
    }
    res.end();
  }

  private async agentRows(): Promise<AgentRow[]> {
    const policy = this.deps.policy();
    const registered = (await this.deps.admin.listAgents()).agents;
    const names = new Set([...registered.map((a) => a.name), ...Object.keys(policy.policy.file.agents)]);
    const now = Date.now();
    return [...names].sort().map((name) => {
      const summary = registered.find((a) => a.name === name);
      const caller = { agent: name, tokenId: '', tools: null };
      const live = (summary?.tokens ?? []).filter(
        (t) => !t.revokedAt && (!t.expiresAt || Date.parse(t.expiresAt) > now),
      );
      const used = (summary?.tokens ?? [])
        .map((t) => t.lastUsedAt)
        .filter((t): t is string => t !== null)
        .sort();
      return {
        name,
        inPolicy: policy.listsAgent(name),
        registered: summary !== undefined,
        tools: policy.toolsFor(caller).length,
        discovery: policy.discoveryFor(caller),
        activeTokens: live.length,
        lastUsedAt: used[used.length - 1] ?? null,
      };
    });
  }

  private async agentDetail(name: string): Promise<AgentDetail> {
    const policy = this.deps.policy();
    const summary = (await this.deps.admin.listAgents()).agents.find((a) => a.name === name);
    if (!summary && !policy.listsAgent(name))
      throw new KeygateError('agent.not_found', `no agent named ${name}`);
    const caller = { agent: name, tokenId: '', tools: null };
    const rules = policy.agentPolicy(name);
    return {
      name,
      inPolicy: policy.listsAgent(name),
      discovery: policy.discoveryFor(caller),
      tools: policy
        .toolsFor(caller)
        .map((tool) => ({ name: tool.name, risk: tool.risk, approval: policy.approvalFor(name, tool) })),
      constraints: rules?.constraints ?? {},
      approvalOverrides: rules?.approval ?? {},
      rateLimits: await Promise.all(
        policy.rateLimitsOf(name).map(async (rule) => ({
          label: rule.label,
          calls: rule.calls,
          used: await this.deps.rateLimiter.usage(rule),
        })),
      ),
      budgets: (await this.deps.admin.listBudgets({ agent: name })).budgets,
      proxy: policy.proxyRoutesFor(name),
      tokens: summary?.tokens ?? [],
    };
  }

  private async services(): Promise<{ services: ServiceRow[]; secrets: Awaited<ReturnType<Vault['list']>> }> {
    const policy = this.deps.policy();
    const secrets = await this.deps.vault.list();
    const services = Object.entries(policy.policy.file.services).map(([name, entry]): ServiceRow => {
      const credential = policy.credentialFor(name);
      return {
        name,
        mode: 'spec' in entry ? 'spec' : 'proxy',
        credential,
        baseUrl: 'spec' in entry ? entry.base_url : entry.proxy.base_url,
        secret: secrets.find((s) => s.name === credential),
      };
    });
    return { services, secrets };
  }

  /**
   * Server-sent events: `approvals` whenever any approval changes (here or on another daemon),
   * `signed-out` when the session ends. The page fetches the list again on each.
   */
  private stream(req: IncomingMessage, res: ServerResponse, signedIn: SignedInRequest): void {
    if (this.streams.size >= MAX_STREAMS)
      throw new KeygateError('policy.rate_limited', `at most ${MAX_STREAMS} dashboards may be open at once`, {
        details: { retryAfterMs: STREAM_CHECK_MS },
      });
    res.writeHead(200, {
      ...DASHBOARD_HEADERS,
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
    });
    // Nothing is written once the stream ended (a write after end would be an unhandled error);
    // a session check still running is not started again.
    res.on('error', () => undefined);
    const send = (text: string) => {
      if (!res.writableEnded && !res.destroyed) res.write(text);
    };
    send('retry: 2000\n\n');
    this.streams.add(res);
    let checking = false;
    const unwatch = this.deps.approvals.watch(() => send('event: approvals\ndata: changed\n\n'));
    const ping = setInterval(() => send(': ping\n\n'), STREAM_PING_MS);
    const check = setInterval(() => {
      if (checking) return;
      checking = true;
      void this.sessions
        .check(signedIn.cookie)
        .then(
          (session) => {
            if (session || res.writableEnded) return;
            send('event: signed-out\ndata: ended\n\n');
            stop();
            res.end();
          },
          () => undefined,
        )
        .finally(() => {
          checking = false;
        });
    }, STREAM_CHECK_MS);
    const stop = () => {
      unwatch();
      clearInterval(ping);
      clearInterval(check);
      this.streams.delete(res);
    };
    req.once('close', stop);
    res.once('close', stop);
  }
}
