// The recognised card data, the register check and its two outcomes, and
// the SMS that tells the person the result.
import { api } from '../api.js';
import { h, field, details, dateEl, store, PageError } from '../ui.js';
import { nextButton, actions } from './common.js';

function recognised(ctx) {
  const surname = field({ id: 'f-surname', label: 'field.surname', autocomplete: 'family-name' });
  const given = field({ id: 'f-given', label: 'field.given', autocomplete: 'given-name' });
  const patronymic = field({ id: 'f-patronymic', label: 'field.patronymic', hint: 'field.patronymicHint', autocomplete: 'additional-name' });
  const birth = field({ id: 'f-birth', label: 'field.birth', type: 'date', autocomplete: 'bday' });
  const docno = field({ id: 'f-docno', label: 'field.docno', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false' });
  const card = h('div', { class: 'card-data' });
  const next = nextButton('rec.next', { type: 'submit', disabled: true });
  const form = h('form', { class: 'form', novalidate: true },
    h('fieldset', {},
      h('legend', { t: 'rec.editable' }),
      surname.el, given.el, patronymic.el, birth.el, docno.el),
    h('h2', { t: 'rec.fromCard' }),
    card,
    actions(next));

  ctx.act(async () => {
    const r = await api.recognised();
    surname.input.value = r.surname ?? '';
    given.input.value = r.givenName ?? '';
    patronymic.input.value = r.patronymic ?? '';
    birth.input.value = r.birthDate ?? '';
    docno.input.value = r.documentNumber ?? '';
    card.replaceChildren(details([
      ['rec.issued', dateEl('span', r.issued)],
      ['rec.expires', dateEl('span', r.expires)],
      ['rec.authority', r.authority ?? '—'],
    ]));
    next.disabled = false;
  });

  let empty = [];
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.act(async () => {
      empty = [surname, given, birth, docno].map((f) => f.input).filter((i) => !i.value.trim());
      if (empty.length) throw new PageError('FIELD_REQUIRED');
      const r = await api.confirm({
        surname: surname.input.value.trim(),
        givenName: given.input.value.trim(),
        patronymic: patronymic.input.value.trim(),
        birthDate: birth.input.value,
        documentNumber: docno.input.value.trim(),
      });
      if (r.stage === 'moderation') store.set('reasons', Array.isArray(r.reasons) ? r.reasons : []);
      ctx.goStage(r.stage);
    }, { button: next, fields: (code) => (code === 'FIELD_REQUIRED' ? empty : []) });
  });

  return ctx.frame('rec.title', h('p', { class: 'lead', t: 'rec.lead' }), form);
}

function register(ctx) {
  const next = nextButton('common.continue', { on: { click: () => ctx.go('notification') } });
  return ctx.frame('reg.title',
    h('div', { class: 'result ok', role: 'status' },
      h('span', { class: 'result-icon', 'aria-hidden': 'true' }, '✓'),
      h('div', {},
        h('p', { class: 'result-title', t: 'reg.ok' }),
        h('p', { t: 'reg.sms' }))),
    actions(next));
}

const REASONS = ['surname', 'givenName', 'patronymic', 'birthDate', 'documentNumber', 'expired'];

function moderation(ctx) {
  const list = h('ul', {});
  const reasonsBox = h('div', { hidden: true }, h('h2', { t: 'mod.reasons' }), list);
  const showReasons = (reasons) => {
    const known = (Array.isArray(reasons) ? reasons : []).filter((r) => REASONS.includes(r));
    list.replaceChildren(...known.map((r) => h('li', { t: `reason.${r}` })));
    reasonsBox.hidden = known.length === 0;
  };
  const stored = store.get('reasons');
  if (stored) showReasons(stored);
  else {
    // In another browser: the portal's state names them too.
    ctx.act(async () => showReasons((await api.state()).reasons));
  }
  const again = h('button', { type: 'button', id: 'start-over', class: 'button primary', t: 'common.startOver',
    on: { click: () => ctx.go('home') } });
  return ctx.frame('mod.title',
    h('div', { class: 'result wait' },
      h('span', { class: 'result-icon', 'aria-hidden': 'true' }, 'i'),
      h('div', {},
        h('p', { class: 'result-title', t: 'mod.lead' }),
        h('p', { t: 'mod.sms' }))),
    reasonsBox,
    h('p', { class: 'notice' }, h('span', { class: 'badge', t: 'app.demoLabel' }), ' ', h('span', { t: 'mod.demo' })),
    actions(again));
}

function notification(ctx) {
  const sms = h('div', { class: 'sms-card' }, h('p', { class: 'hint', t: 'note.loading' }));
  ctx.act(async () => {
    const d = await api.inbox();
    const messages = Array.isArray(d.messages) ? d.messages : [];
    const m = messages[messages.length - 1];
    if (!m) {
      sms.replaceChildren(h('p', { t: 'note.none' }));
      return;
    }
    sms.replaceChildren(
      h('p', { class: 'sms-meta' }, h('span', { t: 'note.to', args: { phone: d.phone ?? '' } }), ' · ', dateEl('time', m.time, true)),
      h('blockquote', { class: 'sms-text' }, m.text ?? ''));
  });
  const next = nextButton('note.next', { on: { click: () => ctx.go('consent') } });
  return ctx.frame('note.title',
    h('p', { class: 'lead', t: 'note.lead' }),
    sms,
    h('p', { t: 'note.handover' }),
    actions(next));
}

export default {
  recognised: { render: recognised },
  register: { render: register },
  moderation: { render: moderation },
  notification: { render: notification },
};
