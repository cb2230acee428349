// The monthly summary's charts (Chart.js): the figures come from the page's JSON block, the labels from the canvases.
(function () {
  const source = document.getElementById('report-data');
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const bodies = document.getElementById('chart-bodies');
  if (bodies && data.bodies.length) {
    new Chart(bodies, {type: 'bar', options: {indexAxis: 'y', scales: {x: {min: 0, max: 100}}},
      data: {labels: data.bodies.map((b) => b.name), datasets: [{label: bodies.dataset.label,
        data: data.bodies.map((b) => (b.on_time_share === null ? null : 100 * b.on_time_share))}]}});
  }
  for (const name of ['theme', 'channel']) {
    const canvas = document.getElementById('chart-' + name);
    const items = data.dynamics[name].slice(0, 10);
    if (!canvas || !items.length) continue;
    new Chart(canvas, {type: 'bar', data: {labels: items.map((i) => i.name), datasets: [
      {label: canvas.dataset.month, data: items.map((i) => i.count)},
      {label: canvas.dataset.previous, data: items.map((i) => i.previous)}]}});
  }
})();
