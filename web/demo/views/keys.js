// The end of the walk: Qoltanba asks for the password and writes the key
// file, the certificates are downloaded, and the new key signs a sample.
import { api } from '../api.js';
import { h, details, dateEl, statusLine, store, utf8Base64, PageError } from '../ui.js';
import { connected } from '../daemon.js';
import { nextButton, actions } from './common.js';

function keyFilePath(inst) {
  if (!inst) return null;
  if (inst.file) return inst.file;
  if (inst.folder && inst.fileName) return `${inst.folder.replace(/\/+$/, '')}/${inst.fileName}`;
  return inst.fileName ?? null;
}

async function issuedCertificate() {
  const known = store.get('certificate');
  if (known && known.certificate) return known;
  const r = await api.certificate();
  if (r.status !== 'issued') throw new PageError('CERT_NOT_READY', { readyIn: r.readyIn });
  const cert = {
    certificate: r.certificate, chain: Array.isArray(r.chain) ? r.chain : [],
    serial: r.serial, notBefore: r.notBefore, notAfter: r.notAfter,
  };
  store.set('certificate', cert);
  return cert;
}

// The pending key request this application's certificate is for: the one
// made in this browser, or else the newest one Qoltanba keeps for this site.
async function pendingRequestId(q) {
  const kr = store.get('keyRequest');
  if (kr && kr.requestId) return kr.requestId;
  const list = await q.listRequests();
  const live = (Array.isArray(list) ? list : []).filter((r) => !r.expired);
  if (!live.length) throw new PageError('requestUnknown');
  return live[live.length - 1].requestId;
}

function password(ctx) {
  const installed = ctx.stage === 'installed';
  const save = h('button', { type: 'button', id: 'save-keys', class: 'button primary', t: 'pw.save', disabled: installed });
  // Shown only when the keys were saved before (the person came Back):
  // saving them leads on by itself.
  const next = nextButton('common.continue', { hidden: !installed, on: { click: () => ctx.go('download') } });
  const status = statusLine();
  if (installed) status.show('pw.doneEarlier', {}, 'ok');

  save.addEventListener('click', () => {
    status.show('pw.waiting');
    ctx.act(async () => {
      let inst = store.get('installed');
      if (!inst) {
        const cert = await issuedCertificate();
        const q = await connected();
        const requestId = await pendingRequestId(q);
        const res = await q.importCertificate({
          requestId, certificate: cert.certificate, chain: cert.chain, locale: ctx.lang,
        });
        inst = { file: res.file, fileName: res.fileName, folder: res.folder, keyId: res.keyId };
        store.set('installed', inst);
      }
      const r = await api.installed(inst.fileName, inst.keyId);
      ctx.setStage(typeof r.stage === 'string' ? r.stage : 'installed');
      ctx.go('download');
    }, { button: save }).then((ok) => { if (!ok) status.clear(); });
  });

  return ctx.frame('pw.title',
    h('p', { class: 'lead', t: 'pw.lead' }),
    h('div', { class: 'card' },
      h('h2', { t: 'pw.rulesTitle' }),
      h('ul', { class: 'rules' },
        h('li', { t: 'pw.rule1' }), h('li', { t: 'pw.rule2' }), h('li', { t: 'pw.rule3' }), h('li', { t: 'pw.rule4' }))),
    h('p', { t: 'pw.twice' }),
    h('p', { class: 'notice', t: 'pw.remember' }),
    actions(save),
    status.el,
    actions(next));
}

function download(ctx) {
  const inst = store.get('installed');
  const path = keyFilePath(inst);
  const certInfo = h('div', {});
  const showCert = (c) => certInfo.replaceChildren(details([
    ['dl.serial', h('code', { class: 'path' }, c.serial ?? '—')],
    ['dl.from', dateEl('span', c.notBefore, true)],
    ['dl.to', dateEl('span', c.notAfter, true)],
  ]));
  const known = store.get('certificate');
  if (known) showCert(known);
  else ctx.act(async () => showCert(await issuedCertificate()));

  const next = nextButton('common.continue', { on: { click: () => ctx.go('congratulations') } });
  return ctx.frame('dl.title',
    h('p', { class: 'lead', t: 'dl.lead' }),
    h('div', { class: 'card' },
      h('h2', { t: 'dl.keyFile' }),
      path ? h('p', {}, h('code', { class: 'path', id: 'key-file' }, path)) : h('p', { t: 'dl.unknownFile' }),
      h('p', { class: 'hint', t: 'dl.keyHint' })),
    h('div', { class: 'card' },
      h('h2', { t: 'dl.certTitle' }),
      certInfo,
      h('ul', { class: 'downloads' },
        h('li', {}, h('a', { href: '/api/files/certificate.cer', download: 'certificate.cer', id: 'download-certificate' },
          h('span', { t: 'dl.cert' }), ' ', h('span', { class: 'hint' }, '(certificate.cer)'))),
        h('li', {}, h('a', { href: '/api/files/ca.cer', download: 'ca.cer', id: 'download-ca' },
          h('span', { t: 'dl.ca' }), ' ', h('span', { class: 'hint' }, '(ca.cer)'))))),
    actions(next));
}

function congratulations(ctx) {
  const next = nextButton('congr.next', { on: { click: () => ctx.go('sign') } });
  return ctx.frame('congr.title',
    h('div', { class: 'result ok' },
      h('span', { class: 'result-icon', 'aria-hidden': 'true' }, '✓'),
      h('div', {}, h('p', { class: 'result-title', t: 'congr.lead' }))),
    h('h2', { t: 'congr.usesTitle' }),
    h('ul', {}, h('li', { t: 'congr.use1' }), h('li', { t: 'congr.use2' }), h('li', { t: 'congr.use3' })),
    h('p', { class: 'notice' }, h('span', { class: 'badge', t: 'app.demoLabel' }), ' ', h('span', { t: 'congr.demo' })),
    actions(next));
}

// A PEM-armoured CMS as bare base64.
function pemBody(text) {
  return String(text).split('\n').filter((l) => !l.startsWith('-----')).join('').replace(/\s+/g, '');
}

function sign(ctx) {
  let sample = null;
  const textDoc = h('pre', { class: 'doc-text', tabindex: '0', 'aria-labelledby': 'sample-text-title' });
  const xmlDoc = h('pre', { class: 'doc-xml', tabindex: '0', 'aria-labelledby': 'sample-xml-title' });
  const cmsBtn = h('button', { type: 'button', id: 'sign-cms', class: 'button primary', t: 'sign.cms', disabled: true });
  const xmlBtn = h('button', { type: 'button', id: 'sign-xml', class: 'button primary', t: 'sign.xml', disabled: true });
  const cmsSlot = h('div', {});
  const xmlSlot = h('div', {});

  ctx.act(async () => {
    sample = await api.sample();
    textDoc.textContent = sample.text ?? '';
    xmlDoc.textContent = sample.xml ?? '';
    cmsBtn.disabled = false;
    xmlBtn.disabled = false;
  });

  const resultCard = (format, v) => {
    const s = v.signer ?? {};
    return h('section', { class: 'result-card', dataset: { result: format }, 'aria-labelledby': `result-${format}-title` },
      h('h3', { id: `result-${format}-title` },
        h('span', { class: 'result-icon small', 'aria-hidden': 'true' }, '✓'), ' ',
        h('span', { t: format === 'cms' ? 'sign.cmsDone' : 'sign.xmlDone' })),
      h('p', { t: v.valid ? 'sign.valid' : 'sign.invalid' }),
      details([
        ['sign.cn', h('span', { dataset: { field: 'cn' } }, s.cn ?? '—')],
        ['sign.iin', h('span', { dataset: { field: 'iin' } }, s.iin ?? '—')],
        ['sign.serial', h('code', { class: 'path', dataset: { field: 'serial' } }, s.serial ?? '—')],
        ['sign.issuer', h('span', { dataset: { field: 'issuer' } }, s.issuer ?? '—')],
        ['sign.validity', h('span', { dataset: { field: 'validity' } },
          dateEl('span', s.notBefore), ' – ', dateEl('span', s.notAfter))],
        ['sign.time', v.signingTime ? dateEl('span', v.signingTime, true) : h('span', { t: 'sign.noTime' })],
      ]));
  };

  cmsBtn.addEventListener('click', () => ctx.act(async () => {
    cmsSlot.replaceChildren();
    const q = await connected();
    const [signature] = await q.sign({
      format: 'cms', data: utf8Base64(sample.text ?? ''),
      signingParams: { decode: true, encapsulate: true }, signerParams: { extKeyUsageOids: [] },
      locale: ctx.lang,
    });
    const v = await api.verify({ format: 'cms', signature: pemBody(signature) });
    cmsSlot.replaceChildren(resultCard('cms', v));
  }, { button: cmsBtn }));

  xmlBtn.addEventListener('click', () => ctx.act(async () => {
    xmlSlot.replaceChildren();
    const q = await connected();
    const [signed] = await q.sign({
      format: 'xml', data: sample.xml ?? '', signingParams: {}, signerParams: { extKeyUsageOids: [] },
      locale: ctx.lang,
    });
    const v = await api.verify({ format: 'xml', signature: signed });
    xmlSlot.replaceChildren(resultCard('xml', v));
  }, { button: xmlBtn }));

  const next = nextButton('sign.finish', { on: { click: () => ctx.go('home') } });
  return ctx.frame('sign.title',
    h('p', { class: 'lead', t: 'sign.lead' }),
    h('div', { class: 'sign-grid' },
      h('section', { class: 'card', 'aria-labelledby': 'sample-text-title' },
        h('h2', { id: 'sample-text-title', t: 'sign.textTitle' }),
        textDoc, actions(cmsBtn), cmsSlot),
      h('section', { class: 'card', 'aria-labelledby': 'sample-xml-title' },
        h('h2', { id: 'sample-xml-title', t: 'sign.xmlTitle' }),
        xmlDoc, actions(xmlBtn), xmlSlot)),
    actions(next));
}

export default {
  password: { render: password },
  download: { render: download },
  congratulations: { render: congratulations },
  sign: { render: sign },
};
