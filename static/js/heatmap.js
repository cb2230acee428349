// The process heatmap: each diagram of the process with its steps coloured by breach share and a badge of counts.
(function () {
  const data = JSON.parse(document.getElementById('heatmap-data').textContent);
  const t = data.labels;
  const hours = (m) => (m === null ? '—' : (m / 60).toFixed(1) + ' ' + t.hours);
  document.querySelectorAll('.heat-diagram').forEach(async (el) => {
    if (!window.BpmnJS) return;
    const viewer = new BpmnJS({ container: el });
    try {
      const xml = await (await fetch(el.dataset.xmlUrl, { credentials: 'same-origin' })).text();
      await viewer.importXML(xml);
      const canvas = viewer.get('canvas');
      const registry = viewer.get('elementRegistry');
      const overlays = viewer.get('overlays');
      canvas.zoom('fit-viewport');
      let marked = 0;
      data.steps.forEach((s) => {
        const element = registry.get(s.step);
        if (!element || element.type === 'bpmn:SubProcess') return;
        if (s.level !== null) canvas.addMarker(s.step, 'heat-' + s.level);
        if (s.slow) canvas.addMarker(s.step, 'heat-slow');
        const badge = document.createElement('div');
        badge.className = 'heat-badge';
        badge.dataset.step = s.step;
        badge.textContent = (s.slow ? t.slow + ' · ' : '') + t.median + ' ' + hours(s.median_wait_minutes) + ' · ' + t.breached + ' ' + s.breached + ' ' + t.of + ' ' + s.steps;
        overlays.add(s.step, { position: { bottom: -4, left: 0 }, html: badge });
        marked += 1;
      });
      el.dataset.marked = String(marked);
      el.dataset.ready = 'true';
    } catch (err) {
      el.textContent = t.failed + ': ' + err.message;
      el.dataset.ready = 'error';
    }
  });
})();
