// The tag filter in the header: one tag (from /tags, most used first) that the list, its export, the
// statistics and the timeline all ask for, like the time range.
import { getJson } from './api.js';
import { params as rangeParams } from './range.js';
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
  const window = rangeParams(ctx);
  const { data, changed } = await getJson('tags', window);
  // The same answer for the same range and tag needs no new options.
  const key = JSON.stringify({ ...window, tag: ctx.tag });
  if (!changed && select().dataset.range === key) return;
  select().dataset.range = key;
  const items = data.tags.map((t) => option(t.tag, `${t.tag} (${t.count})`, t.tag === ctx.tag));
  if (ctx.tag && !data.tags.some((t) => t.tag === ctx.tag)) items.push(option(ctx.tag, ctx.tag, true));
  select().replaceChildren(option('', 'All tags', !ctx.tag), ...items);
}
