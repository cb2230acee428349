// The inbox's keyboard: j/k move between tasks, Enter opens the focused one, / goes to the search box.
// The list refreshes itself (htmx); the focused task stays focused across a refresh.
(function () {
  let focused = null; // the task id of the focused row
  const rows = () => Array.from(document.querySelectorAll('#inbox-list tr.inbox-row'));
  function focus(row) {
    if (!row) return;
    rows().forEach((r) => r.classList.remove('table-active'));
    row.classList.add('table-active');
    row.focus();
    focused = row.dataset.taskId;
  }
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest && target.closest('input, select, textarea, button')) {
      if (event.key === 'Escape' && target.id === 'inbox-q') target.blur();
      return;
    }
    const list = rows();
    const index = list.findIndex((r) => r.dataset.taskId === focused);
    if (event.key === 'j' || event.key === 'k') {
      const next = event.key === 'j' ? Math.min(index + 1, list.length - 1) : Math.max(index - 1, 0);
      focus(list[index < 0 ? 0 : next]);
      event.preventDefault();
    } else if (event.key === 'Enter' && index >= 0) {
      list[index].querySelector('a.task-link').click();
      event.preventDefault();
    } else if (event.key === '/') {
      document.getElementById('inbox-q').focus();
      event.preventDefault();
    }
  });
  document.body.addEventListener('htmx:afterSwap', () => {
    const row = focused && document.querySelector(`#inbox-list tr[data-task-id="${focused}"]`);
    if (!row) return;
    const active = document.activeElement;
    if (!active || active === document.body || active.closest('#inbox-list')) focus(row);
    else row.classList.add('table-active'); // someone typing in the search box keeps the caret
  });
})();
