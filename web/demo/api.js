// The demo portal's JSON API (web/portal/API.md), one function per call.
// A failure rejects with a PortalError whose `code` is the portal's code
// (or NETWORK when the portal did not answer) and whose `details` hold
// the members the portal put next to it (attemptsLeft, retryAfter, stage,
// reason, …).

export class PortalError extends Error {
  constructor(code, message, status = 0, details = {}) {
    super(message);
    this.name = 'PortalError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

async function call(method, path, body) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api/${path}`, init);
  } catch (e) {
    throw new PortalError('NETWORK', `the portal did not answer: ${e}`);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = data && typeof data.error === 'object' && data.error ? data.error : {};
    const { code, message, ...details } = err;
    throw new PortalError(typeof code === 'string' ? code : `HTTP_${res.status}`,
      typeof message === 'string' ? message : res.statusText, res.status, details);
  }
  if (!data || typeof data !== 'object')
    throw new PortalError('INTERNAL', 'the portal answered with something that is not a JSON object', res.status);
  return data;
}

const get = (path) => call('GET', path);
const post = (path, body = {}) => call('POST', path, body);

export const api = {
  config: () => get('config'),
  citizens: () => get('demo/citizens'),
  state: () => get('state'),
  start: (lang) => post('start', { lang }),
  resume: (iin, pin) => post('resume', { iin, pin }),
  iin: (iin) => post('iin', { iin }),
  code: (code) => post('code', { code }),
  resend: () => post('code/resend'),
  inbox: () => get('inbox'),
  identPhone: (phone) => post('ident/phone', { phone }),
  identCode: (code) => post('ident/code', { code }),
  selfie: (image) => post('selfie', { image }),
  videoPrompts: () => get('video/prompts'),
  video: (video, prompts) => post('video', { video, prompts }),
  pin: (pin) => post('pin', { pin }),
  document: (side, image) => post('document', { side, image }),
  recognised: () => get('recognised'),
  confirm: (fields) => post('confirm', fields),
  consent: () => post('consent', { consent: true }),
  agreement: () => get('agreement'),
  acceptAgreement: (version) => post('agreement', { accepted: true, version }),
  application: (email, storage) => post('application', { email, storage }),
  request: (csr, requestId) => post('request', { csr, requestId }),
  certificate: () => get('certificate'),
  installed: (fileName, keyId) => post('installed', { fileName, keyId }),
  sample: () => get('sample'),
  verify: (body) => post('verify', body),
};
