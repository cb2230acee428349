// The triage form: the competent bodies follow the decision table's answer for the chosen theme and location
// (GET data-bodies-url) until the curator changes them by hand. Only the answer to the latest question counts, and
// the bodies' field is aria-busy while it is awaited.
(() => {
  const form = document.getElementById('task-form');
  if (!form || !form.dataset.bodiesUrl) return;
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const select = form.querySelector('select[name="bodies"]');
  if (!select) return;
  const chosen = () => (select.tomselect ? select.tomselect.items : [...select.selectedOptions].map((o) => o.value)).join();
  let suggested = '';  // what the table last filled in; bodies the page came with are the curator's own
  let asked = 0;  // the latest question: an earlier answer arriving after it is stale
  const busy = select.closest('.field') || select;

  async function ask() {
    if (chosen() !== suggested) return;
    const question = ++asked;
    busy.setAttribute('aria-busy', 'true');
    try {
      const query = new URLSearchParams({ theme: field('theme').value, location: field('location').value });
      const response = await fetch(`${form.dataset.bodiesUrl}?${query}`, { credentials: 'same-origin' });
      if (!response.ok || question !== asked || chosen() !== suggested) return;
      const { bodies } = await response.json();
      if (question !== asked || chosen() !== suggested) return;
      if (select.tomselect) select.tomselect.setValue(bodies, true);
      else [...select.options].forEach((option) => { option.selected = bodies.includes(option.value); });
      suggested = chosen();
    } finally {
      if (question === asked) busy.removeAttribute('aria-busy');
    }
  }

  ['theme', 'location'].forEach((name) => field(name) && field(name).addEventListener('change', ask));
})();
