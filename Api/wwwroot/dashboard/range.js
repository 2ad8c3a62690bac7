// The header's time range: a preset (the last so many hours, Kodosumi's `hours`) or a custom [from, to)
// picked with two local date-time inputs and sent as ISO 8601 instants in UTC, so the offset is explicit.
const $ = (id) => document.getElementById(id);

/** The API parameters of the range: { hours } or { from, to } (either end may be empty). */
export function params(ctx) {
  return ctx.from || ctx.to ? { from: ctx.from, to: ctx.to } : { hours: ctx.hours };
}

export const isCustom = (ctx) => Boolean(ctx.from || ctx.to);

/** The range as dates; an open start is `earliest` (the first bucket), an open end is now. */
export function bounds(ctx, earliest) {
  const now = new Date();
  if (isCustom(ctx)) return { from: ctx.from ? new Date(ctx.from) : earliest ?? now, to: ctx.to ? new Date(ctx.to) : now };
  return { from: ctx.hours >= 999999 ? earliest ?? now : new Date(now.getTime() - ctx.hours * 3600 * 1000), to: now };
}

/** How many hours the range spans (all time and an open start count as long). */
export function spanHours(ctx) {
  if (!isCustom(ctx)) return ctx.hours;
  if (!ctx.from) return Infinity;
  return ((ctx.to ? new Date(ctx.to) : new Date()) - new Date(ctx.from)) / 3_600_000;
}

/** "2026-12-07T10:00" in the browser's zone, as a datetime-local input shows an instant. */
function localInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const toIso = (local) => (local ? new Date(local).toISOString() : '');

/** Shows the range held in ctx (after a change, or a view restored from the address). */
export function show(ctx) {
  const custom = isCustom(ctx);
  const select = $('hours');
  if (!custom && ![...select.options].some((o) => o.value === String(ctx.hours))) {
    select.append(new Option(`Last ${ctx.hours} hours`, String(ctx.hours)));
  }
  select.value = custom ? 'custom' : String(ctx.hours);
  $('custom-range').hidden = !custom && select.value !== 'custom';
  $('range-from').value = localInput(ctx.from);
  $('range-to').value = localInput(ctx.to);
}

export function setup(ctx, onChange) {
  $('hours').addEventListener('change', (e) => {
    if (e.target.value === 'custom') {
      $('custom-range').hidden = false;
      $('range-from').focus();
      return;
    }
    Object.assign(ctx, { hours: Number(e.target.value), from: '', to: '' });
    show(ctx);
    onChange();
  });
  $('range-apply').addEventListener('click', () => {
    const from = toIso($('range-from').value);
    const to = toIso($('range-to').value);
    const problem = !from && !to ? 'Pick a start, an end or both.' : from && to && to <= from ? 'The end must be after the start.' : '';
    $('range-error').textContent = problem;
    $('range-error').hidden = !problem;
    if (problem) return;
    Object.assign(ctx, { from, to });
    show(ctx);
    onChange();
  });
}
