// Forms, enhanced when JavaScript runs (each works without it, the server checking every value):
// - date and time inputs (input[data-moment]) in Russian (or English on an English page), dd.mm.yyyy HH:MM Moscow time, with flatpickr's calendar
//   behind a button beside the input (typing stays the quickest way);
// - ordered multiple choices (select[data-ordered]) as a Tom Select: search, remove, reorder by drag or by the
//   arrow buttons of each chosen item; the submission keeps that order (the bodies' turn, clause 8.9);
// - fields of one decision (.field[data-show-if]) shown, and sent, only while that decision is chosen;
// - «Скопировать текст» buttons (button[data-copy], hidden without JavaScript) copy an element's text.
(() => {
  // Our words in the page's language (<html lang>, the person's choice): Russian by default.
  const say = (russian, english) => (document.documentElement.lang === 'en' ? english : russian);
  const RUSSIAN = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ ,]+(\d{1,2})[:.](\d{2}))?$/;
  const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/;

  // Wall-clock fields only: the value is Moscow time whatever the browser's time zone.
  function parseMoment(text) {
    const ru = RUSSIAN.exec(text.trim());
    if (ru) return new Date(+ru[3], +ru[2] - 1, +ru[1], +(ru[4] || 0), +(ru[5] || 0));
    const iso = ISO.exec(text.trim());
    return iso ? new Date(+iso[1], +iso[2] - 1, +iso[3], +iso[4], +iso[5]) : undefined;
  }

  function momentInput(input) {
    if (!window.flatpickr || input._flatpickr) return;
    const picker = window.flatpickr(input, {
      locale: say('ru', { firstDayOfWeek: 1 }), enableTime: true, time_24hr: true, allowInput: true, clickOpens: false, minuteIncrement: 1,
      dateFormat: 'd.m.Y H:i', parseDate: parseMoment,
    });
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn-outline-secondary moment-picker';
    button.textContent = say('Календарь', 'Calendar');
    // The accessible name starts with the visible text (WCAG 2.5.3).
    button.setAttribute('aria-label', say('Календарь: выбрать дату и время', 'Calendar: choose the date and time'));
    button.addEventListener('click', () => picker.toggle());
    const group = document.createElement('div');
    group.className = 'input-group moment-group';
    input.replaceWith(group);
    group.append(input, button);
  }

  function orderedChoice(select) {
    if (!window.TomSelect || select.tomselect) return;
    const move = (value, step) => {
      const items = [...ts.items];
      const from = items.indexOf(value);
      const to = from + step;
      if (from < 0 || to < 0 || to >= items.length) return;
      [items[from], items[to]] = [items[to], items[from]];
      ts.setValue(items);
    };
    const arrow = (value, step, label, text) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'ts-move btn btn-sm btn-link p-0 px-1 text-decoration-none';
      button.dataset.move = step;
      button.textContent = text;
      button.title = label;
      button.setAttribute('aria-label', label);
      button.addEventListener('mousedown', (event) => { event.preventDefault(); event.stopPropagation(); });
      button.addEventListener('click', (event) => { event.preventDefault(); event.stopPropagation(); move(value, step); });
      return button;
    };
    // Tom Select points the label at its own input; the original select, kept for the form, keeps the name too.
    const name = select.labels.length ? select.labels[0].textContent.trim() : '';
    const ts = new window.TomSelect(select, {
      plugins: { drag_drop: {}, remove_button: { title: say('Убрать', 'Remove') } },
      maxItems: select.dataset.maxItems ? Number(select.dataset.maxItems) : null,
      hideSelected: true, closeAfterSelect: true,
      refreshThrottle: 0,  // a handful of local options: a search refreshed later would reopen the list closed by Escape
      render: {
        item(data, escape) {
          const item = document.createElement('div');
          const title = document.createElement('span');
          title.className = 'ts-title';
          title.textContent = data.text;
          item.append(arrow(data.value, -1, say(`${data.text}: раньше`, `${data.text}: earlier`), '←'), title,
            arrow(data.value, 1, say(`${data.text}: позже`, `${data.text}: later`), '→'));
          return item;
        },
        no_results: () => `<div class="no-results">${say('Ничего не найдено', 'Nothing found')}</div>`,
      },
    });
    if (name) select.setAttribute('aria-label', name);
  }

  function showIfs(form) {
    const blocks = [...form.querySelectorAll('.field[data-show-if]')];
    const valueOf = (name) => {
      const checked = form.querySelector(`[name="${name}"]:checked`);
      if (checked) return checked.value;
      const select = form.querySelector(`select[name="${name}"]`);
      return select ? select.value : '';
    };
    const update = () => blocks.forEach((block) => {
      const on = block.dataset.showValues.split(' ').includes(valueOf(block.dataset.showIf));
      block.hidden = !on;
      block.querySelectorAll('input, select, textarea').forEach((control) => {
        if (control.tomselect) control.tomselect[on ? 'enable' : 'disable']();
        else control.disabled = !on;
      });
    });
    form.addEventListener('change', (event) => {
      if (blocks.some((block) => block.dataset.showIf === event.target.name)) update();
    });
    update();
  }

  function copyButton(button) {
    const status = button.parentElement.querySelector('.copy-status');
    button.hidden = false;
    button.addEventListener('click', async () => {
      const text = document.querySelector(button.dataset.copy).textContent;
      try {
        await navigator.clipboard.writeText(text);
        if (status) status.textContent = button.dataset.copied;
      } catch (error) {  // no clipboard permission: select the text for Ctrl+C
        window.getSelection().selectAllChildren(document.querySelector(button.dataset.copy));
      }
    });
  }

  document.querySelectorAll('button[data-copy]').forEach(copyButton);
  document.querySelectorAll('input[data-moment]').forEach(momentInput);
  document.querySelectorAll('select[data-ordered]').forEach(orderedChoice);
  document.querySelectorAll('form').forEach((form) => { if (form.querySelector('[data-show-if]')) showIfs(form); });
})();
