// The decision-table editor of a draft: dmn-js (prebuilt UMD, global DmnJS) with plain-text cells in the product's
// expression language, autosave and «Сохранить» with the revision the page started from, the conflict banner, and
// the server's problems in a list and on their cells.
(() => {
  const root = document.getElementById('table-editor');
  if (!root) return;
  const data = root.dataset;
  const $ = (id) => document.getElementById(id);
  const AUTOSAVE_MS = 3000;
  const RUSSIAN = {
    'Add rule': 'Добавить правило', 'Add input': 'Добавить вход', 'Add output': 'Добавить выход',
    'Add rule above': 'Добавить правило выше', 'Add rule below': 'Добавить правило ниже',
    'Remove rule': 'Удалить правило', 'Copy rule': 'Копировать правило', 'Cut rule': 'Вырезать правило',
    'Paste rule above': 'Вставить правило выше', 'Paste rule below': 'Вставить правило ниже',
    'Add input column left': 'Добавить вход слева', 'Add input column right': 'Добавить вход справа',
    'Add output column left': 'Добавить выход слева', 'Add output column right': 'Добавить выход справа',
    'Remove input column': 'Удалить вход', 'Remove output column': 'Удалить выход',
    'Hit policy': 'Политика попаданий', 'Hit policy:': 'Политика попаданий:', 'Annotations': 'Примечания',
    'Annotation': 'Примечание', 'When': 'Если', 'And': 'и', 'Then': 'То', 'Input': 'Вход', 'Output': 'Выход',
    'Input label': 'Название входа', 'Input expression': 'Выражение входа', 'Output label': 'Название выхода',
    'Output name': 'Имя выхода', 'Edit': 'Изменить', 'Decision name': 'Название решения',
    'Add cell description': 'Добавить пояснение к ячейке', 'Remove cell description': 'Удалить пояснение',
    'Expression language': 'Язык выражений', 'Enter expression': 'Введите выражение',
  };
  // Only the product's language, so every cell is a plain text editor and never FEEL's editor or simple mode.
  const language = { value: 'otklik', label: 'Выражения Отклика' };
  const noSimpleMode = { simpleMode: ['value', { registerProvider() {}, canSimpleEdit: () => false }] };
  const translate = { translate: ['value', (text, replacements = {}) => (RUSSIAN[text] || text)
    .replace(/{([^}]+)}/g, (_, key) => replacements[key] ?? `{${key}}`)] };
  const modeler = new DmnJS({
    container: $('table'),
    common: { expressionLanguages: { options: [language], defaults: { editor: language.value } } },
    decisionTable: { additionalModules: [noSimpleMode, translate] },
  });
  const state = { revision: 0, changes: 0, saved: 0, saving: null, timer: null, conflict: false };
  const status = (text, kind = '') => { $('save-status').textContent = text; $('save-status').dataset.state = kind; };
  const dirty = () => state.changes !== state.saved;

  function showProblems(problems) {
    const list = $('problem-list');
    list.replaceChildren();
    $('problem-count').textContent = String(problems.length);
    $('no-problems').hidden = problems.length > 0;
    const cells = [];
    problems.forEach((problem) => {
      const item = document.createElement('li');
      item.className = 'problem';
      item.dataset.elementId = problem.element_id || '';
      item.textContent = (problem.file !== data.file ? `${problem.file}: ` : '') + problem.message;
      list.append(item);
      if (problem.file === data.file && problem.element_id) cells.push(CSS.escape(problem.element_id));
    });
    $('problem-cells').textContent = cells.map((id) => `#table td[data-element-id="${id}"]`).join(',\n')
      + (cells.length ? ' { outline: 2px solid #c62828; outline-offset: -2px; background: #fde2df; }' : '');
  }

  async function send(comment, manual) {
    if (document.activeElement && $('table').contains(document.activeElement)) document.activeElement.blur();
    const sent = state.changes;
    const { xml } = await modeler.saveXML({ format: true });
    status('Сохранение…', 'saving');
    let response, answer;
    try {
      response = await fetch(data.saveUrl, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': data.csrf },
        body: JSON.stringify({ xml, revision: state.revision, comment }),
      });
      answer = await response.json();
    } catch (err) {
      status('Не удалось сохранить: сервер недоступен. Изменения остаются на странице, повторите сохранение.', 'error');
      return;
    }
    if (response.status === 409) {
      state.conflict = true;
      $('conflict-message').textContent = answer.error.message;
      $('conflict').hidden = false;
      status('Не сохранено: черновик изменён другим пользователем', 'conflict');
      return;
    }
    if (!response.ok) {
      status(`Не сохранено: ${answer.error.message}`, 'error');
      return;
    }
    state.revision = answer.revision;
    state.saved = sent;
    data.revision = String(answer.revision);
    if (manual) $('save-comment').value = '';
    status(`Сохранено ${answer.saved_at} (${answer.saved_by}), редакция ${answer.revision}`
      + (dirty() ? '; есть новые изменения' : ''), dirty() ? 'dirty' : 'saved');
    showProblems(answer.problems);
  }

  async function save(comment, manual = false) {
    clearTimeout(state.timer);
    while (state.saving) await state.saving;
    if (state.conflict || (!manual && !dirty())) return;
    state.saving = send(comment, manual).finally(() => { state.saving = null; });
    await state.saving;
  }

  function changed() {
    state.changes += 1;
    if (state.conflict) return;
    status('Есть несохранённые изменения', 'dirty');
    clearTimeout(state.timer);
    state.timer = setTimeout(() => save(''), AUTOSAVE_MS);
  }

  $('save').addEventListener('click', () => save($('save-comment').value, true));
  $('reload').addEventListener('click', () => window.location.reload());
  document.querySelectorAll('a.diagram-file').forEach((link) => link.addEventListener('click', async (event) => {
    event.preventDefault();
    await save('');
    window.location.assign(link.href);
  }));
  window.addEventListener('beforeunload', (event) => {
    if (dirty() && !state.conflict) { event.preventDefault(); event.returnValue = ''; }
  });

  (async () => {
    try {
      const response = await fetch(data.xmlUrl, { credentials: 'same-origin', cache: 'no-store' });
      if (!response.ok) throw new Error((await response.json()).error.message);
      state.revision = Number(response.headers.get('X-Draft-Revision'));
      data.revision = String(state.revision);
      await modeler.importXML(await response.text());
      const view = modeler.getViews().find((v) => v.type === 'decisionTable');
      if (!view) throw new Error('в файле нет таблицы решений');
      await modeler.open(view);
      modeler.getActiveViewer().get('eventBus').on('elements.changed', changed);
      showProblems(JSON.parse($('draft-problems').textContent));
      data.ready = 'true';
    } catch (err) {
      status(`Не удалось открыть таблицу: ${err.message}`, 'error');
      data.ready = 'error';
    }
  })();
  window.workbenchTable = modeler;
})();
