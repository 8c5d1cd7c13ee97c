// NCA's pages: consent, the user agreement, the application (e-mail and
// storage), the key pair made by Qoltanba, the request and its status.
import { api } from '../api.js';
import { h, field, details, statusLine, store, PageError, busyStart, busyEnd } from '../ui.js';
import { connected } from '../daemon.js';
import { nextButton, actions } from './common.js';

const AFTER_REQUEST = ['requested', 'issued', 'installed'];

function checkbox(id, key) {
  const input = h('input', { type: 'checkbox', id, name: id });
  return { input, el: h('div', { class: 'check' }, input, h('label', { for: id, t: key })) };
}

function consent(ctx) {
  const box = checkbox('consent-check', 'consent.check');
  const next = nextButton('common.continue', { type: 'submit' });
  const form = h('form', { class: 'form', novalidate: true }, box.el, actions(next));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.act(async () => {
      if (!box.input.checked) throw new PageError('CONSENT_REQUIRED');
      const r = await api.consent();
      ctx.goStage(typeof r.stage === 'string' ? r.stage : 'consented');
    }, { button: next, fields: [box.input] });
  });
  return ctx.frame('consent.title',
    h('p', { class: 'lead', t: 'consent.lead' }),
    h('ul', {},
      h('li', { t: 'consent.item1' }), h('li', { t: 'consent.item2' }), h('li', { t: 'consent.item3' }),
      h('li', { t: 'consent.item4' })),
    h('p', { t: 'consent.purpose' }),
    form);
}

function agreement(ctx) {
  const title = h('h2', { id: 'agreement-doc-title' });
  const version = h('p', { class: 'hint' });
  const text = h('div', {
    class: 'agreement-text', tabindex: '0', role: 'region', 'aria-labelledby': 'agreement-doc-title',
  }, h('p', { class: 'hint', t: 'agr.loading' }));
  const box = checkbox('agreement-check', 'agr.check');
  const next = nextButton('agr.next', { type: 'submit', disabled: true });
  let current = null;

  const load = async () => {
    const r = await api.agreement();
    current = r.version;
    title.textContent = r.title ?? '';
    version.replaceChildren(h('span', { t: 'agr.version', args: { version: r.version ?? '' } }));
    text.replaceChildren(...(Array.isArray(r.paragraphs) ? r.paragraphs : []).map((p) => h('p', {}, p)));
    next.disabled = false;
  };
  ctx.act(load);

  const form = h('form', { class: 'form', novalidate: true }, box.el, actions(next));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.act(async () => {
      if (!box.input.checked) throw new PageError('CONSENT_REQUIRED');
      try {
        const r = await api.acceptAgreement(current);
        ctx.goStage(typeof r.stage === 'string' ? r.stage : 'agreed');
      } catch (e) {
        // A newer agreement: show it, and ask again.
        if (e.code === 'AGREEMENT_VERSION') {
          box.input.checked = false;
          await load().catch(() => {});
        }
        throw e;
      }
    }, { button: next, fields: (code) => (code === 'CONSENT_REQUIRED' || code === 'AGREEMENT_VERSION' ? [box.input] : []) });
  });
  return ctx.frame('agr.title',
    h('p', { class: 'lead', t: 'agr.lead' }),
    title, version, text, form);
}

const TOKENS = ['AKKaztokenStore', 'AKKZIDCardStore', 'AKEToken72KStore', 'AKEToken5110Store', 'AKJaCartaStore', 'AKAKEYStore'];

function application(ctx) {
  const email = field({ id: 'email', label: 'field.email', hint: 'field.emailHint', type: 'email', autocomplete: 'email', spellcheck: 'false' });
  const radio = (id, value, key, hint, attrs = {}) => {
    const input = h('input', { type: 'radio', id, name: 'storage', value, 'aria-describedby': hint ? `${id}-hint` : undefined, ...attrs });
    return h('div', { class: 'check' }, input,
      h('label', { for: id }, h('span', { t: key }), hint ? h('span', { id: `${id}-hint`, class: 'hint block', t: hint }) : null));
  };
  const tokenSlot = h('div', { class: 'token-slot' },
    radio('storage-token', '', 'appl.token', 'appl.tokensLooking', { disabled: true }));
  const next = nextButton('appl.next', { type: 'submit' });
  const storage = h('fieldset', {},
    h('legend', { t: 'appl.storage' }),
    radio('storage-pkcs12', 'PKCS12', 'appl.pkcs12', 'appl.pkcs12Hint', { checked: true }),
    tokenSlot);
  const form = h('form', { class: 'form', novalidate: true }, email.el, storage, actions(next));

  ctx.act(async () => {
    const st = await api.state();
    if (st.email && !email.input.value) email.input.value = st.email;
  });

  // The tokens plugged in, as Qoltanba sees them. Without Qoltanba the
  // choice stays off; the key file needs no token.
  busyStart();
  connected().then((q) => q.getActiveTokens()).then((tokens) => {
    const found = (Array.isArray(tokens) ? tokens : []).filter((x) => TOKENS.includes(x));
    if (found.length === 0) {
      tokenSlot.replaceChildren(radio('storage-token', '', 'appl.token', 'appl.noToken', { disabled: true }));
      return;
    }
    tokenSlot.replaceChildren(...found.map((name) => radio(`storage-${name}`, name, `token.${name}`, 'appl.tokenHint')));
  }, () => {
    tokenSlot.replaceChildren(radio('storage-token', '', 'appl.token', 'appl.tokensUnknown', { disabled: true }));
  }).finally(busyEnd);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.act(async () => {
      const e = email.input.value.trim();
      if (!e) throw new PageError('EMAIL_INVALID');
      const chosen = form.querySelector('input[name="storage"]:checked');
      if (!chosen || !chosen.value) throw new PageError('STORAGE_INVALID');
      const r = await api.application(e, chosen.value);
      store.set('csrArgs', r.csr ?? null);
      store.set('keyRequest', null);
      ctx.goStage(typeof r.stage === 'string' ? r.stage : 'applied');
    }, {
      button: next,
      fields: (code) => (code === 'EMAIL_INVALID' ? [email.input]
        : code === 'STORAGE_INVALID' ? [...form.querySelectorAll('input[name="storage"]')] : []),
    });
  });

  return ctx.frame('appl.title', h('p', { class: 'lead', t: 'appl.lead' }), form);
}

function keyRequestDetails(kr) {
  return details([
    ['folder.folder', h('code', { class: 'path' }, kr.folder ?? '')],
    ['folder.file', h('code', { class: 'path' }, kr.fileName ?? '')],
  ]);
}

function folder(ctx) {
  const done = AFTER_REQUEST.includes(ctx.stage);
  const choose = h('button', { type: 'button', id: 'choose-folder', class: 'button primary', t: 'folder.choose', disabled: done });
  const result = h('div', { class: 'card', hidden: true });
  const next = nextButton('common.continue', { disabled: true, on: { click: () => ctx.go('request') } });
  const status = statusLine();

  const show = (kr) => {
    result.replaceChildren(h('h2', { t: 'folder.done' }), keyRequestDetails(kr), h('p', { class: 'hint', t: 'folder.pending' }));
    result.hidden = false;
    next.disabled = false;
  };
  const known = store.get('keyRequest');
  if (known) show(known);
  if (done) status.show('folder.submitted', {}, 'ok');

  choose.addEventListener('click', () => ctx.act(async () => {
    let args = store.get('csrArgs');
    if (!args) {
      // Another browser: the application is known, the arguments are asked again.
      const st = await api.state();
      const r = await api.application(st.email ?? '', st.storage ?? 'PKCS12');
      args = r.csr;
      store.set('csrArgs', args);
    }
    const q = await connected();
    const res = await q.generateCsr({ ...args, locale: ctx.lang });
    const kr = {
      requestId: res.requestId, csr: res.csr, keyId: res.keyId, fileName: res.fileName,
      folder: res.folder, subject: res.subject, algorithm: res.algorithm,
    };
    store.set('keyRequest', kr);
    show(kr);
    next.focus();
  }, { button: choose }));

  return ctx.frame('folder.title',
    h('p', { class: 'lead', t: 'folder.lead' }),
    h('ol', { class: 'how-list' }, h('li', { t: 'folder.how1' }), h('li', { t: 'folder.how2' }), h('li', { t: 'folder.how3' })),
    actions(choose),
    status.el,
    result,
    actions(next));
}

function algorithmName(a) {
  if (a === 'GOST512') return 'GOST 34.10-2015 512';
  if (a === 'RSA2048') return 'RSA 2048';
  return a ?? '—';
}

function request(ctx) {
  const kr = store.get('keyRequest');
  const done = AFTER_REQUEST.includes(ctx.stage);
  const submit = h('button', { type: 'button', id: 'submit-request', class: 'button primary', t: 'req.submit', disabled: !kr || done });
  // Shown only when the request was submitted before (the person came
  // Back): submitting leads on by itself.
  const next = nextButton('common.continue', { hidden: !done, on: { click: () => ctx.go('refresh') } });
  const status = statusLine();
  if (done) status.show('req.done', {}, 'ok');

  submit.addEventListener('click', () => ctx.act(async () => {
    const r = await api.request(kr.csr, kr.requestId);
    ctx.setStage(typeof r.stage === 'string' ? r.stage : 'requested');
    store.set('readyIn', r.readyIn ?? null);
    ctx.go('refresh');
  }, { button: submit }));

  const body = kr
    ? h('div', { class: 'card' }, details([
      ['req.subject', h('span', { class: 'dn' }, kr.subject ?? '')],
      ['req.algorithm', algorithmName(kr.algorithm)],
      ['req.keyId', h('code', { class: 'path' }, kr.keyId ?? '')],
      ['req.file', h('code', { class: 'path' }, `${kr.folder ?? ''}/${kr.fileName ?? ''}`)],
    ]))
    : h('div', { class: 'notice' }, h('p', { t: 'req.noKey' }),
      h('button', { type: 'button', class: 'link-button', t: 'req.toFolder', on: { click: () => ctx.go('folder') } }));

  return ctx.frame('req.title',
    h('p', { class: 'lead', t: 'req.lead' }),
    body,
    actions(submit),
    status.el,
    actions(next));
}

function refresh(ctx) {
  const issued = ['issued', 'installed'].includes(ctx.stage);
  const button = h('button', { type: 'button', id: 'refresh', class: 'button primary', t: 'refresh.refresh' });
  const next = nextButton('common.continue', { disabled: !issued, on: { click: () => ctx.go('password') } });
  const status = statusLine();
  let timer = null;
  ctx.onCleanup(() => clearTimeout(timer));
  if (issued) status.show('refresh.issued', {}, 'ok');
  else {
    const readyIn = store.get('readyIn');
    status.show(readyIn ? 'refresh.waitFirst' : 'refresh.intro', { readyIn });
  }

  const check = () => {
    clearTimeout(timer);
    timer = null;
    return ctx.act(async () => {
      const r = await api.certificate();
      if (r.status === 'issued') {
        store.set('certificate', {
          certificate: r.certificate, chain: Array.isArray(r.chain) ? r.chain : [],
          serial: r.serial, notBefore: r.notBefore, notAfter: r.notAfter,
        });
        ctx.setStage(typeof r.stage === 'string' ? r.stage : 'issued');
        status.show('refresh.issued', {}, 'ok');
        button.dataset.keepDisabled = '1';
        next.disabled = false;
        next.focus();
      } else {
        // Still being made: look again when the portal says it will be
        // ready (the button stays for the impatient).
        const readyIn = Math.min(30, Math.max(1, Math.ceil(Number(r.readyIn) || 1)));
        status.show('refresh.processing', { readyIn });
        timer = setTimeout(() => { if (ctx.alive()) check(); }, readyIn * 1000);
      }
    }, { button });
  };
  button.disabled = issued;
  button.addEventListener('click', check);

  return ctx.frame('refresh.title',
    h('p', { class: 'lead', t: 'refresh.lead' }),
    status.el,
    actions(button, next));
}

export default {
  consent: { render: consent },
  agreement: { render: agreement },
  application: { render: application },
  folder: { render: folder },
  request: { render: request },
  refresh: { render: refresh },
};
