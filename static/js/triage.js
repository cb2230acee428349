// The triage form: the competent bodies follow the decision table's answer for the chosen theme and location
// (GET data-bodies-url) until the curator changes them by hand.
(() => {
  const form = document.getElementById('task-form');
  if (!form || !form.dataset.bodiesUrl) return;
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const select = form.querySelector('select[name="bodies"]');
  if (!select) return;
  const chosen = () => (select.tomselect ? select.tomselect.items : [...select.selectedOptions].map((o) => o.value)).join();
  let suggested = '';  // what the table last filled in; bodies the page came with are the curator's own

  async function ask() {
    if (chosen() !== suggested) return;
    const query = new URLSearchParams({ theme: field('theme').value, location: field('location').value });
    const response = await fetch(`${form.dataset.bodiesUrl}?${query}`, { credentials: 'same-origin' });
    if (!response.ok || chosen() !== suggested) return;
    const { bodies } = await response.json();
    if (select.tomselect) select.tomselect.setValue(bodies, true);
    else [...select.options].forEach((option) => { option.selected = bodies.includes(option.value); });
    suggested = chosen();
    form.dataset.suggested = suggested;
  }

  ['theme', 'location'].forEach((name) => field(name) && field(name).addEventListener('change', ask));
})();
