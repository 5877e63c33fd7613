// The Master Copy preview's page script. It renders nothing itself: the extension sends
// server-rendered, escaped HTML (src/core/preview/html.ts, renderPreviewBody). It only
//  - turns clicks into messages: a button with data-command → {type: 'command', command}
//    (a History row's Roll back, data-command="rollback" data-seq="N" → {type: 'rollback', seq}),
//    an element with data-reveal-start/-end → {type: 'reveal', start, end};
//  - swaps in a new body on {type: 'update', body, source}, keeping the scroll position and focus;
//  - keeps {source, scrollY} as its state, which VS Code hands back to restore the panel;
//  - says {type: 'ready'} once it listens.
// Nothing read from the page is trusted: the extension validates every message
// (src/core/preview/messages.ts, parseWebviewMessage) before acting on it.
// @ts-check
(function () {
  'use strict';
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const root = document.getElementById('preview-root');
  const OFFSET = /^[0-9]{1,10}$/;
  const SEQ = /^[1-9][0-9]{0,9}$/;

  /** @param {unknown} message */
  function post(message) {
    vscode.postMessage(message);
  }

  /** @param {Element} el */
  function reveal(el) {
    const start = el.getAttribute('data-reveal-start') || '';
    const end = el.getAttribute('data-reveal-end') || '';
    if (!OFFSET.test(start) || !OFFSET.test(end)) return;
    post({ type: 'reveal', start: Number(start), end: Number(end) });
  }

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const button = target.closest('button[data-command]');
    if (button instanceof HTMLButtonElement) {
      if (button.disabled) return;
      const command = button.getAttribute('data-command');
      if (command === 'rollback') {
        const seq = button.getAttribute('data-seq') || '';
        if (SEQ.test(seq)) post({ type: 'rollback', seq: Number(seq) });
      } else post({ type: 'command', command });
      return;
    }
    const link = target.closest('[data-reveal-start]');
    if (link) {
      event.preventDefault();
      reveal(link);
    }
  });

  // Dockerfile lines are links too (role="link", tabindex="0"): Enter activates them.
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    const target = event.target instanceof Element ? event.target : null;
    if (!target || target.tagName === 'A' || target.tagName === 'BUTTON') return;
    if (target.hasAttribute('data-reveal-start')) {
      event.preventDefault();
      reveal(target);
    }
  });

  /** A key that finds the focused element again in the new body. */
  function focusKey() {
    const el = document.activeElement;
    if (!el || el === document.body) return undefined;
    const command = el.getAttribute('data-command');
    const seq = el.getAttribute('data-seq');
    if (command && seq && SEQ.test(seq))
      return `[data-command="${CSS.escape(command)}"][data-seq="${seq}"]`;
    if (command) return `[data-command="${CSS.escape(command)}"]`;
    const start = el.getAttribute('data-reveal-start');
    if (start && OFFSET.test(start)) return `[data-reveal-start="${start}"]`;
    return undefined;
  }

  // What VS Code hands back to the extension when it restores the panel after a reload:
  // which master copy this shows, and where the page was scrolled.
  const saved = vscode.getState();
  let source =
    document.body.getAttribute('data-source') ||
    (saved && typeof saved.source === 'string' ? saved.source : '');
  function saveState() {
    vscode.setState({ source, scrollY: window.scrollY });
  }

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (
      !root ||
      !message ||
      typeof message !== 'object' ||
      message.type !== 'update' ||
      typeof message.body !== 'string'
    )
      return;
    if (typeof message.source === 'string' && message.source !== source) {
      source = message.source;
      saveState();
    }
    const x = window.scrollX;
    const y = window.scrollY;
    const key = focusKey();
    root.innerHTML = message.body;
    window.scrollTo(x, y);
    if (key) {
      const again = root.querySelector(key);
      if (again instanceof HTMLElement) again.focus({ preventScroll: true });
    }
  });

  // The panel may be re-created (hidden and shown again, or restored): come back where the user was.
  if (saved && typeof saved.scrollY === 'number') window.scrollTo(0, saved.scrollY);
  saveState();
  let pending = false;
  window.addEventListener('scroll', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      saveState();
    });
  });

  post({ type: 'ready' });
})();
