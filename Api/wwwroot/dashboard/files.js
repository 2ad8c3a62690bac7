// The Files modal: what an execution was given (in/) and what it produced (out/), each downloadable.
import { getJson } from './api.js';
import { el, clear, icon, formatBytes } from './dom.js';

const dialog = () => document.getElementById('files-dialog');

export function setup() {
  document.getElementById('files-close').addEventListener('click', () => dialog().close());
}

/** Opens the modal for one execution; errors go to the caller (the page's banner or login form). */
export async function open(fid) {
  const { data } = await getJson(`execution/${encodeURIComponent(fid)}/files`);
  document.getElementById('files-fid').textContent = data.fid;
  fill(document.getElementById('files-in'), data.uploads, 'No uploaded files.');
  fill(document.getElementById('files-out'), data.downloads, 'No produced files.');
  if (!dialog().open) dialog().showModal();
}

function fill(list, files, emptyText) {
  clear(list);
  if (files.length === 0) {
    list.append(el('li', { class: 'empty' }, el('span', { class: 'max', text: emptyText })));
    return;
  }
  for (const f of files) {
    list.append(el('li', { 'data-path': f.path },
      icon('description'),
      el('span', { class: 'max file-name', text: f.path, title: f.path }),
      el('span', { class: 'file-size', text: formatBytes(f.size), title: `${f.size} bytes` }),
      el('a', { class: 'button circle transparent download', href: f.url, download: f.name, title: `Download ${f.path}` },
        icon('download'))));
  }
}
