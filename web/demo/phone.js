// The "demo phone": the text messages the portal sent to the applicant's
// phone (GET /api/inbox), in a collapsible aside. It polls every 2 s
// while a view waits for a code, and looks once whenever the view changes.
import { api } from './api.js';
import { h, setText, dateEl } from './ui.js';

const OPEN_KEY = 'qoltanba-demo.phone-open';
const POLL_MS = 2000;

export function phonePanel({ fillCode }) {
  let open = true;
  try {
    open = localStorage.getItem(OPEN_KEY) !== '0';
  } catch {
    open = true;
  }
  let timer = null;
  let seen = -1;
  let latest = null;
  let inflight = null;

  const toggle = h('button', {
    type: 'button', id: 'phone-toggle', class: 'phone-toggle', 'aria-expanded': String(open),
    'aria-controls': 'phone-body',
  }, h('span', { t: 'phone.title' }));
  const number = h('p', { class: 'phone-number' });
  const waiting = h('p', { class: 'phone-waiting', hidden: true, t: 'phone.waiting' });
  const list = h('ol', { class: 'sms-list', 'aria-labelledby': 'phone-toggle' });
  const empty = h('p', { class: 'phone-empty', t: 'phone.noSession' });
  const announce = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const body = h('div', { id: 'phone-body', class: 'phone-body', hidden: !open },
    h('p', { class: 'hint', t: 'phone.intro' }), number, waiting, empty, list, announce);
  const heading = h('h2', { class: 'phone-heading' }, toggle);
  const device = h('div', { class: 'phone' }, heading, body);

  toggle.addEventListener('click', () => {
    open = !open;
    toggle.setAttribute('aria-expanded', String(open));
    body.hidden = !open;
    try {
      localStorage.setItem(OPEN_KEY, open ? '1' : '0');
    } catch {
      // Not kept.
    }
  });

  function message(m) {
    const code = /\b(\d{6})\b/.exec(m.text ?? '')?.[1];
    return h('li', { class: 'sms' },
      h('p', { class: 'sms-meta' }, h('span', { t: 'phone.from' }), ' · ', dateEl('time', m.time, true)),
      h('p', { class: 'sms-text' }, m.text ?? ''),
      code ? h('button', {
        type: 'button', class: 'link-button', t: 'phone.useCode', args: { code },
        on: { click: () => fillCode(code) },
      }) : null);
  }

  function show(data) {
    const messages = Array.isArray(data?.messages) ? data.messages : [];
    latest = messages.length ? messages[messages.length - 1] : null;
    if (data?.phone) setText(number, 'phone.number', { phone: data.phone });
    else number.textContent = '';
    setText(empty, 'phone.empty');
    empty.hidden = messages.length > 0;
    if (messages.length !== list.children.length || seen !== messages.length) {
      list.replaceChildren(...messages.map(message));
      if (seen >= 0 && messages.length > seen) setText(announce, 'phone.newMessage');
      seen = messages.length;
      body.scrollTop = body.scrollHeight;
    }
  }

  function refresh() {
    if (inflight) return inflight;
    inflight = api.inbox().then((data) => {
      show(data);
      return latest;
    }, () => {
      // No application yet: nothing to show.
      latest = null;
      seen = -1;
      list.replaceChildren();
      number.textContent = '';
      setText(empty, 'phone.noSession');
      empty.hidden = false;
      return null;
    }).finally(() => { inflight = null; });
    return inflight;
  }

  function awaitCode(on) {
    if (timer) clearInterval(timer);
    timer = null;
    waiting.hidden = !on;
    if (on) {
      refresh();
      timer = setInterval(refresh, POLL_MS);
    }
  }

  return {
    nodes: [device],
    refresh,
    awaitCode,
    latest: () => latest,
    viewChanged() {
      awaitCode(false);
      refresh();
    },
  };
}
