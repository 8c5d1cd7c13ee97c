// A browser client for Qoltanba (and NCALayer): one WebSocket to the
// daemon on 127.0.0.1, one request at a time, answers matched in order,
// heartbeats, reconnection after a drop, typed errors. A plain ES module:
// no build step, no globals touched, only the browser's WebSocket, URL
// and timers. The wire is protocol/PROTOCOL.md.
import { QoltanbaError, answerError, commonError } from './errors.js';
import { openPreview } from './preview.js';

export { QoltanbaError };
/** @typedef {import('./errors.js').QoltanbaErrorCode} QoltanbaErrorCode */
/** @typedef {import('./preview.js').PreviewOptions} PreviewOptions */
/** @typedef {import('./preview.js').Preview} Preview */

const COMMON_UTILS = 'kz.gov.pki.knca.commonUtils';
const BASICS = 'kz.gov.pki.knca.basics';
const CAMERA = 'kz.qoltanba.camera';
const HEARTBEAT = '--heartbeat--';
// Echoes missed in a row before the socket is taken for dead.
const HEARTBEATS_MISSED_MAX = 3;

/**
 * @typedef {object} QoltanbaOptions
 * @property {string} [url] the daemon's address, tried first (default `wss://127.0.0.1:13579`)
 * @property {string[]} [fallbackUrls] tried in order when `url` fails (default `['ws://127.0.0.1:13579']`)
 * @property {number} [timeoutMs] how long one address may take to open and greet (default 5000)
 * @property {number} [heartbeatMs] how often `--heartbeat--` is sent; 0: never (default 30000)
 * @property {number} [retries] reconnection attempts after the first, when a call finds no
 *   connection (default 2)
 * @property {number} [backoffMs] wait before the first retry, doubled for each next one (default 250)
 */

/**
 * @typedef {object} KeyInfo
 * @property {string} alias
 * @property {string} keyId
 * @property {string} algorithm `RSA`, `EC` or `GOST512`
 * @property {string} subjectCn
 * @property {string} subjectDn
 * @property {string} issuerCn
 * @property {string} issuerDn
 * @property {string} serialNumber
 * @property {string} certNotBefore milliseconds since 1970, as digits
 * @property {string} certNotAfter milliseconds since 1970, as digits
 * @property {string} authorityKeyIdentifier
 * @property {string} pem
 */

/**
 * @typedef {object} SignArgs
 * @property {'cms' | 'xml' | 'raw'} format
 * @property {string | string[]} data one document or several
 * @property {object} [signingParams] `decode`, `encapsulate`, `digested`, `tsaProfile`,
 *   `allowExpired`, `allowRevoked`, `outputCert` (default `{}`)
 * @property {object} [signerParams] `extKeyUsageOids` (default `[]`), `iin`, `bin`,
 *   `serialNumber`, `chain`
 * @property {string[] | string | null} [allowedStorages]
 * @property {string} [locale] `kk`, `ru` or `en`
 * @property {string} [logo] base64 PNG
 */

/**
 * @typedef {object} GenerateCsrArgs
 * @property {string} [storage] default `PKCS12`
 * @property {'GOST512' | 'RSA2048'} [algorithm]
 * @property {'sign' | 'auth' | 'both'} [purpose]
 * @property {Record<string, string>} subject `CN` (required), `SURNAME`, `SERIALNUMBER`, `C`,
 *   `GIVENNAME`, `O`, `OU`, `E`
 * @property {string} [folder] absolute path; absent: the user chooses
 * @property {string} [locale]
 */

/**
 * A pending key request, as generateCsr and listRequests describe it.
 * @typedef {object} KeyRequest
 * @property {string} requestId
 * @property {string} keyId
 * @property {string} algorithm
 * @property {string} purpose
 * @property {string} storage
 * @property {string} folder
 * @property {string} fileName
 * @property {string} subject
 * @property {string} created milliseconds since 1970, as digits
 * @property {string} expires milliseconds since 1970, as digits
 * @property {boolean} expired
 * @property {string} [csr] PEM, from generateCsr only
 */

/** @typedef {{ text: string, resolve: (answer: any) => void, reject: (e: Error) => void }} Call */

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A connection to the signing daemon. Calls may be made at once: the
 * first one connects. Answers come back in the order the calls were made.
 */
export class Qoltanba {
  /** @type {string[]} */ #urls;
  #timeoutMs;
  #heartbeatMs;
  #retries;
  #backoffMs;
  /** @type {WebSocket | null} */ #ws = null;
  /** @type {string | null} */ #url = null;
  /** @type {string | null} */ #version = null;
  /** @type {Promise<void> | null} */ #connecting = null;
  /** @type {Call[]} */ #queue = [];
  /** @type {Call | null} */ #current = null;
  /** @type {ReturnType<typeof setInterval> | null} */ #heartbeat = null;
  #missed = 0;
  // Bumped by close(): a connection attempt started before it is dropped.
  #generation = 0;

  /** @param {QoltanbaOptions} [options] */
  constructor({
    url = 'wss://127.0.0.1:13579',
    fallbackUrls = ['ws://127.0.0.1:13579'],
    timeoutMs = 5000,
    heartbeatMs = 30000,
    retries = 2,
    backoffMs = 250,
  } = {}) {
    this.#urls = [url, ...fallbackUrls];
    this.#timeoutMs = timeoutMs;
    this.#heartbeatMs = heartbeatMs;
    this.#retries = retries;
    this.#backoffMs = backoffMs;
  }

  /**
   * Connect to the first address that opens and greets, once each.
   * Rejects with `notRunning` when none does.
   * @param {QoltanbaOptions} [options] overrides the constructor's
   * @returns {Promise<Qoltanba>}
   */
  async connect(options = {}) {
    if (options.url !== undefined || options.fallbackUrls !== undefined)
      this.#urls = [options.url ?? this.#urls[0], ...(options.fallbackUrls ?? this.#urls.slice(1))];
    if (options.timeoutMs !== undefined) this.#timeoutMs = options.timeoutMs;
    if (options.heartbeatMs !== undefined) this.#heartbeatMs = options.heartbeatMs;
    if (options.retries !== undefined) this.#retries = options.retries;
    if (options.backoffMs !== undefined) this.#backoffMs = options.backoffMs;
    await this.#ensure(0);
    return this;
  }

  /** The daemon's protocol version from its greeting (`1.4`), null before the first connection. */
  get version() { return this.#version; }

  /** The address connected to, null when not connected. */
  get url() { return this.#ws ? this.#url : null; }

  /** Whether a connection is open. */
  get connected() { return this.#ws !== null; }

  /**
   * Close the connection. Calls not answered yet reject with
   * `connectionLost`. A later call connects again.
   */
  close() {
    this.#generation++;
    this.#connecting = null;
    const ws = this.#ws;
    if (ws) {
      this.#detach();
      ws.close(1000);
    }
    this.#failAll(new QoltanbaError('connectionLost', 'Qoltanba: the page closed the connection'));
  }

  // --- kz.gov.pki.knca.commonUtils ---

  /**
   * Send a commonUtils request. Resolves with `responseObject`.
   * @param {string} method
   * @param {unknown[]} [args]
   * @returns {Promise<any>}
   */
  async commonUtils(method, args) {
    const answer = await this.request({ module: COMMON_UTILS, method, ...(args ? { args } : {}) });
    if (answer && answer.code === '200')
      return answer.responseObject;
    throw answer && typeof answer.code === 'string' ? commonError(answer) : answerError(answer);
  }

  /** @returns {Promise<string[]>} storage types of the tokens plugged in */
  getActiveTokens() { return this.commonUtils('getActiveTokens'); }

  /**
   * @param {string} storage `PKCS12`, …
   * @returns {Promise<KeyInfo>}
   */
  getKeyInfo(storage) { return this.commonUtils('getKeyInfo', [storage]); }

  /**
   * @param {string} storage
   * @param {string} keyType `SIGNATURE`, `AUTHENTICATION` or anything for any key
   * @param {string} base64Data
   * @param {boolean} [attached]
   * @returns {Promise<string>} base64 CMS
   */
  createCAdESFromBase64(storage, keyType, base64Data, attached = false) {
    return this.commonUtils('createCAdESFromBase64', [storage, keyType, base64Data, attached]);
  }

  /**
   * @param {string} storage
   * @param {string} keyType
   * @param {string} base64Hash the digest of the key's algorithm
   * @returns {Promise<string>} base64 CMS, detached
   */
  createCAdESFromBase64Hash(storage, keyType, base64Hash) {
    return this.commonUtils('createCAdESFromBase64Hash', [storage, keyType, base64Hash]);
  }

  /**
   * @param {string} storage
   * @param {string} keyType
   * @param {string} base64Data
   * @param {boolean} [attached]
   * @returns {Promise<string>} base64 CMS, with a timestamp when the daemon has a TSA
   */
  createCMSSignatureFromBase64(storage, keyType, base64Data, attached = false) {
    return this.commonUtils('createCMSSignatureFromBase64', [storage, keyType, base64Data, attached]);
  }

  /**
   * @param {string} storage
   * @param {string} keyType
   * @param {string} xml
   * @param {string} [tbsElementXPath]
   * @param {string} [signatureParentElementXPath]
   * @returns {Promise<string>} the signed XML
   */
  signXml(storage, keyType, xml, tbsElementXPath = '', signatureParentElementXPath = '') {
    return this.commonUtils('signXml', [storage, keyType, xml, tbsElementXPath, signatureParentElementXPath]);
  }

  /**
   * @param {string} storage
   * @param {string} keyType
   * @param {string[]} xmls
   * @param {string} [tbsElementXPath]
   * @param {string} [signatureParentElementXPath]
   * @returns {Promise<string[]>}
   */
  signXmls(storage, keyType, xmls, tbsElementXPath = '', signatureParentElementXPath = '') {
    return this.commonUtils('signXmls', [storage, keyType, xmls, tbsElementXPath, signatureParentElementXPath]);
  }

  /**
   * @param {string} locale `kk`, `ru` or `en`
   * @returns {Promise<void>}
   */
  async changeLocale(locale) { await this.commonUtils('changeLocale', [locale]); }

  /**
   * @param {string} [fileExtension] `ALL`, `P12`, `xml`, …
   * @param {string} [currentDirectory]
   * @returns {Promise<string>} the chosen file's path
   */
  showFileChooser(fileExtension = 'ALL', currentDirectory = '') {
    return this.commonUtils('showFileChooser', [fileExtension, currentDirectory]);
  }

  // --- kz.gov.pki.knca.basics and kz.qoltanba.camera ---

  /**
   * Send an apiVersion-2 request. Resolves with `body.result`; a
   * cancelled dialog rejects with `canceledByUser`.
   * @param {string} module
   * @param {string} method
   * @param {object} [args]
   * @returns {Promise<any>}
   */
  async invoke(module, method, args = {}) {
    const answer = await this.request({ module, method, args });
    if (answer && answer.status === true && answer.body && 'result' in answer.body)
      return answer.body.result;
    throw answerError(answer);
  }

  /**
   * basics sign.
   * @param {SignArgs} args
   * @returns {Promise<any>} `string[]`, or `{signatures, certificate}` for raw with outputCert
   */
  sign({ signingParams = {}, signerParams = {}, ...rest }) {
    return this.invoke(BASICS, 'sign', {
      ...rest,
      signingParams,
      signerParams: { extKeyUsageOids: [], ...signerParams },
    });
  }

  /**
   * @param {GenerateCsrArgs} args
   * @returns {Promise<KeyRequest>}
   */
  generateCsr({ storage = 'PKCS12', ...rest }) {
    return this.invoke(BASICS, 'generateCsr', { storage, ...rest });
  }

  /** @returns {Promise<KeyRequest[]>} this page's pending key requests, oldest first */
  listRequests() { return this.invoke(BASICS, 'listRequests', {}); }

  /**
   * @param {string} requestId
   * @returns {Promise<{cancelled: boolean, requestId: string}>}
   */
  cancelRequest(requestId) { return this.invoke(BASICS, 'cancelRequest', { requestId }); }

  /**
   * @param {{requestId: string, certificate: string, chain?: string[], locale?: string}} args
   * @returns {Promise<{algorithm: string, file: string, fileName: string, folder: string,
   *   keyId: string, requestId: string, storage: string}>}
   */
  importCertificate(args) { return this.invoke(BASICS, 'importCertificate', args); }

  /** @returns {Promise<{id: string, name: string, modes: {width: number, height: number, fps: number}[]}[]>} */
  listDevices() { return this.invoke(CAMERA, 'listDevices', {}); }

  /**
   * A still picture.
   * @param {{purpose: 'selfie' | 'document-front' | 'document-back', width?: number,
   *   height?: number, device?: string}} args
   * @returns {Promise<{image: string, mimeType: string, purpose: string, size: number,
   *   time: string, width: number, height: number}>} `image` is base64 JPEG
   */
  capture(args) { return this.invoke(CAMERA, 'capture', args); }

  /**
   * A clip.
   * @param {{seconds: number, width?: number, height?: number, fps?: number, device?: string}} args
   * @returns {Promise<{video: string, mimeType: string, size: number, duration: number,
   *   frames: number, fps: number, width: number, height: number}>} `video` is base64 WebM
   */
  record(args) { return this.invoke(CAMERA, 'record', args); }

  /** @returns {Promise<{cameraOn: boolean, testSource: boolean}>} */
  cameraStatus() { return this.invoke(CAMERA, 'status', {}); }

  /** @returns {Promise<{revoked: boolean}>} whether the page had been allowed */
  revokeCameraConsent() { return this.invoke(CAMERA, 'revokeConsent', {}); }

  /**
   * Open the live preview: a second socket at `<address>/camera/preview`
   * that delivers JPEG frames until closed. Connects first if needed, to
   * learn which address works.
   * @param {PreviewOptions} options
   * @returns {Preview} its close() ends it (onEnd(null))
   */
  openPreview(options) {
    const address = this.#url ? Promise.resolve(this.#url)
      : this.connect().then(() => /** @type {string} */ (this.#url));
    return openPreview(address, options);
  }

  // --- the session ---

  /**
   * Send one request object and resolve with the parsed answer, whatever
   * it says. Requests wait their turn: one is on the wire at a time.
   * @param {object} message
   * @returns {Promise<any>}
   */
  request(message) {
    return new Promise((resolve, reject) => {
      this.#queue.push({ text: JSON.stringify(message), resolve, reject });
      this.#pump();
    });
  }

  #pump() {
    if (this.#current || this.#queue.length === 0) return;
    if (!this.#ws) {
      // Calls made after a close() are not failed by an attempt it ended.
      const generation = this.#generation;
      this.#ensure(this.#retries).then(() => this.#pump(),
        (e) => { if (generation === this.#generation) this.#failAll(e); });
      return;
    }
    this.#current = this.#queue.shift() ?? null;
    try {
      this.#ws.send(/** @type {Call} */ (this.#current).text);
    } catch (e) {
      this.#lost(`Qoltanba: cannot send: ${e}`);
    }
  }

  #failAll(/** @type {Error} */ error) {
    const calls = this.#current ? [this.#current, ...this.#queue] : this.#queue;
    this.#current = null;
    this.#queue = [];
    for (const c of calls) c.reject(error);
  }

  // Connected, or connecting now with `retries` more passes over the addresses.
  #ensure(/** @type {number} */ retries) {
    if (this.#ws) return Promise.resolve();
    if (!this.#connecting) {
      const connecting = this.#open(retries).finally(() => {
        if (this.#connecting === connecting) this.#connecting = null;
      });
      this.#connecting = connecting;
    }
    return this.#connecting;
  }

  async #open(/** @type {number} */ retries) {
    const generation = this.#generation;
    /** @type {string[]} */
    const why = [];
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(this.#backoffMs * 2 ** (attempt - 1));
      for (const url of this.#urls) {
        if (generation !== this.#generation) break;
        let got;
        try {
          got = await this.#greet(url);
        } catch (e) {
          why.push(`${url}: ${/** @type {Error} */ (e).message}`);
          continue;
        }
        if (generation !== this.#generation) {
          got.ws.close(1000);
          break;
        }
        this.#attach(got.ws, url, got.version);
        return;
      }
      if (generation !== this.#generation)
        throw new QoltanbaError('connectionLost', 'Qoltanba: the page closed the connection');
    }
    throw new QoltanbaError('notRunning', `Qoltanba is not running (${why.join('; ')})`);
  }

  // Open one address and wait for {"result":{"version":…}}.
  #greet(/** @type {string} */ url) {
    return new Promise((resolve, reject) => {
      /** @type {WebSocket} */
      let ws;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        reject(e);
        return;
      }
      const fail = (/** @type {string} */ why) => {
        clearTimeout(timer);
        ws.onmessage = ws.onclose = null;
        try { ws.close(); } catch { /* closing a socket that is not open */ }
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail('no greeting in time'), this.#timeoutMs);
      ws.onerror = () => {};
      ws.onclose = (ev) => fail(`closed (${ev.code})`);
      ws.onmessage = (ev) => {
        let version;
        try {
          version = JSON.parse(ev.data).result.version;
        } catch {
          version = undefined;
        }
        if (typeof version !== 'string') {
          fail('not a Qoltanba or NCALayer greeting');
          return;
        }
        clearTimeout(timer);
        resolve({ ws, version });
      };
    });
  }

  #attach(/** @type {WebSocket} */ ws, /** @type {string} */ url, /** @type {string} */ version) {
    this.#ws = ws;
    this.#url = url;
    this.#version = version;
    this.#missed = 0;
    ws.onmessage = (ev) => this.#message(ev.data);
    ws.onclose = (ev) => this.#lost(`Qoltanba: the connection was lost (${ev.code})`,
      { closeCode: ev.code, reason: ev.reason });
    if (this.#heartbeatMs > 0)
      this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs);
  }

  #detach() {
    const ws = this.#ws;
    if (ws) ws.onmessage = ws.onclose = null;
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#ws = null;
  }

  #beat() {
    if (!this.#ws) return;
    if (this.#missed >= HEARTBEATS_MISSED_MAX) {
      const ws = this.#ws;
      this.#lost('Qoltanba: the daemon stopped answering heartbeats');
      ws.close();
      return;
    }
    this.#missed++;
    this.#ws.send(HEARTBEAT);
  }

  #message(/** @type {unknown} */ data) {
    if (typeof data !== 'string') return;
    if (data === HEARTBEAT) {
      this.#missed = 0;
      return;
    }
    const call = this.#current;
    if (!call) return;  // nothing asked: not ours to answer
    this.#current = null;
    let answer;
    try {
      answer = JSON.parse(data);
    } catch {
      call.reject(new QoltanbaError('failed', 'Qoltanba: an answer that is not JSON', { wire: data }));
      this.#pump();
      return;
    }
    call.resolve(answer);
    this.#pump();
  }

  #lost(/** @type {string} */ why, /** @type {unknown} */ wire = undefined) {
    this.#detach();
    this.#failAll(new QoltanbaError('connectionLost', why, { wire }));
  }
}
