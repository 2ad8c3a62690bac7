// Statistics: summary figures, runtime percentiles, two D3 pie charts (status distribution, executions
// per user) and a table per agent (/agents), all for the time range and tag.
import { getJson } from './api.js';
import { params as rangeParams } from './range.js';
import { el, clear, box, emptyState, formatCount, formatDuration, formatPercent, formatTime, STATUS_COLORS } from './dom.js';

const d3 = globalThis.d3;
const SIZE = 240;

export async function load(ctx) {
  const filters = { ...rangeParams(ctx), tags: ctx.tag };
  const [{ data }, agents] = await Promise.all([getJson('agent-stats', filters), getJson('agents', filters)]);
  const unknownUsers = Object.keys(data.by_user).filter((id) => !ctx.userNames.has(id));
  if (unknownUsers.length > 0) {
    // The user names come with the running-agents filters.
    const names = await getJson('running-agents', { ...rangeParams(ctx), limit: 1 });
    for (const u of names.data.filters.users) if (u.name) ctx.userNames.set(u.id, u.name);
  }

  document.getElementById('stats-figures').replaceChildren(
    box('Total executions', formatCount(data.total_executions), null, 'total'),
    box('Running now', formatCount(data.running), null, 'running'),
    box('Stalled', formatCount(data.stalled), 'running or starting, silent too long', 'stalled'),
    box('Error rate', formatPercent(data.error_rate), null, 'error-rate'),
    box('Average runtime', formatDuration(data.avg_runtime), null, 'avg-runtime'));
  // Older answers (Kodosumi's own) carry only the median and the 95th percentile.
  const p = data.runtime_percentiles ?? { p50: data.median_runtime, p95: data.p95_runtime };
  document.getElementById('stats-percentiles').replaceChildren(
    box('Median (p50)', formatDuration(p.p50), null, 'median-runtime'),
    box('90th percentile', formatDuration(p.p90), null, 'p90-runtime'),
    box('95th percentile', formatDuration(p.p95), null, 'p95-runtime'),
    box('99th percentile', formatDuration(p.p99), null, 'p99-runtime'));
  renderAgents(agents.data.agents);

  pie(document.getElementById('pie-status'),
    Object.entries(data.by_status).map(([status, n]) => ({ key: status, label: status, value: n, color: STATUS_COLORS[status] })));
  const userColor = d3.scaleOrdinal(d3.schemeTableau10);
  pie(document.getElementById('pie-users'),
    Object.entries(data.by_user).map(([id, n]) => ({ key: id, label: ctx.userNames.get(id) ?? id, value: n, color: userColor(id) })));
}

/** A pie chart with a legend of label, count and share; slices largest first. */
function pie(container, slices) {
  clear(container);
  slices.sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
  const total = d3.sum(slices, (s) => s.value);
  if (total === 0) {
    container.append(emptyState('donut_large', 'No executions in this time range.'));
    return;
  }
  const arcs = d3.pie().sort(null).value((s) => s.value)(slices);
  const arc = d3.arc().innerRadius(SIZE * 0.22).outerRadius(SIZE / 2 - 4);
  const svg = d3.select(container).append('svg')
    .attr('viewBox', `${-SIZE / 2} ${-SIZE / 2} ${SIZE} ${SIZE}`).attr('width', SIZE).attr('height', SIZE);
  svg.selectAll('path').data(arcs).join('path')
    .attr('d', arc).attr('fill', (a) => a.data.color ?? '#795548').attr('stroke', 'white').attr('stroke-width', 1.5)
    .append('title').text((a) => `${a.data.label}: ${a.data.value}`);

  container.append(el('ul', { class: 'legend-list' }, slices.map((s) => el('li', { 'data-key': s.key },
    el('span', { class: 'swatch', style: `background:${s.color ?? '#795548'}` }),
    el('span', { class: 'legend-label max', text: s.label, title: s.key }),
    el('span', { class: 'legend-value', text: formatCount(s.value) }),
    el('span', { class: 'legend-share', text: formatPercent(s.value / total) })))));
}

const PERCENTILES = ['p50', 'p90', 'p95', 'p99'];

/** One row per agent, most runs first as the API sends them; each number cell keeps its raw value in data-value. */
function renderAgents(agents) {
  const body = clear(document.querySelector('#agents-table tbody'));
  if (agents.length === 0) {
    body.append(el('tr', {}, el('td', { colspan: 11 }, emptyState('smart_toy', 'No executions in this time range.'))));
    return;
  }
  const cell = (key, value, text) => el('td', { class: `right-align ${key}`, 'data-value': value ?? '', text });
  for (const a of agents) {
    body.append(el('tr', { 'data-agent': a.agent_name },
      el('td', { class: 'agent', text: a.agent_name, title: a.agent_name }),
      cell('runs', a.runs, formatCount(a.runs)),
      cell('running', a.running, formatCount(a.running)),
      cell('stalled', a.stalled, formatCount(a.stalled)),
      cell('errors', a.errors, formatCount(a.errors)),
      cell('error-rate', a.error_rate, formatPercent(a.error_rate)),
      PERCENTILES.map((k) => cell(k, a.runtime_percentiles[k], formatDuration(a.runtime_percentiles[k]))),
      el('td', { class: 'last-run nowrap', 'data-value': a.last_run, text: formatTime(a.last_run) })));
  }
}
