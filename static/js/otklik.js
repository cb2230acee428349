// Every page: a table wider than the screen scrolls inside its .table-responsive box; such a box becomes a
// focusable region named after its section, so keyboard users can scroll it too (WCAG 2.1.1).
(function () {
  const mark = () => document.querySelectorAll('.table-responsive').forEach((box) => {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute('tabindex')) {
      const heading = (box.closest('section, main') || document).querySelector('h2, h1');
      box.tabIndex = 0;
      box.setAttribute('role', 'region');
      box.setAttribute('aria-label', heading ? heading.textContent.trim() : document.title);
      box.dataset.scrolls = 'true';
    } else if (!scrolls && box.dataset.scrolls) {
      ['tabindex', 'role', 'aria-label', 'data-scrolls'].forEach((name) => box.removeAttribute(name));
    }
  });
  let pending;
  window.addEventListener('resize', () => { clearTimeout(pending); pending = setTimeout(mark, 150); });
  document.addEventListener('htmx:afterSettle', mark);
  mark();
})();
