// The page's one connection to Qoltanba. The addresses come from the
// portal (GET /api/config): the first is tried first, the rest in order.
import { Qoltanba } from '/client/qoltanba.js';
import { api } from './api.js';

let client = null;
let creating = null;

/** The shared client (not necessarily connected yet). */
export function daemon() {
  if (client) return Promise.resolve(client);
  if (!creating) {
    creating = api.config().then((cfg) => {
      const urls = Array.isArray(cfg.daemon) && cfg.daemon.length ? cfg.daemon : ['wss://127.0.0.1:13579', 'ws://127.0.0.1:13579'];
      client = new Qoltanba({ url: urls[0], fallbackUrls: urls.slice(1), timeoutMs: 4000 });
      return client;
    }).finally(() => { creating = null; });
  }
  return creating;
}

/** Connect (again, when asked) and return the client once it has greeted. */
export async function connected({ fresh = false } = {}) {
  const q = await daemon();
  if (fresh && q.connected) q.close();
  if (!q.connected) await q.connect();
  return q;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run a camera call; while a just-closed preview still holds the camera,
 * the daemon answers cameraBusy for a moment, so that is tried again.
 * `onAttempt` is called before each try.
 */
export async function whenCameraFree(fn, onAttempt = () => {}) {
  for (let i = 0; ; i++) {
    onAttempt(i);
    try {
      return await fn();
    } catch (e) {
      if (e?.code !== 'cameraBusy' || i >= 12) throw e;
      await sleep(250);
    }
  }
}

/**
 * Show the camera's live picture in `img`. Each frame becomes a blob
 * URL; the previous one is revoked. `onFrame()` is called for the first
 * frame, `onError(error)` when the preview ends for a reason other than
 * `close()`.
 */
export function startPreview(q, img, { onFirstFrame = () => {}, onError = () => {}, width = 640, height = 480 } = {}) {
  let current = null;
  let first = true;
  let closed = false;
  const preview = q.openPreview({
    width,
    height,
    fps: 15,
    onFrame(buf) {
      if (closed) return;
      const url = URL.createObjectURL(new Blob([buf], { type: 'image/jpeg' }));
      img.src = url;
      if (current) URL.revokeObjectURL(current);
      current = url;
      if (first) {
        first = false;
        onFirstFrame();
      }
    },
    onEnd(error) {
      if (!closed && error) onError(error);
    },
  });
  return {
    close() {
      if (closed) return;
      closed = true;
      preview.close();
      if (current) URL.revokeObjectURL(current);
      current = null;
      img.removeAttribute('src');
    },
  };
}
