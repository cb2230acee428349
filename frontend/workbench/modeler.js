// The draft's modeler page: bpmn-js Modeler, the product's properties panel, autosave and «Сохранить» with the
// revision the page started from, the conflict banner, and the server's problems on the diagram and in a list.
import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import spiffworkflow from './spiffworkflow.json';
import translate from './translate';
import limits from './limits';
import ProductPropertiesProvider, { pendingChecks } from './panel';
import { bpmnlint, lintingModule, lintProblems } from './lint';
import draftFile from './saving';
import { say } from './language';

function start(root) {
  const data = root.dataset;
  const $ = (id) => document.getElementById(id);
  const modeler = new Modeler({
    container: $('canvas'),
    propertiesPanel: { parent: $('properties'), layout: { groups: Object.fromEntries(
      ['product-task', 'product-timer', 'product-condition', 'product-call'].map((id) => [id, { open: true }])) } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, translate, limits, lintingModule,
      { __init__: ['productPanel'], productPanel: ['type', ProductPropertiesProvider] }],
    moddleExtensions: { spiffworkflow },
    linting: { bpmnlint, active: true },
    productPanel: { options: JSON.parse($('panel-options').textContent), checkUrl: data.checkUrl, csrf: data.csrf },
  });
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  const overlays = modeler.get('overlays');
  const marks = { marked: [], server: [], lint: [] };

  function focus(id) {
    const element = registry.get(id);
    if (!element) return;
    if (canvas.zoom() < 0.8) canvas.zoom(1);
    canvas.scrollToElement(element);
    modeler.get('selection').select(element);
  }

  // The server's problems and the editor's lint issues (advisory, marked «проверка схемы») in one list.
  function showProblems(problems) {
    marks.server = problems;
    renderProblems();
  }

  function renderProblems() {
    const problems = [...marks.server, ...marks.lint];
    overlays.remove({ type: 'problem' });
    marks.marked.forEach((id) => canvas.removeMarker(id, 'has-problem'));
    marks.marked = [];
    const list = $('problem-list');
    list.replaceChildren();
    $('problem-count').textContent = String(problems.length);
    $('no-problems').hidden = problems.length > 0;
    $('lint-note').hidden = marks.lint.length === 0;
    const here = {};
    problems.forEach((problem) => {
      const item = document.createElement('li');
      const link = document.createElement('button');
      link.type = 'button';
      link.className = problem.lint ? `link problem lint-${problem.lint}` : 'link problem';
      link.dataset.elementId = problem.element_id || '';
      const shape = problem.file === data.file && problem.element_id && registry.get(problem.element_id);
      const where = shape ? shape.businessObject.name || problem.element_id : problem.element_id;
      link.textContent = (problem.lint ? say(`проверка схемы${problem.lint === 'warn' ? ', совет' : ''}: `,
        `diagram check${problem.lint === 'warn' ? ', advice' : ''}: `) : '')
        + (problem.file && problem.file !== data.file ? `${problem.file}: ` : '')
        + (where ? `«${where}»: ` : '') + problem.message;
      link.addEventListener('click', async () => {
        if (problem.file && problem.file !== data.file) {
          await save('');
          const url = new URL(window.location.href);
          url.searchParams.set('file', problem.file);
          if (problem.element_id) url.searchParams.set('select', problem.element_id); else url.searchParams.delete('select');
          window.location.assign(url);
        } else if (problem.element_id) {
          focus(problem.element_id);
        }
      });
      item.append(link);
      list.append(item);
      if (!problem.lint && problem.file === data.file && problem.element_id && registry.get(problem.element_id)) {
        (here[problem.element_id] = here[problem.element_id] || []).push(problem.message);
      }
    });
    Object.entries(here).forEach(([id, messages]) => {
      canvas.addMarker(id, 'has-problem');
      marks.marked.push(id);
      const badge = document.createElement('div');
      badge.className = 'problem-badge';
      badge.textContent = messages.join('\n');
      overlays.add(id, 'problem', { position: { bottom: 4, left: 0 }, scale: { min: 1 }, html: badge });
    });
  }

  const { state, status, dirty, save, changed, load } = draftFile({
    data, $, showProblems,
    serialize: async () => (await modeler.saveXML({ format: true })).xml,
    // Commit what the properties panel still holds (its inputs are debounced) and the conditions being checked.
    flush: async () => {
      if (document.activeElement && $('properties').contains(document.activeElement)) document.activeElement.blur();
      await Promise.all([...pendingChecks]);
    },
  });

  modeler.on('linting.completed', ({ issues }) => {
    marks.lint = lintProblems(issues).map((problem) => ({ ...problem, file: data.file }));
    renderProblems();
  });
  modeler.on('commandStack.changed', changed);
  // Publishing publishes what the server holds: save first, and name the revision the page is on.
  $('publish-form')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    await save('');
    if (state.conflict || dirty()) return;
    event.target.elements.revision.value = String(state.revision);
    event.target.submit();
  });

  (async () => {
    try {
      const { warnings } = await modeler.importXML(await load());
      data.warnings = warnings.map((w) => w.message).join('\n');
      canvas.zoom('fit-viewport');
      showProblems(JSON.parse($('draft-problems').textContent));
      const selected = new URL(window.location.href).searchParams.get('select');
      if (selected) setTimeout(() => focus(selected), 0);  // the panel listens only after its first paint
      data.readyMs = String(Math.round(performance.now()));
      data.ready = 'true';
    } catch (err) {
      status(say(`Не удалось открыть диаграмму: ${err.message}`, `Could not open the diagram: ${err.message}`), 'error');
      data.ready = 'error';
    }
  })();
  window.workbenchModeler = modeler;
}

const root = document.getElementById('workbench');
if (root) start(root);
