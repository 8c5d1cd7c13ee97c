// egov.kz's first steps: the service page, the IIN, the SMS code, and the
// dead end for a citizen without a registered phone.
import { api } from '../api.js';
import { h, field, store, PageError, busyStart, busyEnd } from '../ui.js';
import { nextButton, actions, digits, codeForm } from './common.js';

function home(ctx) {
  const start = h('button', { type: 'button', id: 'start', class: 'button primary', t: 'home.start' });
  start.addEventListener('click', () => ctx.act(async () => {
    const r = await api.start(ctx.lang);
    store.clear();
    ctx.goStage(typeof r.stage === 'string' ? r.stage : 'started');
  }, { button: start }));

  const iin = field({
    id: 'resume-iin', label: 'field.iin', hint: 'field.iinHint', inputmode: 'numeric',
    autocomplete: 'off', maxlength: '12', spellcheck: 'false',
  });
  const pin = field({
    id: 'resume-pin', label: 'field.pin', hint: 'field.pinHint', type: 'password',
    inputmode: 'numeric', autocomplete: 'off', maxlength: '6',
  });
  const resume = h('button', { type: 'submit', id: 'resume', class: 'button secondary', t: 'home.resume' });
  const form = h('form', { class: 'card form', novalidate: true, 'aria-labelledby': 'resume-title' },
    h('h2', { id: 'resume-title', t: 'home.resumeTitle' }),
    h('p', { t: 'home.resumeLead' }),
    iin.el, pin.el, actions(resume));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.act(async () => {
      const i = digits(iin.input.value);
      const p = digits(pin.input.value);
      if (!/^\d{12}$/.test(i)) throw new PageError('IIN_INVALID');
      if (!/^\d{6}$/.test(p)) throw new PageError('PIN_INVALID');
      const r = await api.resume(i, p);
      store.clear();
      ctx.goStage(r.stage);
    }, {
      button: resume,
      fields: (code) => (code === 'IIN_INVALID' ? [iin.input]
        : code === 'PIN_INVALID' || code === 'PIN_WRONG' ? [pin.input] : [iin.input, pin.input]),
    });
  });

  const need = (key) => h('li', { t: key });
  const inProgress = ctx.stage && ctx.stage !== 'phone-unregistered' && ctx.stage !== 'moderation';
  const goOn = inProgress
    ? h('p', { class: 'notice' }, h('span', { t: 'home.inProgress' }), ' ',
      h('button', { type: 'button', id: 'continue-current', class: 'link-button', t: 'home.inProgressGo',
        on: { click: () => ctx.goStage(ctx.stage) } }))
    : null;

  return ctx.frame('home.title',
    h('p', { class: 'lead', t: 'home.lead' }),
    goOn,
    h('div', { class: 'card' },
      h('h2', { t: 'home.needTitle' }),
      h('ul', { class: 'need-list' },
        need('home.needId'),
        need('home.needPhone'),
        need('home.needCamera'),
        need('home.needQoltanba')),
      h('p', { class: 'hint', t: 'home.time' }),
      h('h2', { t: 'home.howTitle' }),
      h('ol', { class: 'how-list' },
        h('li', { t: 'home.how1' }), h('li', { t: 'home.how2' }), h('li', { t: 'home.how3' }),
        h('li', { t: 'home.how4' })),
      actions(start)),
    form);
}

function citizensHint(ctx, input) {
  const body = h('div', {}, h('p', { class: 'hint', t: 'demo.loading' }));
  const box = h('section', { class: 'card demo-data', 'aria-labelledby': 'demo-data-title' },
    h('h2', { id: 'demo-data-title' }, h('span', { class: 'badge', t: 'app.demoLabel' }), ' ', h('span', { t: 'demo.title' })),
    h('p', { t: 'demo.lead' }),
    body);
  busyStart();
  api.citizens().then((data) => {
    const rows = (Array.isArray(data.citizens) ? data.citizens : []).map((c) => h('tr', {},
      h('td', {}, h('span', { class: 'mono' }, c.iin)),
      h('td', {}, c.name),
      h('td', {}, c.phone ? c.phone : h('span', { t: 'demo.noPhone' })),
      h('td', { lang: 'en' }, c.note ?? ''),
      h('td', {}, h('button', {
        type: 'button', class: 'button small', dataset: { iin: c.iin },
        on: { click: () => { input.value = c.iin; input.focus(); } },
      }, h('span', { t: 'demo.use' }), h('span', { class: 'visually-hidden' }, ` ${c.iin}`)))));
    body.replaceChildren(h('div', { class: 'table-wrap' },
      h('table', {},
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', t: 'demo.iin' }), h('th', { scope: 'col', t: 'demo.name' }),
          h('th', { scope: 'col', t: 'demo.phone' }), h('th', { scope: 'col', t: 'demo.note' }),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', t: 'demo.action' })))),
        h('tbody', {}, rows))));
  }, () => body.replaceChildren(h('p', { class: 'hint', t: 'demo.unavailable' }))).finally(busyEnd);
  return box;
}

function iin(ctx) {
  const f = field({
    id: 'iin', label: 'field.iin', hint: 'field.iinHint', inputmode: 'numeric', autocomplete: 'off',
    maxlength: '12', spellcheck: 'false',
  });
  const next = nextButton('iin.next', { type: 'submit' });
  const form = h('form', { class: 'form', novalidate: true }, f.el, actions(next));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.act(async () => {
      const v = digits(f.input.value);
      if (!/^\d{12}$/.test(v)) throw new PageError('IIN_INVALID');
      const r = await api.iin(v);
      if (r.stage === 'code-sent') store.set('login', { maskedPhone: r.maskedPhone, codeTtl: r.codeTtl });
      ctx.goStage(r.stage);
    }, { button: next, fields: [f.input] });
  });
  return ctx.frame('iin.title',
    h('p', { class: 'lead', t: 'iin.lead' }),
    form,
    citizensHint(ctx, f.input));
}

function phoneUnregistered(ctx) {
  const again = h('button', { type: 'button', id: 'start-over', class: 'button primary', t: 'common.startOver',
    on: { click: () => ctx.go('home') } });
  return ctx.frame('unreg.title',
    h('p', { class: 'lead', t: 'unreg.lead' }),
    h('div', { class: 'card' },
      h('h2', { t: 'unreg.howTitle' }),
      h('ul', {},
        h('li', { t: 'unreg.egov' }),
        h('li', { t: 'unreg.con' })),
      h('p', { t: 'unreg.after' })),
    actions(again));
}

function code(ctx) {
  const lead = h('p', { class: 'lead' });
  const known = store.get('login');
  const showLead = (info) => {
    const minutes = Math.max(1, Math.round((Number(info?.codeTtl) || 300) / 60));
    if (info?.maskedPhone) lead.replaceChildren(h('span', { t: 'code.lead', args: { phone: info.maskedPhone, minutes } }));
    else lead.replaceChildren(h('span', { t: 'code.leadNoPhone', args: { minutes } }));
  };
  showLead(known);
  if (!known?.maskedPhone) {
    ctx.act(async () => {
      const st = await api.state();
      showLead({ maskedPhone: st.maskedPhone });
    });
  }
  const { form } = codeForm(ctx, {
    inputId: 'code',
    async confirm(v) {
      const r = await api.code(v);
      if (r.person) store.set('person', r.person);
      ctx.goStage(typeof r.stage === 'string' ? r.stage : 'signed-in');
    },
  });
  ctx.phone.awaitCode(true);
  return ctx.frame('code.title', lead, form, h('p', { class: 'hint', t: 'code.phoneHint' }));
}

export default {
  home: { render: home },
  iin: { render: iin },
  'phone-unregistered': { render: phoneUnregistered },
  code: { render: code },
};

