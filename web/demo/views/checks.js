// The two checks the page makes on its own: the camera (through
// Qoltanba) and Qoltanba itself. Neither has a stage at the portal.
import { h, statusLine, details, setText, PageError } from '../ui.js';
import { connected } from '../daemon.js';
import { nextButton, button, actions, livePreview } from './common.js';

function camera(ctx) {
  const status = statusLine();
  const img = h('img', { class: 'preview', tAlt: 'camera.previewAlt', width: '640', height: '480' });
  const frame = h('div', { class: 'camera-frame', hidden: true }, img);
  const next = nextButton('camera.ok', { disabled: true });
  const again = button('check-again', 'common.tryAgain', { hidden: true });
  let preview = null;
  ctx.onCleanup(() => preview?.close());

  const failed = (e) => {
    preview?.close();
    preview = null;
    frame.hidden = true;
    status.clear();
    next.disabled = true;
    again.hidden = false;
    if (e) ctx.fail(e);
  };

  const check = () => {
    preview?.close();
    preview = null;
    next.disabled = true;
    again.hidden = true;
    status.show('camera.looking');
    ctx.act(async () => {
      const q = await connected();
      const devices = await q.listDevices();
      if (!Array.isArray(devices) || devices.length === 0) throw new PageError('noCamera');
      status.show('camera.found', { name: devices[0].name || devices[0].id });
      frame.hidden = false;
      preview = livePreview(ctx, q, img, {
        onReady() {
          next.disabled = false;
          status.show('camera.seeing', { name: devices[0].name || devices[0].id }, 'ok');
        },
        onError: failed,
      });
    }, { button: again }).then((ok) => { if (!ok) failed(null); });
  };

  next.addEventListener('click', () => ctx.go('iin'));
  again.addEventListener('click', check);
  check();

  return ctx.frame('camera.title',
    h('p', { class: 'lead', t: 'camera.lead' }),
    h('p', { class: 'hint', t: 'camera.consent' }),
    status.el,
    frame,
    actions(next, again));
}

function qoltanba(ctx) {
  const status = statusLine();
  const info = h('div', { class: 'card daemon-info', hidden: true });
  const next = nextButton('common.continue', { disabled: true });
  const again = button('check-again', 'qol.checkAgain');

  const describe = (q) => {
    const secure = q.url && q.url.startsWith('wss:');
    const kind = h('span', {});
    setText(kind, secure ? 'qol.secure' : 'qol.plain');
    info.replaceChildren(details([
      ['qol.address', h('code', { id: 'daemon-url' }, q.url ?? '')],
      ['qol.version', q.version ?? '—'],
      ['qol.connection', kind],
    ]), ...(secure ? [] : [h('p', { class: 'hint', t: 'qol.plainHint' })]));
    info.hidden = false;
  };

  const check = (fresh) => {
    next.disabled = true;
    info.hidden = true;
    status.show('qol.checking');
    let q = null;
    ctx.act(async () => {
      q = await connected({ fresh });
      describe(q);
      // The greeting comes to every page; a refused site learns it from its first request.
      await q.getActiveTokens();
      status.show('qol.ok', {}, 'ok');
      next.disabled = false;
    }, { button: again }).then((ok) => {
      if (!ok) {
        status.clear();
        if (q && q.url) describe(q);
      }
    });
  };

  next.addEventListener('click', () => ctx.go('ident'));
  again.addEventListener('click', () => check(true));
  check(false);

  return ctx.frame('qol.title',
    h('p', { class: 'lead', t: 'qol.lead' }),
    status.el,
    info,
    actions(next, again));
}

export default {
  camera: { render: camera },
  qoltanba: { render: qoltanba },
};
