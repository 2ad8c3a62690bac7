// Timeline: executions per hour (per day beyond 48 hours), stacked by status, drawn with D3 from the
// server's buckets (no rows are fetched: limit=0), counted in the browser's own time zone.
import { ApiUnreachable, getJson } from './api.js';
import { params as rangeParams, bounds, spanHours } from './range.js';
import { el, clear, emptyState, formatCount, STATUS_COLORS, STATUS_ORDER } from './dom.js';

const d3 = globalThis.d3;
const HEIGHT = 320;
const MARGIN = { top: 16, right: 16, bottom: 36, left: 44 };
const DAILY_AFTER_HOURS = 48;

/** The browser's IANA time zone, so the server's hours and days are the ones the user's clock shows. */
export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

export async function load(ctx) {
  const daily = spanHours(ctx) > DAILY_AFTER_HOURS;
  const { data, utc } = await fetchTimeline({ ...rangeParams(ctx), limit: 0, bucket: daily ? 'day' : 'hour', tz: timeZone(), tags: ctx.tag });
  const bins = binsOf(data.buckets, ctx, daily);
  const statuses = STATUS_ORDER.filter((s) => bins.some((b) => b.counts[s])).concat(
    [...new Set(bins.flatMap((b) => Object.keys(b.counts)))].filter((s) => !STATUS_ORDER.includes(s)));

  document.getElementById('timeline-summary').textContent =
    `${formatCount(data.total)} executions in this time range, counted per ${daily ? 'day' : 'hour'}${utc ? ' in UTC' : ''}.`;
  renderLegend(bins, statuses);
  if (data.total === 0) {
    clear(document.getElementById('timeline-chart')).append(emptyState('bar_chart', 'No executions in this time range yet.'));
    return;
  }
  renderChart(bins, statuses, daily);
}

/**
 * The timeline in the browser's zone; in UTC when the server answers 400 because its time zone database
 * does not know the zone's name (a browser that cannot tell its zone says "Etc/Unknown").
 */
async function fetchTimeline(params) {
  if (!zoneUnknown) {
    try {
      return { ...(await getJson('timeline', params)), utc: false };
    } catch (e) {
      if (!(e instanceof ApiUnreachable) || e.status !== 400) throw e;
      zoneUnknown = true;
    }
  }
  return { ...(await getJson('timeline', { ...params, tz: 'UTC' })), utc: true };
}
let zoneUnknown = false;

/**
 * Every local hour (or day) of the range, empty ones included (the server leaves them out), each holding
 * the server's bucket that starts in it. The server counted in this browser's zone, so a bucket's start is
 * a bin's start; flooring only guards against an answer counted elsewhere.
 */
function binsOf(buckets, ctx, daily) {
  const interval = daily ? d3.timeDay : d3.timeHour;
  const earliest = buckets.length > 0 ? new Date(buckets[0].start * 1000) : undefined;
  const { from, to } = bounds(ctx, earliest);
  // The range's end is exclusive: its last bin is the one holding the instant just before it.
  const bins = interval.range(interval.floor(from), interval.offset(interval.floor(new Date(to.getTime() - 1)), 1))
    .map((start) => ({ start, total: 0, counts: {} }));
  const index = new Map(bins.map((b) => [b.start.getTime(), b]));
  for (const bucket of buckets) {
    const bin = index.get(bucket.start * 1000) ?? index.get(interval.floor(new Date(bucket.start * 1000)).getTime());
    if (!bin) continue;
    bin.total += bucket.total;
    for (const [status, n] of Object.entries(bucket.counts)) bin.counts[status] = (bin.counts[status] ?? 0) + n;
  }
  return bins;
}

function renderLegend(bins, statuses) {
  const legend = clear(document.getElementById('timeline-legend'));
  for (const status of statuses) {
    const n = d3.sum(bins, (b) => b.counts[status] ?? 0);
    legend.append(el('span', { class: 'legend-item', 'data-status': status },
      el('span', { class: 'swatch', style: `background:${colorOf(status)}` }),
      el('span', { text: `${status}: ${formatCount(n)}` })));
  }
}

const colorOf = (status) => STATUS_COLORS[status] ?? '#795548';

function renderChart(bins, statuses, daily) {
  const container = clear(document.getElementById('timeline-chart'));
  const tooltip = document.getElementById('tooltip');
  tooltip.hidden = true;
  const width = Math.max(container.clientWidth, 600);
  const x = d3.scaleBand().domain(bins.map((b) => b.start)).range([MARGIN.left, width - MARGIN.right]).padding(0.15);
  const y = d3.scaleLinear().domain([0, d3.max(bins, (b) => b.total) || 1]).nice().range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const series = d3.stack().keys(statuses).value((b, key) => b.counts[key] ?? 0)(bins);

  const svg = d3.select(container).append('svg')
    .attr('viewBox', `0 0 ${width} ${HEIGHT}`).attr('width', width).attr('height', HEIGHT)
    .attr('role', 'img').attr('aria-label', 'Executions over time, stacked by status');

  const tickEvery = Math.max(1, Math.ceil(bins.length / 12));
  const format = daily ? d3.timeFormat('%b %d') : d3.timeFormat(bins.length > 24 ? '%b %d %H:00' : '%H:00');
  svg.append('g').attr('transform', `translate(0,${HEIGHT - MARGIN.bottom})`)
    .call(d3.axisBottom(x).tickValues(bins.filter((_, i) => i % tickEvery === 0).map((b) => b.start)).tickFormat(format));
  svg.append('g').attr('transform', `translate(${MARGIN.left},0)`)
    .call(d3.axisLeft(y).ticks(6).tickFormat(d3.format('d')));

  svg.append('g').selectAll('g').data(series).join('g')
    .attr('fill', (s) => colorOf(s.key))
    .attr('class', (s) => (s.key === 'error' ? 'segment-error' : null))
    .selectAll('rect').data((s) => s).join('rect')
    .attr('x', (d) => x(d.data.start)).attr('width', x.bandwidth())
    .attr('y', (d) => y(d[1])).attr('height', (d) => y(d[0]) - y(d[1]));

  // Errors stand out: a red mark above every bar that holds one.
  svg.append('g').selectAll('circle').data(bins.filter((b) => b.counts.error)).join('circle')
    .attr('class', 'error-mark').attr('r', 3.5)
    .attr('cx', (b) => x(b.start) + x.bandwidth() / 2).attr('cy', (b) => y(b.total) - 7);

  // A full-height transparent column per bin catches the pointer for the tooltip.
  svg.append('g').selectAll('rect').data(bins).join('rect')
    .attr('class', 'hover-column').attr('data-start', (b) => b.start.toISOString()).attr('data-total', (b) => b.total)
    .attr('x', (b) => x(b.start)).attr('width', x.bandwidth())
    .attr('y', MARGIN.top).attr('height', HEIGHT - MARGIN.top - MARGIN.bottom)
    .attr('fill', 'transparent')
    .on('mouseenter', (event, b) => showTooltip(tooltip, event, b, statuses, daily))
    .on('mousemove', (event) => placeTooltip(tooltip, event))
    .on('mouseleave', () => { tooltip.hidden = true; });
}

function showTooltip(tooltip, event, bin, statuses, daily) {
  const title = daily ? d3.timeFormat('%a %b %d')(bin.start) : d3.timeFormat('%b %d, %H:00')(bin.start);
  tooltip.replaceChildren(
    el('strong', { text: title }),
    el('div', { class: 'tooltip-total', text: `total: ${formatCount(bin.total)}` }),
    ...statuses.filter((s) => bin.counts[s]).map((s) => el('div', { class: 'tooltip-row', 'data-status': s },
      el('span', { class: 'swatch', style: `background:${colorOf(s)}` }),
      el('span', { text: `${s}: ${formatCount(bin.counts[s])}` }))));
  tooltip.hidden = false;
  placeTooltip(tooltip, event);
}

function placeTooltip(tooltip, event) {
  tooltip.style.left = `${event.pageX + 12}px`;
  tooltip.style.top = `${event.pageY + 12}px`;
}
