// Remote identification: the phone again, a selfie, a short video, a PIN
// to continue elsewhere, and both sides of the ID card.
import { api } from '../api.js';
import { h, field, statusLine, setText, PageError, busyStart, busyEnd } from '../ui.js';
import { connected, whenCameraFree } from '../daemon.js';
import { nextButton, button, actions, digits, codeForm, livePreview, stillImage } from './common.js';

// --- phone ---

function phoneHint(ctx, input) {
  const box = h('p', { class: 'notice demo-hint', hidden: true });
  busyStart();
  Promise.all([api.state(), api.citizens()]).then(([st, data]) => {
    const c = (data.citizens ?? []).find((x) => x.iin === st.iin);
    if (!c || !c.phone || !ctx.alive()) return;
    box.replaceChildren(
      h('span', { class: 'badge', t: 'app.demoLabel' }), ' ',
      h('span', { t: 'ident.demoPhone', args: { phone: c.phone } }), ' ',
      h('button', { type: 'button', class: 'link-button', t: 'ident.demoUse',
        on: { click: () => { input.value = c.phone; input.focus(); } } }));
    box.hidden = false;
  }, () => {}).finally(busyEnd);
  return box;
}

function ident(ctx) {
  const phone = field({
    id: 'ident-phone', label: 'field.phone', hint: 'field.phoneHint', type: 'tel', inputmode: 'tel',
    autocomplete: 'tel',
  });
  const send = h('button', { type: 'submit', id: 'ident-send', class: 'button secondary', t: 'ident.send' });
  const phoneForm = h('form', { class: 'form', novalidate: true }, phone.el, actions(send));
  const sent = statusLine();
  const { form: codePartForm, input: codeInput } = codeForm(ctx, {
    inputId: 'ident-code',
    async confirm(v) {
      const r = await api.identCode(v);
      ctx.goStage(typeof r.stage === 'string' ? r.stage : 'identified-phone');
    },
  });
  const codeSent = ctx.stage === 'ident-code-sent';
  const codePart = h('div', { class: 'code-part', hidden: !codeSent },
    h('h2', { t: 'ident.codeTitle' }), sent.el, codePartForm);
  if (codeSent) {
    sent.show('ident.sentEarlier', {}, 'ok');
    ctx.phone.awaitCode(true);
  }

  phoneForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.act(async () => {
      const v = phone.input.value.trim();
      if (!v) throw new PageError('PHONE_INVALID');
      const r = await api.identPhone(v);
      ctx.setStage(typeof r.stage === 'string' ? r.stage : 'ident-code-sent');
      const minutes = Math.max(1, Math.round((Number(r.codeTtl) || 300) / 60));
      sent.show('ident.sent', { minutes }, 'ok');
      codePart.hidden = false;
      ctx.phone.awaitCode(true);
      codeInput.focus();
    }, { button: send, fields: [phone.input] });
  });

  return ctx.frame('ident.title',
    h('p', { class: 'lead', t: 'ident.lead' }),
    phoneForm,
    phoneHint(ctx, phone.input),
    codePart);
}

// --- a photo: live picture, "Take photo", then "Send" or "Try again" ---

function photoStep(ctx, { purpose, liveAlt, stillAlt, overlay, send, onSent }) {
  const img = h('img', { class: 'preview', tAlt: liveAlt, width: '640', height: '480' });
  const live = h('div', { class: `camera-frame overlay-${overlay}` }, img);
  const still = h('div', { class: 'still-frame', hidden: true });
  const take = h('button', { type: 'button', id: 'take-photo', class: 'button primary', t: 'photo.take', disabled: true });
  const sendBtn = h('button', { type: 'button', id: 'send-photo', class: 'button primary', t: 'photo.send', hidden: true });
  const retake = button('retake', 'photo.retake', { hidden: true });
  let preview = null;
  let image = null;

  const startLive = async () => {
    preview?.close();
    preview = null;
    image = null;
    still.hidden = true;
    still.replaceChildren();
    live.hidden = false;
    take.hidden = false;
    take.disabled = true;
    sendBtn.hidden = true;
    retake.hidden = true;
    let q;
    try {
      q = await connected();
    } catch (e) {
      ctx.fail(e);
      live.hidden = true;
      retake.hidden = false;
      return;
    }
    preview = livePreview(ctx, q, img, {
      onReady() { take.disabled = false; },
      onError(e) {
        preview = null;
        ctx.fail(e);
        live.hidden = true;
        take.hidden = true;
        retake.hidden = false;
      },
    });
  };

  take.addEventListener('click', () => ctx.act(async () => {
    const q = await connected();
    // While the preview runs, a capture of its size returns its next frame.
    const shot = await q.capture({ purpose });
    preview?.close();
    preview = null;
    image = shot.image;
    still.replaceChildren(stillImage(image, stillAlt));
    still.hidden = false;
    live.hidden = true;
    take.hidden = true;
    sendBtn.hidden = false;
    retake.hidden = false;
    sendBtn.focus();
  }, { button: take }));

  retake.addEventListener('click', () => {
    ctx.alert.clear();
    startLive();
  });

  sendBtn.addEventListener('click', () => ctx.act(async () => {
    if (!image) throw new PageError('IMAGE_INVALID');
    await send(image);
    sendBtn.hidden = true;
    onSent();
  }, { button: sendBtn }));

  startLive();
  return {
    el: h('div', { class: 'photo-step' }, live, still, actions(take, sendBtn, retake)),
    close() { preview?.close(); },
  };
}

function selfie(ctx) {
  // Shown only when the photo was sent before (the person came Back):
  // sending one leads on by itself.
  const next = nextButton('common.continue', { hidden: !ctx.reached('selfie'), on: { click: () => ctx.go('video') } });
  const step = photoStep(ctx, {
    purpose: 'selfie', liveAlt: 'selfie.liveAlt', stillAlt: 'selfie.stillAlt', overlay: 'face',
    async send(image) {
      const r = await api.selfie(image);
      ctx.setStage(typeof r.stage === 'string' ? r.stage : 'selfie');
    },
    onSent() { ctx.go('video'); },
  });
  return ctx.frame('selfie.title',
    h('p', { class: 'lead', t: 'selfie.lead' }),
    h('ul', { class: 'tips' }, h('li', { t: 'selfie.tip1' }), h('li', { t: 'selfie.tip2' }), h('li', { t: 'selfie.tip3' })),
    step.el,
    actions(next));
}

// --- video ---

const PROMPT_IDS = ['look', 'turn-left', 'turn-right', 'smile', 'blink', 'nod'];
const promptKey = (id) => (PROMPT_IDS.includes(id) ? `prompt.${id}` : 'prompt.unknown');

function video(ctx) {
  const status = statusLine();
  const lead = h('p', { class: 'lead', t: 'video.lead', args: { seconds: 6 } });
  const list = h('ol', { class: 'prompt-list' });
  const img = h('img', { class: 'preview', tAlt: 'video.liveAlt', width: '640', height: '480' });
  const live = h('div', { class: 'camera-frame overlay-face' }, img);
  const promptText = h('p', { class: 'prompt-now', 'aria-live': 'assertive', 'aria-atomic': 'true' });
  const countdown = h('p', { class: 'countdown', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const recording = h('div', { class: 'recording', hidden: true },
    h('p', { class: 'rec-mark' }, h('span', { class: 'rec-dot', 'aria-hidden': 'true' }), h('span', { t: 'video.recNow' })),
    promptText, countdown);
  const record = h('button', { type: 'button', id: 'record', class: 'button primary', t: 'video.record', disabled: true });
  const next = nextButton('common.continue', { hidden: !ctx.reached('video'), on: { click: () => ctx.go('pin') } });
  let prompts = [];
  let seconds = 6;
  let preview = null;
  let ticker = null;
  ctx.onCleanup(() => {
    if (ticker) clearInterval(ticker);
  });

  const showLive = async () => {
    live.hidden = false;
    try {
      const q = await connected();
      preview = livePreview(ctx, q, img, { onError() { live.hidden = true; preview = null; } });
    } catch {
      live.hidden = true;
    }
  };

  const stopTicker = () => {
    if (ticker) clearInterval(ticker);
    ticker = null;
  };

  const startTicker = () => {
    stopTicker();
    const started = performance.now();
    let shown = -1;
    let left = -1;
    const tick = () => {
      const elapsed = (performance.now() - started) / 1000;
      let i = -1;
      prompts.forEach((p, n) => { if (Number(p.at) <= elapsed) i = n; });
      if (i !== shown && i >= 0) {
        shown = i;
        setText(promptText, promptKey(prompts[i].id));
        [...list.children].forEach((li, n) => {
          if (n === i) li.setAttribute('aria-current', 'step');
          else li.removeAttribute('aria-current');
        });
      }
      const l = Math.max(0, Math.ceil(seconds - elapsed));
      if (l !== left) {
        left = l;
        setText(countdown, l > 0 ? 'video.left' : 'video.finishing', { left: l });
      }
    };
    tick();
    ticker = setInterval(tick, 100);
  };

  ctx.act(async () => {
    const r = await api.videoPrompts();
    prompts = Array.isArray(r.prompts) ? r.prompts : [];
    seconds = Number(r.seconds) || 6;
    list.replaceChildren(...prompts.map((p) => h('li', {},
      h('span', { t: promptKey(p.id) }), ' ', h('span', { class: 'hint', t: 'video.at', args: { at: p.at } }))));
    setText(lead, 'video.lead', { seconds });
    record.disabled = false;
    showLive();
  });

  record.addEventListener('click', () => {
    status.clear();
    ctx.act(async () => {
      preview?.close();
      preview = null;
      live.hidden = true;
      recording.hidden = false;
      const q = await connected();
      // The preview has just let go of the camera: a moment's cameraBusy is retried.
      const clip = await whenCameraFree(() => q.record({ seconds, width: 640, height: 480, fps: 15 }), startTicker);
      stopTicker();
      recording.hidden = true;
      status.show('video.sending');
      const r = await api.video(clip.video, prompts.map((p) => p.id));
      ctx.setStage(typeof r.stage === 'string' ? r.stage : 'video');
      ctx.go('pin');
    }, { button: record }).then((ok) => {
      if (ok || !ctx.alive()) return;
      stopTicker();
      recording.hidden = true;
      if (status.el.dataset.i18n === 'video.sending') status.clear();
      setText(record, 'video.again');
      showLive();
    });
  });

  return ctx.frame('video.title',
    lead,
    h('h2', { t: 'video.stepsTitle' }),
    list,
    h('p', { class: 'hint', t: 'video.noPreview' }),
    live,
    recording,
    status.el,
    actions(record, next));
}

// --- PIN ---

function pin(ctx) {
  const p1 = field({
    id: 'pin1', label: 'field.pin1', hint: 'pin.rules', type: 'password', inputmode: 'numeric',
    autocomplete: 'new-password', maxlength: '6',
  });
  const p2 = field({
    id: 'pin2', label: 'field.pin2', type: 'password', inputmode: 'numeric', autocomplete: 'new-password',
    maxlength: '6',
  });
  const next = nextButton('pin.next', { type: 'submit' });
  const form = h('form', { class: 'form', novalidate: true }, p1.el, p2.el, actions(next));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.act(async () => {
      const a = digits(p1.input.value);
      const b = digits(p2.input.value);
      if (!/^\d{6}$/.test(a)) throw new PageError('PIN_INVALID');
      if (a !== b) throw new PageError('PIN_MISMATCH');
      const r = await api.pin(a);
      ctx.goStage(typeof r.stage === 'string' ? r.stage : 'pin');
    }, { button: next, fields: (code) => (code === 'PIN_MISMATCH' ? [p2.input] : [p1.input]) });
  });
  return ctx.frame('pin.title',
    h('p', { class: 'lead', t: 'pin.lead' }),
    h('p', { t: 'pin.how' }),
    form);
}

// --- ID card ---

function idCard(ctx) {
  const status = statusLine();
  const next = nextButton('common.continue', { hidden: !ctx.reached('documents'), on: { click: () => ctx.go('recognised') } });
  const sideTitle = h('h2', { class: 'side-title', tabindex: '-1' });
  const sideLead = h('p', {});
  const slot = h('div', {});
  let step = null;
  let root = null;

  const showSide = (side, focus) => {
    step?.close();
    if (root) root.dataset.side = side;
    setText(sideTitle, side === 'front' ? 'doc.frontTitle' : 'doc.backTitle');
    setText(sideLead, side === 'front' ? 'doc.frontLead' : 'doc.backLead');
    step = photoStep(ctx, {
      purpose: `document-${side}`,
      liveAlt: 'doc.liveAlt',
      stillAlt: side === 'front' ? 'doc.frontAlt' : 'doc.backAlt',
      overlay: 'card',
      async send(image) {
        const r = await api.document(side, image);
        ctx.setStage(typeof r.stage === 'string' ? r.stage : side === 'front' ? 'document-front' : 'documents');
      },
      onSent() {
        if (side === 'front') {
          status.show('doc.frontSent', {}, 'ok');
          showSide('back', true);
        } else {
          ctx.go('recognised');
        }
      },
    });
    slot.replaceChildren(step.el);
    if (focus) sideTitle.focus();
  };
  const first = ctx.stage === 'document-front' ? 'back' : 'front';
  showSide(first, false);
  if (first === 'back') status.show('doc.frontSentEarlier', {}, 'ok');

  root = ctx.frame('doc.title',
    h('p', { class: 'lead', t: 'doc.lead' }),
    sideTitle, sideLead, slot, status.el, actions(next));
  root.dataset.side = first;
  return root;
}

export default {
  ident: { render: ident },
  selfie: { render: selfie },
  video: { render: video },
  pin: { render: pin },
  document: { render: idCard },
};

