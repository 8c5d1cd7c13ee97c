// Qoltanba's answers and close codes turned into one error type with
// stable codes. This is the only place that knows the wire's error forms
// (protocol/PROTOCOL.md, "Answer families" and "Errors").

/**
 * Stable error codes. Pages compare `error.code` with these; the wire's
 * own texts stay available in `error.wire`.
 *
 * @typedef {'canceledByUser' | 'originRefused' | 'notRunning' | 'connectionLost'
 *   | 'invalidArguments' | 'invalidData' | 'moduleNotFound' | 'unavailable' | 'internal'
 *   | 'storageUnknown' | 'storageEmpty' | 'fileNotFound' | 'keystoreCorrupt'
 *   | 'wrongPassword' | 'keyUnsupported' | 'keyMismatch' | 'signingFailed' | 'tspFailed'
 *   | 'uiUnavailable' | 'tokenLocked' | 'tokenRemoved' | 'tokenBusy' | 'invalidEnrollment' | 'csrFailed' | 'requestUnknown'
 *   | 'requestExpired' | 'certificateInvalid' | 'certificateKeyMismatch' | 'fileExists'
 *   | 'folderUnwritable' | 'passwordWeak' | 'importFailed' | 'noCamera' | 'cameraBusy'
 *   | 'cameraDenied' | 'cameraUnsupported' | 'cameraLost' | 'cameraFailed'
 *   | 'failed'} QoltanbaErrorCode
 */

/** An error from the daemon, the connection or the preview stream. */
export class QoltanbaError extends Error {
  /**
   * @param {QoltanbaErrorCode} code stable id, see QoltanbaErrorCode
   * @param {string} message for people
   * @param {object} [options]
   * @param {unknown} [options.wire] the raw answer (parsed JSON), or
   *   `{closeCode, reason}` for a closed socket; undefined when nothing came
   * @param {string} [options.detail] the wire's detail (an origin, a file, a reason)
   */
  constructor(code, message, { wire, detail } = {}) {
    super(message);
    this.name = 'QoltanbaError';
    /** @type {QoltanbaErrorCode} */
    this.code = code;
    /** @type {unknown} */
    this.wire = wire;
    /** @type {string | undefined} */
    this.detail = detail;
  }
}

// The invoker family's codes (basics, camera).
const INVOKER_CODES = {
  ORIGIN_REFUSED: 'originRefused',
  METHOD_UNAVAILABLE: 'unavailable',
  INTERNAL_ERROR: 'internal',
  GENERAL_ERROR: 'invalidArguments',
  INVOCATION_ERROR: 'invalidArguments',
  STORAGE_UNKNOWN: 'storageUnknown',
  STORAGE_EMPTY: 'storageEmpty',
  FILE_NOT_FOUND: 'fileNotFound',
  KEYSTORE_CORRUPT: 'keystoreCorrupt',
  WRONG_PASSWORD: 'wrongPassword',
  KEY_UNSUPPORTED: 'keyUnsupported',
  KEY_MISMATCH: 'keyMismatch',
  INVALID_SIGNING_PARAMS: 'invalidData',
  SIGNING_FAILURE: 'signingFailed',
  TSP_FAILURE: 'tspFailed',
  UI_UNAVAILABLE: 'uiUnavailable',
  TOKEN_LOCKED: 'tokenLocked',
  TOKEN_REMOVED: 'tokenRemoved',
  TOKEN_BUSY: 'tokenBusy',
  INVALID_ENROLLMENT_PARAMS: 'invalidEnrollment',
  CSR_GENERATING_FAILURE: 'csrFailed',
  REQUEST_UNKNOWN: 'requestUnknown',
  REQUEST_EXPIRED: 'requestExpired',
  INVALID_IMPORTING_CERTIFICATE: 'certificateInvalid',
  CERTIFICATE_KEY_MISMATCH: 'certificateKeyMismatch',
  FILE_EXISTS: 'fileExists',
  FOLDER_UNWRITABLE: 'folderUnwritable',
  PASSWORD_WEAK: 'passwordWeak',
  CERTIFICATE_IMPORTING_FAILURE: 'importFailed',
  NO_CAMERA: 'noCamera',
  CAMERA_BUSY: 'cameraBusy',
  CAMERA_DENIED: 'cameraDenied',
  CAMERA_UNSUPPORTED: 'cameraUnsupported',
  CAMERA_LOST: 'cameraLost',
  CAMERA_FAILED: 'cameraFailed',
  MODULE_NOT_FOUND: 'moduleNotFound',
};

// The common family's keys: the text before ':' in "message".
const COMMON_KEYS = {
  'action.canceled': 'canceledByUser',
  'origin.refused': 'originRefused',
  'method.unavailable': 'unavailable',
  'internal.error': 'internal',
  'json.invalid': 'invalidArguments',
  'storageName.param.empty': 'storageUnknown',
  'storage.unknown': 'storageUnknown',
  'storage.empty': 'storageEmpty',
  'file.not_found': 'fileNotFound',
  'keystore.corrupt': 'keystoreCorrupt',
  'password.wrong': 'wrongPassword',
  'key.unsupported': 'keyUnsupported',
  'key.mismatch': 'keyMismatch',
  'data.invalid': 'invalidData',
  'tsp.failed': 'tspFailed',
  'signing.failed': 'signingFailed',
  'ui.unavailable': 'uiUnavailable',
  'token.locked': 'tokenLocked',
  'token.removed': 'tokenRemoved',
  'token.busy': 'tokenBusy',
  'enroll.invalid': 'invalidEnrollment',
  'keygen.failed': 'csrFailed',
  'request.unknown': 'requestUnknown',
  'request.expired': 'requestExpired',
  'certificate.invalid': 'certificateInvalid',
  'certificate.key_mismatch': 'certificateKeyMismatch',
  'file.exists': 'fileExists',
  'folder.unwritable': 'folderUnwritable',
  'password.weak': 'passwordWeak',
  'import.failed': 'importFailed',
  'camera.none': 'noCamera',
  'camera.busy': 'cameraBusy',
  'camera.denied': 'cameraDenied',
  'camera.unsupported': 'cameraUnsupported',
  'camera.invalid': 'invalidArguments',
  'camera.lost': 'cameraLost',
  'camera.failed': 'cameraFailed',
};

// commonUtils messages without a key: NCALayer's own argument checks
// and, for XML, the parser's text itself.
const COMMON_PREFIXES = [
  ['JSONObject[', 'invalidArguments'],
  ['NoSuchMethodException', 'invalidArguments'],
  ['java.lang.IllegalArgumentException', 'invalidArguments'],
  ['org.xml.sax.', 'signingFailed'],
];

// The preview's close codes.
const CLOSE_CODES = {
  1008: 'originRefused',
  4001: 'noCamera',
  4002: 'cameraBusy',
  4003: 'cameraDenied',
  4004: 'cameraLost',
  4005: 'cameraFailed',
  4006: 'invalidArguments',
};

/**
 * The error for a failed commonUtils answer (`{"code":"500",…}`).
 * @param {any} answer
 * @returns {QoltanbaError}
 */
export function commonError(answer) {
  const text = typeof answer.message === 'string' ? answer.message : '';
  const colon = text.indexOf(':');
  const key = colon < 0 ? text : text.slice(0, colon);
  const detail = colon < 0 ? undefined : text.slice(colon + 1).trim();
  let code = Object.hasOwn(COMMON_KEYS, key) ? COMMON_KEYS[key] : undefined;
  for (const [prefix, c] of COMMON_PREFIXES)
    if (!code && text.startsWith(prefix))
      code = c;
  // {"code":"500"} alone is NCALayer's answer to an empty hash.
  if (!code && text === '' && answer.code === '500')
    code = 'invalidData';
  if (!code)
    return new QoltanbaError('failed', `Qoltanba: ${answer.code}: ${text}`, { wire: answer, detail });
  return new QoltanbaError(code, text || 'Qoltanba: the data to sign is not valid', { wire: answer, detail });
}

/**
 * The error for any answer that is not a success, in any family.
 * @param {any} answer
 * @returns {QoltanbaError}
 */
export function answerError(answer) {
  if (answer === null || typeof answer !== 'object')
    return new QoltanbaError('failed', 'Qoltanba: an answer that is not a JSON object', { wire: answer });
  if (answer.status === true)  // invoker, {"body":{}}
    return new QoltanbaError('canceledByUser', 'The user cancelled the operation.', { wire: answer });
  if (answer.status === false) {
    const code = Object.hasOwn(INVOKER_CODES, answer.code) ? INVOKER_CODES[answer.code] : 'failed';
    const text = `${answer.message ?? ''}${answer.details ? ` (${answer.details})` : ''}`;
    return new QoltanbaError(code, code === 'failed' ? `Qoltanba: ${answer.code}: ${text}` : text,
      { wire: answer, detail: answer.details });
  }
  if (answer.success === false) {  // bare
    const code = Object.hasOwn(INVOKER_CODES, answer.errorCode) ? INVOKER_CODES[answer.errorCode] : 'failed';
    return new QoltanbaError(code, `Qoltanba: ${answer.errorCode}`, { wire: answer });
  }
  if (typeof answer.code === 'string')
    return commonError(answer);
  // The applet family, which this client never asks for.
  return new QoltanbaError('failed', `Qoltanba: ${answer.errorCode ?? 'unknown'}: ${answer.message ?? ''}`,
    { wire: answer });
}

/**
 * The error for a preview socket closed by the daemon, or null when the
 * close is not an error.
 * @param {number} closeCode
 * @param {string} reason `<key>: <detail>`
 * @param {boolean} opened whether the socket had opened
 * @returns {QoltanbaError | null}
 */
export function previewCloseError(closeCode, reason, opened) {
  const wire = { closeCode, reason };
  if (Object.hasOwn(CLOSE_CODES, closeCode)) {
    let code = CLOSE_CODES[closeCode];
    if (closeCode === 4006 && reason.startsWith('camera.unsupported'))
      code = 'cameraUnsupported';
    const colon = reason.indexOf(':');
    return new QoltanbaError(code, reason || `Qoltanba: preview closed with ${closeCode}`,
      { wire, detail: colon < 0 ? undefined : reason.slice(colon + 1).trim() });
  }
  if (closeCode === 1000)
    return null;
  if (!opened)
    return new QoltanbaError('notRunning', 'Qoltanba is not running: the preview could not connect', { wire });
  return new QoltanbaError('connectionLost', `Qoltanba: the preview connection was lost (${closeCode})`, { wire });
}
