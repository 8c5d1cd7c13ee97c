// Pieces several views share: buttons, the SMS code form, the camera's
// still picture, Qoltanba's install instructions.
import { h, field, statusLine, PageError, busyStart, busyEnd } from '../ui.js';
import { api } from '../api.js';
import { startPreview } from '../daemon.js';

/** The view's primary button, `#next`. */
export function nextButton(key, attrs = {}) {
  return h('button', { type: 'button', id: 'next', class: 'button primary', t: key, ...attrs });
}

export function button(id, key, attrs = {}) {
  return h('button', { type: 'button', id, class: 'button secondary', t: key, ...attrs });
}

export function actions(...buttons) {
  return h('div', { class: 'actions' }, ...buttons);
}

/** Digits only, without spaces or dashes. */
export function digits(value) {
  return String(value ?? '').replace(/[\s-]/g, '');
}

/**
 * The SMS code form: the code input (`inputId`), "Confirm" (`#next`,
 * calling `confirm(code)`) and "Send again" (`#resend`).
 */
export function codeForm(ctx, { inputId, confirm, hint = 'field.codeHint' }) {
  const code = field({
    id: inputId, label: 'field.code', hint, inputmode: 'numeric', autocomplete: 'one-time-code',
    maxlength: '6', spellcheck: 'false', dataset: { codeInput: '1' },
  });
  const next = nextButton('code.next', { type: 'submit' });
  const resend = button('resend', 'code.resend');
  const status = statusLine();
  const form = h('form', { class: 'form', novalidate: true },
    code.el, actions(next, resend), status.el);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    status.clear();
    ctx.act(async () => {
      const v = digits(code.input.value);
      if (!/^\d{6}$/.test(v)) throw new PageError('CODE_FORMAT');
      await confirm(v);
    }, { button: next, fields: (c) => (c === 'RESEND_TOO_SOON' ? [] : [code.input]) });
  });
  resend.addEventListener('click', () => {
    status.clear();
    ctx.act(async () => {
      const r = await api.resend();
      const minutes = Math.max(1, Math.round((Number(r.codeTtl) || 300) / 60));
      status.show('code.resent', { minutes }, 'ok');
      code.input.value = '';
      code.input.focus();
      ctx.phone.refresh();
    }, { button: resend });
  });
  return { form, input: code.input };
}

/** Install and start instructions, shown when no daemon answers. */
export function installHelp() {
  const cmd = (text) => h('pre', { class: 'command' }, h('code', {}, text));
  return h('div', { class: 'help', dataset: { help: 'install' } },
    h('h2', { t: 'install.title' }),
    h('p', { t: 'install.lead' }),
    h('ol', { class: 'steps-list' },
      h('li', {}, h('p', { t: 'install.step1' }), cmd('sudo apt install ./qoltanba_*.deb')),
      h('li', {}, h('p', { t: 'install.step2' }), cmd('systemctl --user start qoltanba.socket'),
        h('p', { t: 'install.step2b' }), cmd('qoltanbad')),
      h('li', {}, h('p', { t: 'install.step3' }), cmd('qoltanbad --install-ca'))),
    h('p', { t: 'install.after' }));
}

/** What to do when Qoltanba refuses this site. */
export function originHelp() {
  return h('div', { class: 'help', dataset: { help: 'origin' } },
    h('h2', { t: 'origin.title' }),
    h('p', { t: 'origin.lead', args: { origin: location.origin } }),
    h('pre', { class: 'command' }, h('code', {}, `# ~/.config/qoltanba/qoltanba.conf\n[origins]\nallow=https://egov.kz;https://*.egov.kz;${location.origin}`)),
    h('p', { t: 'origin.after' }));
}

/** The help that fits a daemon error, or null. */
export function daemonHelp(code) {
  if (code === 'notRunning') return installHelp();
  if (code === 'originRefused') return originHelp();
  return null;
}

/** A JPEG (base64) as an <img> with a text alternative. */
export function stillImage(base64, altKey) {
  return h('img', { class: 'still', src: `data:image/jpeg;base64,${base64}`, tAlt: altKey, width: '640', height: '480' });
}

/**
 * The live picture in `img`. The page counts as busy until the first
 * frame (or the failure) comes: Qoltanba may be asking the person whether
 * this site may use the camera. Closed with the view.
 */
export function livePreview(ctx, q, img, { onReady = () => {}, onError = () => {} } = {}) {
  let waiting = true;
  busyStart();
  const settle = () => {
    if (waiting) {
      waiting = false;
      busyEnd();
    }
  };
  const p = startPreview(q, img, {
    onFirstFrame() {
      settle();
      if (ctx.alive()) onReady();
    },
    onError(e) {
      settle();
      if (ctx.alive()) onError(e);
    },
  });
  const handle = {
    close() {
      settle();
      p.close();
    },
  };
  ctx.onCleanup(() => handle.close());
  return handle;
}
