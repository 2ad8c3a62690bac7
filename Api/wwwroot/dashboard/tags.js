// The tag filter in the header: one tag (from /tags, most used first) that the list, its export, the
// statistics and the timeline all ask for, like the time range.
import { getJson } from './api.js';
import { option } from './dom.js';

const select = () => document.getElementById('tag-filter');

export function setup(ctx, onChange) {
  select().addEventListener('change', (e) => {
    ctx.tag = e.target.value;
    onChange();
  });
}

/** Offers the tags of the executions in the time range; the chosen one stays even when no execution has it any more. */
export async function load(ctx) {
  const { data, changed } = await getJson('tags', { hours: ctx.hours });
  if (!changed && select().dataset.hours === String(ctx.hours)) return;
  select().dataset.hours = String(ctx.hours);
  const items = data.tags.map((t) => option(t.tag, `${t.tag} (${t.count})`, t.tag === ctx.tag));
  if (ctx.tag && !data.tags.some((t) => t.tag === ctx.tag)) items.push(option(ctx.tag, ctx.tag, true));
  select().replaceChildren(option('', 'All tags', !ctx.tag), ...items);
}
