// The decision-table editor of a draft: dmn-js (prebuilt UMD, global DmnJS) with plain-text cells in the product's
// expression language, autosave and «Сохранить» with the revision the page started from, the conflict banner, and
// the server's problems in a list and on their cells.
import draftFile from './saving';
import { fromLibrary, say } from './language';

function start(root) {
  const data = root.dataset;
  const $ = (id) => document.getElementById(id);
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
  const language = { value: 'otklik', label: say('Выражения Отклика', 'Otklik expressions') };
  const noSimpleMode = { simpleMode: ['value', { registerProvider() {}, canSimpleEdit: () => false }] };
  const translate = { translate: ['value', (text, replacements = {}) => fromLibrary(RUSSIAN, text)
    .replace(/{([^}]+)}/g, (_, key) => replacements[key] ?? `{${key}}`)] };
  const modeler = new window.DmnJS({
    container: $('table'),
    common: { expressionLanguages: { options: [language], defaults: { editor: language.value } } },
    decisionTable: { additionalModules: [noSimpleMode, translate] },
  });

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

  const { status, changed, load } = draftFile({
    data, $, showProblems,
    serialize: async () => (await modeler.saveXML({ format: true })).xml,
    flush: async () => {
      if (document.activeElement && $('table').contains(document.activeElement)) document.activeElement.blur();
    },
  });

  (async () => {
    try {
      await modeler.importXML(await load());
      const view = modeler.getViews().find((v) => v.type === 'decisionTable');
      if (!view) throw new Error(say('в файле нет таблицы решений', 'the file has no decision table'));
      await modeler.open(view);
      modeler.getActiveViewer().get('eventBus').on('elements.changed', changed);
      showProblems(JSON.parse($('draft-problems').textContent));
      data.ready = 'true';
    } catch (err) {
      status(say(`Не удалось открыть таблицу: ${err.message}`, `Could not open the table: ${err.message}`), 'error');
      data.ready = 'error';
    }
  })();
  window.workbenchTable = modeler;
}

const root = document.getElementById('table-editor');
if (root) start(root);
