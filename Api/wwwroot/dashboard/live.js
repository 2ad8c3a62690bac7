// The live stream: an EventSource on /api/dashboard/stream that only says *that* something changed
// (the page then reloads what it shows). The browser reconnects by itself after a network error,
// sending Last-Event-ID; when it gives up (an answer that is not a stream: 401, a proxy's 502) this
// module asks once what the answer was, then opens a new EventSource after a growing pause, with
// the last id seen in the query so missed events still come (or a `reset`).
// The server sends a `heartbeat` event as the stream opens and after every quiet interval. A stream
// that sends nothing for STALL_HEARTBEATS intervals is held back somewhere (a buffering proxy): the
// page says "reconnecting" (and so polls), closes it and opens a new one the same way, which counts
// as live only once something arrives on it.
import { url, probe } from './api.js';

const CHANGE_EVENTS = ['execution', 'status', 'error', 'removed', 'stalled'];
const FIRST_RETRY_MS = 1_000;
const LAST_RETRY_MS = 30_000;
const STALL_HEARTBEATS = 2.5;

/**
 * handlers: onChange() for a change event, onReset() for `reset`, onState(state) with 'connecting',
 * 'live', 'reconnecting' or 'off', onAuthRequired() when the stream answers 401. heartbeatMs: the
 * interval assumed until a heartbeat tells the server's (15 s, the server's default).
 */
export function createLiveStream({ onChange, onReset, onState, onAuthRequired, heartbeatMs = 15_000 }) {
  let source = null;
  let wanted = false;
  let retryTimer = null;
  let retryMs = FIRST_RETRY_MS;
  let lastEventId = '';
  let failedSinceOpen = false; // then a new attempt says "reconnecting", not "connecting"
  let state = 'off';
  let stallTimer = null;
  let stalled = false; // the last stream went quiet: the next is live only once it sends something

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
      watch(es);
      if (!stalled) goLive();
      // Without a known position (a first stream, or one that never got an event), what changed
      // between the last load and now is only in a reload; with one, the server sends what was missed.
      if (!lastEventId) onChange();
    });
    // Every event proves the stream flows; a heartbeat carries no id, so it keeps the last one.
    const received = (e) => {
      if (e.lastEventId) lastEventId = e.lastEventId;
      watch(es);
      goLive();
    };
    for (const type of CHANGE_EVENTS) {
      es.addEventListener(type, (e) => {
        // The server's `error` event (a new error in an execution) shares its name with the
        // connection's own failure; only the server's carries data (a MessageEvent).
        if (!(e instanceof MessageEvent)) return;
        received(e);
        onChange();
      });
    }
    es.addEventListener('reset', (e) => { received(e); onReset(); });
    es.addEventListener('heartbeat', (e) => {
      const seconds = intervalOf(e.data);
      if (seconds > 0) heartbeatMs = seconds * 1000;
      received(e);
    });
    es.addEventListener('error', (e) => { if (!(e instanceof MessageEvent)) failed(es); });
  }

  function goLive() {
    if (state === 'live') return;
    retryMs = FIRST_RETRY_MS;
    stalled = false;
    failedSinceOpen = false;
    setState('live');
  }

  /** (Re)arms the stall timer of an open stream: it must send something within STALL_HEARTBEATS intervals. */
  function watch(es) {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => stall(es), heartbeatMs * STALL_HEARTBEATS);
  }

  /** The open stream went quiet: close it and open another, polling meanwhile. */
  function stall(quiet) {
    stallTimer = null;
    if (quiet !== source) return;
    stalled = true;
    failedSinceOpen = true;
    setState('reconnecting');
    quiet.close();
    source = null;
    retryLater();
  }

  function retryLater() {
    if (!wanted || retryTimer || source) return;
    retryTimer = setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
  }

  async function failed(failing) {
    if (failing !== source) return;
    clearTimeout(stallTimer); // the browser's own retry is running; its 'open' arms the timer again
    stallTimer = null;
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
    retryLater();
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
    clearTimeout(stallTimer);
    stallTimer = null;
    stalled = false;
    source?.close();
    source = null;
    retryMs = FIRST_RETRY_MS;
    failedSinceOpen = false;
    setState('off');
  }

  return { start, stop, get state() { return state; } };
}

/** The `interval` (seconds) of a heartbeat's data, NaN when it has none. */
function intervalOf(data) {
  try {
    return Number(JSON.parse(data).interval);
  } catch {
    return NaN;
  }
}
