// The camera's live preview: a second WebSocket at
// `<address>/camera/preview?width=…&height=…&fps=…&device=…` that carries
// one JPEG per binary message until either side closes it. No greeting,
// no requests (protocol/PROTOCOL.md, "The live preview").
import { QoltanbaError, previewCloseError } from './errors.js';

/**
 * @typedef {object} PreviewOptions
 * @property {number} [width]
 * @property {number} [height]
 * @property {number} [fps] default 15 (the daemon's)
 * @property {string} [device]
 * @property {(frame: ArrayBuffer) => void} onFrame one JPEG per call
 * @property {(error: QoltanbaError | null) => void} [onEnd] called once: null when the page
 *   closed the preview, else why it ended
 */

/** @typedef {{ close(): void }} Preview */

/**
 * Open a preview. `whenAddress` gives the address of a daemon that
 * answered (ws:// or wss://, any path), or rejects with why there is none.
 * @param {Promise<string>} whenAddress
 * @param {PreviewOptions} options
 * @returns {Preview}
 */
export function openPreview(whenAddress, { width, height, fps, device, onFrame, onEnd = () => {} }) {
  /** @type {WebSocket | null} */
  let ws = null;
  let done = false;
  const end = (/** @type {QoltanbaError | null} */ error) => {
    if (done) return;
    done = true;
    onEnd(error);
  };
  const open = (/** @type {string} */ address) => {
    if (done) return;
    const u = new URL(address);
    u.pathname = '/camera/preview';
    u.search = '';
    for (const [k, v] of Object.entries({ width, height, fps, device }))
      if (v !== undefined) u.searchParams.set(k, String(v));
    let opened = false;
    try {
      ws = new WebSocket(u.href);
    } catch (e) {
      end(new QoltanbaError('notRunning', `Qoltanba: ${e}`));
      return;
    }
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => { opened = true; };
    ws.onerror = () => {};
    ws.onmessage = (ev) => { if (!done && typeof ev.data !== 'string') onFrame(ev.data); };
    ws.onclose = (ev) => end(previewCloseError(ev.code, ev.reason ?? '', opened));
  };
  whenAddress.then(open, (e) => end(e));
  return {
    close() {
      end(null);
      if (ws) ws.close(1000);
    },
  };
}
