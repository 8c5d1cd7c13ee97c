// Small DOM helpers shared by the views: an element builder whose texts
// come from i18n.js by key (so a language switch retranslates the page in
// place), the per-view alert region, the busy marker and a few formatters.
import { texts } from './i18n.js';

export const LANGS = ['kk', 'ru', 'en'];
const LANG_KEY = 'qoltanba-demo.lang';

let lang = initialLang();

function initialLang() {
  let saved = null;
  try {
    saved = localStorage.getItem(LANG_KEY);
  } catch {
    saved = null;
  }
  if (saved && LANGS.includes(saved)) return saved;
  const wanted = (navigator.language || 'en').toLowerCase();
  if (wanted.startsWith('kk')) return 'kk';
  if (wanted.startsWith('ru')) return 'ru';
  return 'en';
}

export function getLang() { return lang; }

export function setLang(next) {
  if (!LANGS.includes(next)) return;
  lang = next;
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch {
    // Private windows may refuse storage; the choice then lasts for this page.
  }
  translate(document.documentElement);
}

/** Whether a text key exists (all languages have the same keys). */
export function hasText(key) {
  return Object.hasOwn(texts.en, key);
}

/**
 * The text for `key` in the current language, with `{name}` replaced
 * from `args`.
 */
export function t(key, args = {}) {
  const table = texts[lang] ?? texts.en;
  let s = Object.hasOwn(table, key) ? table[key] : texts.en[key];
  if (s === undefined) return key;
  return s.replace(/\{(\w+)\}/g, (m, name) => (args[name] === undefined ? m : String(args[name])));
}

/**
 * Build an element. `attrs` are attributes, with these extras:
 *   t        text key for textContent; `args` its parameters
 *   tAlt, tLabel, tTitle, tPlaceholder   text keys for alt, aria-label, title, placeholder
 *   on       { event: handler }
 *   class, dataset, hidden, disabled, checked, value: as properties
 * Children are nodes or strings; null and false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    switch (name) {
      case 't': el.dataset.i18n = value; break;
      case 'args': el.dataset.i18nArgs = JSON.stringify(value); break;
      case 'tAlt': el.dataset.i18nAlt = value; break;
      case 'tLabel': el.dataset.i18nLabel = value; break;
      case 'tTitle': el.dataset.i18nTitle = value; break;
      case 'tPlaceholder': el.dataset.i18nPlaceholder = value; break;
      case 'on':
        for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
        break;
      case 'class': el.className = value; break;
      case 'dataset': Object.assign(el.dataset, value); break;
      case 'hidden': case 'disabled': case 'checked': case 'value': case 'readOnly':
        el[name] = value; break;
      default: el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  if (el.dataset.i18n || el.dataset.date) translateOne(el);
  for (const [data, attr] of ATTRS)
    if (el.dataset[data]) el.setAttribute(attr, t(el.dataset[data]));
  return el;
}

const ATTRS = [['i18nAlt', 'alt'], ['i18nLabel', 'aria-label'], ['i18nTitle', 'title'],
  ['i18nPlaceholder', 'placeholder']];

/** Set an element's text key (and parameters) and translate it now. */
export function setText(el, key, args) {
  el.dataset.i18n = key;
  if (args) el.dataset.i18nArgs = JSON.stringify(args);
  else delete el.dataset.i18nArgs;
  translateOne(el);
}

function translateOne(el) {
  if (el.dataset.i18n) {
    let args = {};
    try {
      args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : {};
    } catch {
      args = {};
    }
    // Dates among the parameters are kept as ISO text and shown in the
    // current language's form.
    for (const [k, v] of Object.entries(args))
      if (typeof v === 'object' && v && v.date) args[k] = formatDate(v.date, v.time);
    el.textContent = t(el.dataset.i18n, args);
  } else if (el.dataset.date) {
    el.textContent = formatDate(el.dataset.date, el.dataset.dateTime === '1');
  }
}

/** Retranslate every keyed text and attribute under `root`. */
export function translate(root) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n], [data-date]')) translateOne(el);
  for (const [data, attr] of ATTRS) {
    const sel = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const el of root.querySelectorAll(sel)) el.setAttribute(attr, t(el.dataset[data]));
  }
  for (const b of document.querySelectorAll('[data-lang-button]'))
    b.setAttribute('aria-pressed', String(b.dataset.langButton === lang));
  const h1 = document.querySelector('main h1');
  document.title = h1 ? `${h1.textContent} — ${t('app.short')}` : t('app.short');
}

const LOCALES = { ru: 'ru-RU', en: 'en-GB' };
// Browsers often lack Kazakh calendar names, so they are spelt out here.
const KK_MONTHS = ['қаңтар', 'ақпан', 'наурыз', 'сәуір', 'мамыр', 'маусым', 'шілде', 'тамыз',
  'қыркүйек', 'қазан', 'қараша', 'желтоқсан'];

/** A date (ISO text or milliseconds) in the current language; with `time`, the time too. */
export function formatDate(value, time = false) {
  if (value === undefined || value === null || value === '') return '—';
  const d = typeof value === 'number' || /^\d+$/.test(String(value))
    ? new Date(Number(value)) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  // A bare date (2029-02-28) is a calendar day, not a UTC midnight.
  const utc = !time && /^\d{4}-\d{2}-\d{2}$/.test(String(value));
  if (lang === 'kk') {
    const [y, m, day] = utc ? [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()] : [d.getFullYear(), d.getMonth(), d.getDate()];
    const text = `${y} жылғы ${day} ${KK_MONTHS[m]}`;
    if (!time) return text;
    return `${text}, ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  }
  const options = time
    ? { year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit' }
    : { year: 'numeric', month: 'long', day: 'numeric' };
  if (utc) options.timeZone = 'UTC';
  try {
    return new Intl.DateTimeFormat(LOCALES[lang], options).format(d);
  } catch {
    return d.toISOString().slice(0, time ? 16 : 10);
  }
}

/** An element that shows a date and follows language switches. */
export function dateEl(tag, value, time = false) {
  const el = h(tag, {});
  if (value === undefined || value === null || value === '') {
    el.textContent = '—';
    return el;
  }
  el.dataset.date = String(value);
  if (time) el.dataset.dateTime = '1';
  if (tag === 'time') {
    const d = /^\d+$/.test(String(value)) ? new Date(Number(value)) : new Date(value);
    if (!Number.isNaN(d.getTime())) el.setAttribute('datetime', d.toISOString());
  }
  translateOne(el);
  return el;
}

/**
 * An error the page finds itself before asking anyone (a field left
 * empty, two PINs that differ). Its codes sit beside the portal's.
 */
export class PageError extends Error {
  constructor(code, details = {}) {
    super(code);
    this.name = 'PageError';
    this.code = code;
    this.details = details;
  }
}

// --- busy marker: body[data-busy="1"] while any call of a view runs ---

let busyCount = 0;

export function busyStart() {
  busyCount++;
  document.body.dataset.busy = '1';
  document.body.setAttribute('aria-busy', 'true');
}

export function busyEnd() {
  busyCount = Math.max(0, busyCount - 1);
  if (busyCount === 0) {
    delete document.body.dataset.busy;
    document.body.removeAttribute('aria-busy');
  }
}

// --- the alert region: one per view ---

let alertSeq = 0;

/**
 * The view's alert region (`role="alert"`). `show(code, args, fields)`
 * puts the localized message for the error code in it, sets
 * `data-error-code`, and links the given inputs to it with
 * aria-describedby and aria-invalid. Longer help for a code (what
 * `helpFor(code)` gives) goes in `help`, next to the region, so the alert
 * itself stays one sentence. `clear()` empties both.
 */
export function alertRegion(view, helpFor = () => null) {
  const id = `alert-${++alertSeq}`;
  const el = h('div', { id, role: 'alert', class: 'alert', 'aria-atomic': 'true' });
  const help = h('div', { class: 'alert-help' });
  let linked = [];

  const unlink = () => {
    for (const f of linked) {
      f.removeAttribute('aria-invalid');
      const ids = (f.getAttribute('aria-describedby') || '').split(/\s+/).filter((x) => x && x !== id);
      if (ids.length) f.setAttribute('aria-describedby', ids.join(' '));
      else f.removeAttribute('aria-describedby');
    }
    linked = [];
  };

  return {
    el,
    help,
    get code() { return el.dataset.errorCode ?? null; },
    show(code, args = {}, fields = []) {
      unlink();
      const key = [`err.${view}.${code}`, `err.${code}`].find(hasText) ?? 'err.unknown';
      el.dataset.errorCode = code;
      el.replaceChildren(h('strong', { class: 'alert-label', t: 'err.label' }), ' ',
        h('span', { class: 'alert-text', t: key, args: { ...args, code } }));
      el.classList.add('shown');
      const more = helpFor(code);
      help.replaceChildren(...(more ? [more] : []));
      for (const f of fields.filter(Boolean)) {
        const ids = (f.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
        if (!ids.includes(id)) ids.push(id);
        f.setAttribute('aria-describedby', ids.join(' '));
        f.setAttribute('aria-invalid', 'true');
        linked.push(f);
      }
    },
    clear() {
      unlink();
      delete el.dataset.errorCode;
      el.classList.remove('shown');
      el.replaceChildren();
      help.replaceChildren();
    },
  };
}

/** A status line (role="status") for good news and progress. */
export function statusLine(cls = '') {
  const el = h('p', { role: 'status', class: `status ${cls}`.trim() });
  return {
    el,
    show(key, args, kind = 'info') {
      el.dataset.kind = kind;
      setText(el, key, args);
    },
    clear() {
      delete el.dataset.kind;
      delete el.dataset.i18n;
      el.textContent = '';
    },
  };
}

// --- form pieces ---

/** A labelled input with an optional hint (linked by aria-describedby). */
export function field({ id, label, hint, type = 'text', ...attrs }) {
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h('input', { id, name: id, type, 'aria-describedby': hintId, ...attrs });
  return {
    input,
    el: h('div', { class: 'field' },
      h('label', { for: id, t: label }),
      hint ? h('p', { id: hintId, class: 'hint', t: hint }) : null,
      input),
  };
}

/** A definition list of [text key, value node or string] pairs. */
export function details(rows) {
  return h('dl', { class: 'details' },
    rows.filter(Boolean).flatMap(([key, value]) => [h('dt', { t: key }), h('dd', {}, value)]));
}

/** Base64 of a string's UTF-8 bytes. */
export function utf8Base64(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** Bytes of base64 text. */
export function base64Bytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// --- session storage of what the page must remember between views ---

const STORE = 'qoltanba-demo.';

export const store = {
  get(name) {
    try {
      const v = sessionStorage.getItem(STORE + name);
      return v === null ? null : JSON.parse(v);
    } catch {
      return null;
    }
  },
  set(name, value) {
    try {
      sessionStorage.setItem(STORE + name, JSON.stringify(value));
    } catch {
      // Storage refused: the value lasts only as long as the view.
    }
  },
  clear() {
    try {
      for (const k of Object.keys(sessionStorage)) if (k.startsWith(STORE)) sessionStorage.removeItem(k);
    } catch {
      // Nothing stored.
    }
  },
};
