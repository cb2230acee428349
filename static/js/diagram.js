// The case page's diagram: the case's own process version, the current step and the path so far marked.
(async function () {
  const el = document.getElementById('diagram');
  if (!el || !window.BpmnJS) return;
  const viewer = new BpmnJS({ container: el });
  try {
    const xml = await (await fetch(el.dataset.xmlUrl, { credentials: 'same-origin' })).text();
    const { warnings } = await viewer.importXML(xml);
    el.dataset.warnings = warnings.map((w) => w.message).join('\n');
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    canvas.zoom('fit-viewport');
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
    el.dataset.ready = 'true';
  } catch (err) {
    el.textContent = 'Не удалось показать схему: ' + err.message;
    el.dataset.ready = 'error';
  }
})();
