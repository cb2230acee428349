// The case page's diagram: the case's own process version, the current step and the path so far marked.
(async function () {
  const el = document.getElementById('diagram');
  if (!el || !window.BpmnJS) return;
  const viewer = new BpmnJS({ container: el });
  try {
    const xml = await (await fetch(el.dataset.xmlUrl, { credentials: 'same-origin' })).text();
    await viewer.importXML(xml);
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    canvas.zoom('fit-viewport');
    const done = JSON.parse(el.dataset.done || '[]');
    const active = JSON.parse(el.dataset.active || '[]');
    done.forEach((id) => { if (registry.get(id)) canvas.addMarker(id, 'step-done'); });
    // Sequence flows between two completed elements belong to the path taken.
    registry.filter((e) => e.type === 'bpmn:SequenceFlow').forEach((flow) => {
      const src = flow.businessObject.sourceRef.id;
      const dst = flow.businessObject.targetRef.id;
      if (done.includes(src) && (done.includes(dst) || active.includes(dst))) canvas.addMarker(flow.id, 'flow-done');
    });
    active.forEach((id) => { if (registry.get(id)) canvas.addMarker(id, 'step-current'); });
    el.dataset.ready = 'true';
  } catch (err) {
    el.textContent = 'Не удалось показать схему: ' + err.message;
    el.dataset.ready = 'error';
  }
})();
