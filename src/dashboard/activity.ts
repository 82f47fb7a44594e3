/**
 * Activity drawn from the audit rows: calls per hour by agent (allowed, denied, approved), and
 * per service the upstream latency and error rate, over the last 24 hours or 7 days. The store
 * aggregates (one grouped query each); the page draws plain SVG, served with it.
 */
import { sql } from 'kysely';
import type { Store } from '../store/index.js';
import { type Html, html } from './html.js';

export const ACTIVITY_SPANS = { '24h': 24, '7d': 168 } as const;
export type ActivitySpan = keyof typeof ACTIVITY_SPANS;

const HOUR = 3_600_000;

/** How each decision counts in "calls by agent". */
const CALL_OUTCOME: Record<string, 'allowed' | 'denied' | 'approved'> = {
  allowed: 'allowed',
  denied: 'denied',
  rate_limited: 'denied',
  approval_denied: 'denied',
  approval_refused: 'denied',
  approval_approved: 'approved',
};

interface AgentHour {
  readonly hour: number;
  readonly agent: string;
  readonly outcome: 'allowed' | 'denied' | 'approved';
  readonly calls: number;
}

interface ServiceHour {
  readonly hour: number;
  readonly service: string;
  readonly calls: number;
  readonly errors: number;
  readonly p50: number | null;
  readonly p95: number | null;
}

export interface Activity {
  readonly span: ActivitySpan;
  /** The first hour shown (ms since the epoch, on the hour). */
  readonly start: number;
  readonly hours: number;
  readonly agents: AgentHour[];
  readonly services: ServiceHour[];
}

/** A row's hour in UTC, in seconds since the epoch. */
const HOUR_OF = sql<string>`extract(epoch from date_trunc('hour', at at time zone 'UTC'))`;

/** The service a row's tool belongs to: `proxy:<service>` for proxied requests, else the tool's prefix. */
const SERVICE_OF = sql<string>`case when tool like 'proxy:%' then substr(tool, 7) else split_part(tool, '_', 1) end`;

export async function readActivity(store: Store, span: ActivitySpan, now = Date.now()): Promise<Activity> {
  const hours = ACTIVITY_SPANS[span];
  const start = Math.floor(now / HOUR) * HOUR - (hours - 1) * HOUR;
  const since = new Date(start);
  const decisions = Object.keys(CALL_OUTCOME);
  // Hours in UTC whatever the connection's time zone (a half-hour zone would shift the bars),
  // as seconds since the epoch.
  const byAgent = await sql<{ hour: string; agent: string | null; decision: string; calls: string }>`
    select ${HOUR_OF} as hour, agent, decision, count(*) as calls
    from audit_events
    where at >= ${since} and decision in (${sql.join(decisions)})
    group by 1, 2, 3`.execute(store.db);
  const byService = await sql<{
    hour: string;
    service: string;
    calls: string;
    errors: string;
    p50: number | null;
    p95: number | null;
  }>`
    select ${HOUR_OF} as hour, ${SERVICE_OF} as service, count(*) as calls,
      count(*) filter (where decision = 'failed' or upstream_status >= 500) as errors,
      percentile_cont(0.5) within group (order by latency_ms) as p50,
      percentile_cont(0.95) within group (order by latency_ms) as p95
    from audit_events
    where at >= ${since} and decision in ('completed', 'failed') and tool is not null
    group by 1, 2`.execute(store.db);
  return {
    span,
    start,
    hours,
    agents: byAgent.rows.map((row) => ({
      hour: Number(row.hour) * 1000,
      agent: row.agent ?? '(none)',
      outcome: CALL_OUTCOME[row.decision]!,
      calls: Number(row.calls),
    })),
    services: byService.rows.map((row) => ({
      hour: Number(row.hour) * 1000,
      service: row.service,
      calls: Number(row.calls),
      errors: Number(row.errors),
      p50: row.p50 === null ? null : Number(row.p50),
      p95: row.p95 === null ? null : Number(row.p95),
    })),
  };
}

const COLOURS = { allowed: '#2457c5', denied: '#b3261e', approved: '#1e7a3c', latency: '#6b4fbb' } as const;
const WIDTH = 720;
const HEIGHT = 120;
const LEFT = 40;

interface Bar {
  readonly hour: number;
  readonly parts: readonly { value: number; colour: string; label: string }[];
}

/** Stacked bars, one per hour, scaled to the tallest; each bar names its figures on hover. */
function barChart(title: string, bars: Bar[], activity: Activity, unit: string): Html {
  const max = Math.max(1, ...bars.map((bar) => bar.parts.reduce((sum, part) => sum + part.value, 0)));
  const slot = (WIDTH - LEFT) / activity.hours;
  const barWidth = Math.max(1, slot - 1);
  const rects = bars.flatMap((bar) => {
    const index = Math.round((bar.hour - activity.start) / HOUR);
    if (index < 0 || index >= activity.hours) return [];
    let y = HEIGHT;
    return bar.parts
      .filter((part) => part.value > 0)
      .map((part) => {
        const height = Math.max(1, (part.value / max) * (HEIGHT - 10));
        y -= height;
        const label = `${new Date(bar.hour).toISOString().slice(0, 13).replace('T', ' ')}:00 UTC: ${part.value} ${part.label}`;
        return html`<rect x="${(LEFT + index * slot).toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${height.toFixed(1)}" fill="${part.colour}"><title>${label}</title></rect>`;
      });
  });
  return html`<figure class="chart"><figcaption>${title}</figcaption>
<svg role="img" aria-label="${title}" viewBox="0 0 ${WIDTH} ${HEIGHT + 16}" width="100%" height="${HEIGHT + 16}">
<text x="0" y="12" font-size="10" fill="#6b6b70">${Math.round(max)} ${unit}</text>
<line x1="${LEFT}" y1="${HEIGHT}" x2="${WIDTH}" y2="${HEIGHT}" stroke="#deded9"/>
${rects}
<text x="${LEFT}" y="${HEIGHT + 13}" font-size="10" fill="#6b6b70">${new Date(activity.start).toISOString().slice(0, 13).replace('T', ' ')}:00 UTC</text>
<text x="${WIDTH}" y="${HEIGHT + 13}" font-size="10" fill="#6b6b70" text-anchor="end">now</text>
</svg></figure>`;
}

export function activityPage(activity: Activity): Html {
  const agents = [...new Set(activity.agents.map((row) => row.agent))].sort();
  const services = [...new Set(activity.services.map((row) => row.service))].sort();
  const agentCharts = agents.map((agent) => {
    const hours = new Map<number, Record<string, number>>();
    for (const row of activity.agents.filter((r) => r.agent === agent)) {
      const counts = hours.get(row.hour) ?? {};
      counts[row.outcome] = (counts[row.outcome] ?? 0) + row.calls;
      hours.set(row.hour, counts);
    }
    const total = activity.agents.filter((r) => r.agent === agent).reduce((sum, r) => sum + r.calls, 0);
    const bars = [...hours].map(([hour, counts]) => ({
      hour,
      parts: (['allowed', 'approved', 'denied'] as const).map((outcome) => ({
        value: counts[outcome] ?? 0,
        colour: COLOURS[outcome],
        label: outcome,
      })),
    }));
    return html`<section data-chart-agent="${agent}">${barChart(`${agent}: ${total} calls`, bars, activity, 'calls/h')}</section>`;
  });
  const serviceCharts = services.map((service) => {
    const rows = activity.services.filter((r) => r.service === service);
    const calls = rows.reduce((sum, r) => sum + r.calls, 0);
    const errors = rows.reduce((sum, r) => sum + r.errors, 0);
    const latency = rows.map((row) => ({
      hour: row.hour,
      parts: [
        {
          value: Math.round(row.p95 ?? 0),
          colour: COLOURS.latency,
          label: `ms p95 (p50 ${Math.round(row.p50 ?? 0)} ms)`,
        },
      ],
    }));
    const failures = rows.map((row) => ({
      hour: row.hour,
      parts: [
        {
          value: Math.round((row.errors / row.calls) * 100),
          colour: COLOURS.denied,
          label: `% errors (${row.errors} of ${row.calls})`,
        },
      ],
    }));
    return html`<section data-chart-service="${service}"><h3>${service}: ${calls} upstream calls, ${calls === 0 ? 0 : ((errors / calls) * 100).toFixed(1)}% errors</h3>
${barChart(`${service}: upstream latency, p95 per hour`, latency, activity, 'ms')}
${barChart(`${service}: error rate per hour`, failures, activity, '%')}</section>`;
  });
  return html`<h1>Activity</h1>
<p class="pager"><a href="/activity?span=24h"${activity.span === '24h' ? html` aria-current="page"` : ''}>Last 24 hours</a><a href="/activity?span=7d"${activity.span === '7d' ? html` aria-current="page"` : ''}>Last 7 days</a></p>
<h2>Calls per hour by agent</h2>
<p class="legend"><span class="swatch-allowed">■ allowed</span><span class="swatch-approved">■ approved by a human</span><span class="swatch-denied">■ denied</span></p>
${agentCharts.length === 0 ? html`<p class="meta">No calls in this span.</p>` : agentCharts}
<h2>Upstream latency and errors by service</h2>
${serviceCharts.length === 0 ? html`<p class="meta">No upstream calls in this span.</p>` : serviceCharts}`;
}
