// The live stream: an EventSource on /api/dashboard/stream that only says *that* something changed
// (the page then reloads what it shows). The browser reconnects by itself after a network error,
// sending Last-Event-ID; when it gives up (an answer that is not a stream: 401, a proxy's 502) this
// module asks once what the answer was, then opens a new EventSource after a growing pause, with
// the last id seen in the query so missed events still come (or a `reset`).
import { url, probe } from './api.js';

const CHANGE_EVENTS = ['execution', 'status', 'error', 'removed'];
const FIRST_RETRY_MS = 1_000;
const LAST_RETRY_MS = 30_000;

/**
 * handlers: onChange() for a change event, onReset() for `reset`, onState(state) with 'connecting',
 * 'live', 'reconnecting' or 'off', onAuthRequired() when the stream answers 401.
 */
export function createLiveStream({ onChange, onReset, onState, onAuthRequired }) {
  let source = null;
  let wanted = false;
  let retryTimer = null;
  let retryMs = FIRST_RETRY_MS;
  let lastEventId = '';
  let failedSinceOpen = false; // then a new attempt says "reconnecting", not "connecting"
  let state = 'off';

  function setState(next) {
    if (next === state) return;
    state = next;
    onState(next);
  }

  function open() {
    retryTimer = null;
    if (!wanted || source) return;
    setState(failedSinceOpen ? 'reconnecting' : 'connecting');
    const es = new EventSource(url('stream', { last_event_id: lastEventId }));
    source = es;
    es.addEventListener('open', () => {
      retryMs = FIRST_RETRY_MS;
      setState('live');
      // Without a known position (a first stream, or one that never got an event), what changed
      // between the last load and now is only in a reload; with one, the server sends what was missed.
      if (!lastEventId) onChange();
      failedSinceOpen = false;
    });
    const remember = (e) => { if (e.lastEventId) lastEventId = e.lastEventId; };
    for (const type of CHANGE_EVENTS) {
      es.addEventListener(type, (e) => {
        // The server's `error` event (a new error in an execution) shares its name with the
        // connection's own failure; only the server's carries data (a MessageEvent).
        if (!(e instanceof MessageEvent)) return;
        remember(e);
        onChange();
      });
    }
    es.addEventListener('reset', (e) => { remember(e); onReset(); });
    es.addEventListener('error', (e) => { if (!(e instanceof MessageEvent)) failed(es); });
  }

  async function failed(failing) {
    if (failing !== source) return;
    failedSinceOpen = true;
    setState('reconnecting');
    if (failing.readyState !== EventSource.CLOSED) return; // the browser retries on its own
    failing.close();
    source = null;
    // EventSource hides the status; a plain request tells a lapsed session from a broken stream.
    if ((await probe('stream')) === 401) {
      stop();
      onAuthRequired();
      return;
    }
    if (!wanted || retryTimer || source) return;
    retryTimer = setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
  }

  /** Opens the stream unless it is open or a retry is waiting. */
  function start() {
    wanted = true;
    if (!source && !retryTimer) open();
  }

  /** Closes the stream (logout, a 401, a tab hidden for long); start() opens it again. */
  function stop() {
    wanted = false;
    clearTimeout(retryTimer);
    retryTimer = null;
    source?.close();
    source = null;
    retryMs = FIRST_RETRY_MS;
    failedSinceOpen = false;
    setState('off');
  }

  return { start, stop, get state() { return state; } };
}
