// A process diagram in bpmn-js's navigated viewer: the path so far marked (on a case), zoom, fit, 100 %,
// full screen; drag or the arrow keys pan. Labels are drawn large enough to read at 100 %.
(async function () {
  const el = document.getElementById('diagram');
  if (!el || !window.BpmnJS) return;
  const viewer = new BpmnJS({
    container: el,
    textRenderer: { defaultStyle: { fontSize: 13, lineHeight: 1.2 }, externalStyle: { fontSize: 13, lineHeight: 1.2 } },
  });
  const frame = document.getElementById('diagram-frame');
  try {
    const xml = await (await fetch(el.dataset.xmlUrl, { credentials: 'same-origin' })).text();
    const { warnings } = await viewer.importXML(xml);
    el.dataset.warnings = warnings.map((w) => w.message).join('\n');
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    const done = JSON.parse(el.dataset.done || '[]');
    const active = JSON.parse(el.dataset.active || '[]');
    const mark = (id, marker) => {
      const element = registry.get(id);
      // A subprocess is a frame around steps: outline it, do not fill it over its own steps.
      if (element) canvas.addMarker(id, element.type === 'bpmn:SubProcess' ? marker + '-frame' : marker);
    };
    done.forEach((id) => mark(id, 'step-done'));
    // Sequence flows between two completed elements belong to the path taken.
    registry.filter((e) => e.type === 'bpmn:SequenceFlow').forEach((flow) => {
      const src = flow.businessObject.sourceRef.id;
      const dst = flow.businessObject.targetRef.id;
      if (done.includes(src) && (done.includes(dst) || active.includes(dst))) canvas.addMarker(flow.id, 'flow-done');
    });
    active.forEach((id) => mark(id, 'step-current'));
    // The whole diagram when it stays readable; otherwise 100 % around the current step, or from the start.
    const current = active.map((id) => registry.get(id)).filter(Boolean).pop();
    const focusOn = current || registry.find((e) => e.type === 'bpmn:StartEvent');
    const actual = () => {
      canvas.zoom(1);
      if (!focusOn) return;
      const box = canvas.viewbox();
      const left = current ? box.width / 2 - focusOn.width / 2 : 40;
      canvas.scroll({ dx: box.x - focusOn.x + left, dy: box.y - focusOn.y + box.height / 2 - focusOn.height / 2 });
    };
    const fit = () => canvas.zoom('fit-viewport', 'auto');
    const readable = () => {
      fit();
      if (canvas.zoom() < 0.6) actual();
    };
    readable();
    const svg = el.querySelector('svg');
    if (svg) svg.setAttribute('aria-label', el.getAttribute('aria-label'));
    // The arrow keys pan the focused diagram (the viewer itself pans only with Ctrl + arrow).
    const steps = { ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] };
    el.addEventListener('keydown', (event) => {
      const step = steps[event.key];
      if (!step || event.ctrlKey || event.metaKey || event.altKey) return;
      canvas.scroll({ dx: step[0], dy: step[1] });
      event.preventDefault();
    });
    const fullscreen = frame && frame.querySelector('[data-diagram="fullscreen"]');
    const setFullscreen = (on) => {
      frame.classList.toggle('is-fullscreen', on);
      document.body.classList.toggle('diagram-fullscreen', on);
      fullscreen.setAttribute('aria-pressed', String(on));
      fullscreen.textContent = on ? fullscreen.dataset.close : fullscreen.dataset.open;
      canvas.resized();
      readable();
    };
    const actions = {
      'zoom-in': () => viewer.get('zoomScroll').stepZoom(1),
      'zoom-out': () => viewer.get('zoomScroll').stepZoom(-1),
      actual, fit,
      fullscreen: () => setFullscreen(!frame.classList.contains('is-fullscreen')),
    };
    if (frame) {
      frame.addEventListener('click', (event) => {
        const button = event.target.closest('[data-diagram]');
        if (button && actions[button.dataset.diagram]) actions[button.dataset.diagram]();
      });
      document.addEventListener('keydown', (event) => {
        if (event.key === 'Escape' && frame.classList.contains('is-fullscreen')) {
          setFullscreen(false);
          fullscreen.focus();
        }
      });
    }
    el.dataset.ready = 'true';
  } catch (err) {
    el.textContent = (document.documentElement.lang === 'en' ? 'Could not show the diagram: ' : 'Не удалось показать схему: ')
      + err.message;
    el.dataset.ready = 'error';
  }
})();
