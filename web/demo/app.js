// The demo's shell and router: one view per stage of the application,
// each shown in <main> and named in the URL hash. The portal's stage
// decides which views may be shown; a reload asks GET /api/state and
// returns to the view of the current stage.
import { api, PortalError } from './api.js';
import { h, translate, getLang, setLang, LANGS, alertRegion, busyStart, busyEnd, store, PageError } from './ui.js';
import { phonePanel } from './phone.js';
import { daemonHelp } from './views/common.js';
import startViews from './views/start.js';
import checkViews from './views/checks.js';
import identViews from './views/ident.js';
import registerViews from './views/register.js';
import ncaViews from './views/nca.js';
import keyViews from './views/keys.js';

const VIEWS = { ...startViews, ...checkViews, ...identViews, ...registerViews, ...ncaViews, ...keyViews };

// Every view in walking order. The step indicator counts the views off the
// two dead ends, which share the step of the view they branch from.
const ORDER = [
  'home', 'camera', 'iin', 'phone-unregistered', 'code', 'qoltanba', 'ident', 'selfie', 'video',
  'pin', 'document', 'recognised', 'register', 'moderation', 'notification', 'consent',
  'agreement', 'application', 'folder', 'request', 'refresh', 'password', 'download',
  'congratulations', 'sign',
];
const BRANCHES = new Set(['phone-unregistered', 'moderation']);
const STEPS = ORDER.filter((v) => !BRANCHES.has(v));
const STEP_OF = Object.fromEntries(ORDER.map((v) => [v, STEPS.indexOf(v) + 1]));
STEP_OF['phone-unregistered'] = STEP_OF.iin;
STEP_OF.moderation = STEP_OF.register;
// From consent on, the person is on NCA's pages.
const NCA_FROM = ORDER.indexOf('consent');

// For each stage: the view shown for it, and the furthest view it allows.
const STAGE_VIEWS = {
  none: ['home', 'home'],
  started: ['camera', 'iin'],
  'phone-unregistered': ['phone-unregistered', 'phone-unregistered'],
  'code-sent': ['code', 'code'],
  'signed-in': ['qoltanba', 'ident'],
  'ident-code-sent': ['ident', 'ident'],
  'identified-phone': ['selfie', 'selfie'],
  selfie: ['video', 'video'],
  video: ['pin', 'pin'],
  pin: ['document', 'document'],
  'document-front': ['document', 'document'],
  documents: ['recognised', 'recognised'],
  moderation: ['moderation', 'moderation'],
  verified: ['register', 'consent'],
  consented: ['agreement', 'agreement'],
  agreed: ['application', 'application'],
  applied: ['folder', 'request'],
  requested: ['refresh', 'refresh'],
  issued: ['password', 'password'],
  installed: ['download', 'sign'],
};

// The portal's stages in order (web/portal/API.md).
const STAGES = ['started', 'phone-unregistered', 'code-sent', 'signed-in', 'ident-code-sent',
  'identified-phone', 'selfie', 'video', 'pin', 'document-front', 'documents', 'moderation',
  'verified', 'consented', 'agreed', 'applied', 'requested', 'issued', 'installed'];

const app = {
  stage: null,
  current: null, // { name, ctx }
  pendingAlert: null,
};

function stageViews(stage = app.stage) {
  return STAGE_VIEWS[stage ?? 'none'] ?? STAGE_VIEWS.none;
}

/** The view for a stage (the application's current one by default). */
function viewForStage(stage = app.stage) {
  const [first, last] = stageViews(stage);
  if (stage === 'applied' && first === 'folder' && store.get('keyRequest')) return last;
  return first;
}

// A view may be shown when it is not past what the stage allows; a dead
// end only at its own stage.
function allowed(name, stage = app.stage) {
  if (!Object.hasOwn(VIEWS, name)) return false;
  if (name === 'home') return true;
  const last = stageViews(stage)[1];
  if (BRANCHES.has(name)) return name === last;
  if (BRANCHES.has(last)) {
    // At a dead end only the views before the one it replaces remain.
    const replaced = last === 'moderation' ? 'register' : last;
    return ORDER.indexOf(name) < ORDER.indexOf(replaced);
  }
  return ORDER.indexOf(name) <= ORDER.indexOf(last);
}

// After a reload: the hash's view if it lies between the stage's view and
// the furthest one, else the stage's view.
function viewAfterReload(name) {
  const [first, last] = stageViews();
  const i = ORDER.indexOf(name);
  if (allowed(name) && i >= ORDER.indexOf(first) && i <= ORDER.indexOf(last)) return name;
  return viewForStage();
}

function setStage(stage) {
  if (typeof stage === 'string') app.stage = stage;
}

function hashView() {
  try {
    return decodeURIComponent(location.hash.replace(/^#/, ''));
  } catch {
    return '';
  }
}

/** Show a view, adding it to the history (Back returns). */
function go(name, { replace = false, alertCode = null, alertArgs = {} } = {}) {
  if (alertCode) app.pendingAlert = { code: alertCode, args: alertArgs };
  if (replace) {
    history.replaceState(null, '', `#${name}`);
    render(name);
  } else if (hashView() === name) {
    render(name);
  } else {
    location.hash = name; // hashchange renders
  }
}

function onHashChange() {
  const name = hashView();
  if (app.current && app.current.name === name) return;
  if (allowed(name)) render(name);
  else go(viewForStage(), { replace: true });
}

function render(name) {
  const view = VIEWS[name];
  if (app.current) app.current.ctx.dispose();
  const ctx = makeContext(name);
  app.current = { name, ctx };
  let root;
  try {
    root = view.render(ctx);
  } catch (e) {
    console.error(e);
    root = ctx.frame('err.title', h('p', { t: 'err.unknown' }));
  }
  const main = document.getElementById('main');
  main.replaceChildren(root);
  translate(document.documentElement);
  phone.viewChanged(name);
  if (app.pendingAlert) {
    const { code, args } = app.pendingAlert;
    app.pendingAlert = null;
    ctx.alert.show(code, args);
  }
  const heading = root.querySelector('h1');
  if (heading) heading.focus({ preventScroll: false });
  window.scrollTo(0, 0);
}

function makeContext(name) {
  const cleanups = [];
  let alive = true;
  const alert = alertRegion(name, daemonHelp);

  const ctx = {
    name,
    alert,
    get lang() { return getLang(); },
    get stage() { return app.stage; },
    setStage,
    /** Whether the application has reached `stage` (or gone past it). */
    reached(stage) {
      const i = STAGES.indexOf(app.stage ?? '');
      return i >= 0 && i >= STAGES.indexOf(stage);
    },
    alive: () => alive,
    onCleanup(fn) {
      // Work that ends after the view has gone is undone at once.
      if (alive) cleanups.push(fn);
      else fn();
    },
    dispose() {
      alive = false;
      for (const fn of cleanups.splice(0).reverse()) {
        try {
          fn();
        } catch (e) {
          console.error(e);
        }
      }
    },
    go(next, options) {
      if (alive) go(next, options);
    },
    /** Record the stage the portal answered with and show its view. */
    goStage(stage, options) {
      setStage(stage);
      if (alive) go(viewForStage(), options);
    },
    phone: {
      awaitCode(on) { phone.awaitCode(on); },
      refresh() { return phone.refresh(); },
      latest() { return phone.latest(); },
    },

    /** The view's root: step indicator, heading, alert region, content. */
    frame(titleKey, ...content) {
      const step = STEP_OF[name];
      const nca = ORDER.indexOf(name) >= NCA_FROM;
      return h('section', { class: 'view', dataset: { view: name }, 'aria-labelledby': `${name}-title` },
        h('div', { class: 'view-head' },
          h('p', { class: `phase ${nca ? 'phase-nca' : 'phase-egov'}`, t: nca ? 'phase.nca' : 'phase.egov' }),
          h('p', { class: 'step', t: 'app.step', args: { n: step, m: STEPS.length } }),
          h('div', { class: 'step-bar', 'aria-hidden': 'true' },
            h('span', { style: `width:${Math.round((step / STEPS.length) * 100)}%` }))),
        h('h1', { id: `${name}-title`, tabindex: '-1', t: titleKey }),
        alert.el,
        alert.help,
        ...content);
    },

    /**
     * Run a call for the view: the alert is cleared, the page is marked
     * busy, `button` is disabled meanwhile, and a failure is shown in the
     * alert region (linked to `fields`). Resolves true on success.
     */
    async act(fn, { button = null, fields = [] } = {}) {
      alert.clear();
      busyStart();
      if (button) {
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
      }
      try {
        await fn();
        return true;
      } catch (e) {
        if (alive) ctx.fail(e, typeof fields === 'function' ? fields(e?.code) : fields);
        return false;
      } finally {
        busyEnd();
        if (button) {
          button.removeAttribute('aria-busy');
          if (!button.dataset.keepDisabled) button.disabled = false;
        }
      }
    },

    /** Show an error in the view (or, for a lost session or a skipped stage, go where it belongs). */
    fail(e, fields = []) {
      const code = typeof e?.code === 'string' ? e.code : 'UNKNOWN';
      if (!(e instanceof PortalError) && !(e instanceof PageError) && e?.name !== 'QoltanbaError') console.error(e);
      if (e instanceof PortalError && code === 'NO_SESSION') {
        app.stage = null;
        if (name !== 'home') {
          go('home', { alertCode: code });
          return;
        }
      }
      if (e instanceof PortalError && code === 'STAGE_ORDER' && typeof e.details.stage === 'string') {
        app.stage = e.details.stage;
        const target = viewForStage();
        if (target !== name) {
          go(target, { alertCode: code });
          return;
        }
      }
      const args = { ...(e?.details ?? {}) };
      if (e?.detail) args.detail = e.detail;
      args.origin = location.origin;
      alert.show(code, args, fields);
    },
  };
  return ctx;
}

// --- the shell: header, language switcher, demo phone ---

const phone = phonePanel({ fillCode });

function fillCode(code) {
  const input = document.querySelector('main [data-code-input]');
  if (!input) return false;
  input.value = code;
  input.focus();
  return true;
}

function languageSwitcher() {
  const names = { kk: 'Қазақша', ru: 'Русский', en: 'English' };
  return h('div', { class: 'langs', role: 'group', tLabel: 'app.language' },
    LANGS.map((l) => h('button', {
      type: 'button', id: `lang-${l}`, lang: l, dataset: { langButton: l },
      'aria-pressed': String(l === getLang()),
      on: { click: () => setLang(l) },
    }, names[l])));
}

function shell() {
  const header = document.getElementById('header');
  header.replaceChildren(
    h('a', { class: 'skip', href: '#main', t: 'app.skip', on: { click: (ev) => {
      ev.preventDefault();
      document.querySelector('main h1')?.focus();
    } } }),
    h('div', { class: 'header-bar' },
      h('div', { class: 'brand' },
        h('img', { src: 'logo.svg', width: '48', height: '48', tAlt: 'app.logoAlt' }),
        h('div', {},
          h('p', { class: 'brand-title', t: 'app.title' }),
          h('p', { class: 'brand-sub', t: 'app.subtitle' }))),
      languageSwitcher()),
    h('div', { class: 'demo-note' }, h('p', { class: 'demo-note-inner' },
      h('strong', { t: 'app.demoLabel' }), ' ', h('span', { t: 'app.demoNote' }))));
  const aside = document.getElementById('aside');
  aside.dataset.i18nLabel = 'phone.title';
  aside.replaceChildren(...phone.nodes);
  document.getElementById('footer').replaceChildren(h('p', { t: 'app.footer' }));
}

async function start() {
  shell();
  translate(document.documentElement);
  busyStart();
  try {
    const st = await api.state();
    app.stage = typeof st.stage === 'string' ? st.stage : null;
  } catch (e) {
    app.stage = null;
    // Without an application nothing kept for one is of use; any other
    // failure (the portal down) keeps it for the next try.
    if (e instanceof PortalError && e.code === 'NO_SESSION') store.clear();
    else app.pendingAlert = { code: e.code ?? 'UNKNOWN', args: {} };
  } finally {
    busyEnd();
  }
  window.addEventListener('hashchange', onHashChange);
  go(viewAfterReload(hashView()), { replace: true });
}

start();
