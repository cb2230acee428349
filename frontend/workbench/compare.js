// The comparison page: both diagrams in bpmn-js NavigatedViewers, added, removed and changed elements coloured by
// bpmn-js-differ (with a handler that fixes its swapped values and gives nested changes to their element), the
// server's list of changes merged in, the two views' scroll and zoom kept together, the list selecting elements.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { diff } from 'bpmn-js-differ';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import './compare.css';
import spiffworkflow from './spiffworkflow.json';
import { say } from './language';

const isDi = (model) => /^(bpmndi|dc|di):/.test(model.$type || '');
const isTracked = (model) => Boolean(model && model.$instanceOf
  && (model.$instanceOf('bpmn:FlowElement') || model.$instanceOf('bpmn:Process'))
  && !model.$instanceOf('bpmn:DataObject'));

// bpmn-js-differ's handler protocol. Its walk passes a change as (model, property, old, new): the stock handler
// names them the other way round. A change inside an element (a timer's expression, an extension property) comes
// with the nested object as its model: it belongs to the nearest tracked ancestor.
export class ElementChanges {
  constructor() { this.found = { added: {}, removed: {}, changed: {} }; }

  owner(model) {
    let current = model;
    while (current && !isTracked(current)) current = current.$parent;
    return current;
  }

  mark(model, property, oldValue, newValue) {
    const owner = this.owner(model);
    if (!owner || !owner.id) return;
    const entry = this.found.changed[owner.id] || (this.found.changed[owner.id] = {});
    entry[owner === model ? property : `${model.$type}.${property}`] = { oldValue, newValue };
  }

  added(model, property, element, idx) {
    if (isTracked(element)) this.found.added[element.id] = element;
    else if (!isDi(model)) this.mark(model, `${property}[${idx}]`, undefined, element);
  }

  removed(model, property, element, idx) {
    if (isTracked(element)) this.found.removed[element.id] = element;
    else if (!isDi(model)) this.mark(model, `${property}[${idx}]`, element, undefined);
  }

  changed(model, property, oldValue, newValue) {
    // A call without values announces a walk into a nested object: the nested calls carry the change.
    if (isDi(model) || (oldValue === undefined && newValue === undefined)) return;
    this.mark(model, property, oldValue, newValue);
  }

  moved() {}
}

function start(root) {
  const $ = (id) => document.getElementById(id);
  const sides = JSON.parse($('compare-data').textContent);
  const viewers = {};
  const kinds = { old: {}, new: {} };  // element id -> added | removed | changed, per side

  function note(side, id, kind) {
    if (!kinds[side][id] || kind !== 'changed') kinds[side][id] = kind;
  }

  async function open(side) {
    const viewer = new NavigatedViewer({ container: $(`canvas-${side}`), moddleExtensions: { spiffworkflow } });
    viewers[side] = viewer;
    if (sides[side] !== null) {
      await viewer.importXML(sides[side]);
      viewer.get('canvas').zoom('fit-viewport');
    }
    return viewer;
  }

  function colour() {
    ['old', 'new'].forEach((side) => {
      const canvas = viewers[side].get('canvas');
      const registry = viewers[side].get('elementRegistry');
      Object.entries(kinds[side]).forEach(([id, kind]) => {
        if (registry.get(id)) canvas.addMarker(id, `diff-${kind}`);
      });
    });
  }

  function keepTogether() {
    let syncing = false;
    [['old', 'new'], ['new', 'old']].forEach(([from, to]) => {
      viewers[from].on('canvas.viewbox.changed', ({ viewbox }) => {
        if (syncing) return;
        syncing = true;
        try {
          viewers[to].get('canvas').viewbox({ x: viewbox.x, y: viewbox.y, width: viewbox.width, height: viewbox.height });
        } finally {
          syncing = false;
        }
      });
    });
    const box = viewers.new.get('canvas').viewbox();
    viewers.old.get('canvas').viewbox({ x: box.x, y: box.y, width: box.width, height: box.height });
  }

  function focus(id) {
    ['new', 'old'].forEach((side) => {
      const registry = viewers[side].get('elementRegistry');
      const element = registry.get(id);
      viewers[side].get('selection').select(element ? [element] : []);
    });
    const side = viewers.new.get('elementRegistry').get(id) ? 'new' : 'old';
    const element = viewers[side].get('elementRegistry').get(id);
    if (!element) return;
    const canvas = viewers[side].get('canvas');
    if (canvas.zoom() < 0.8) canvas.zoom(1);
    canvas.scrollToElement(element);
    root.dataset.focused = id;
  }

  (async () => {
    try {
      await Promise.all([open('old'), open('new')]);
      if (sides.old !== null && sides.new !== null) {
        const { found } = diff(viewers.old.getDefinitions(), viewers.new.getDefinitions(), new ElementChanges());
        Object.keys(found.added).forEach((id) => note('new', id, 'added'));
        Object.keys(found.removed).forEach((id) => note('old', id, 'removed'));
        Object.keys(found.changed).forEach((id) => { note('old', id, 'changed'); note('new', id, 'changed'); });
        root.dataset.differ = JSON.stringify({ added: Object.keys(found.added).sort(),
          removed: Object.keys(found.removed).sort(), changed: Object.keys(found.changed).sort() });
      }
      // The server's semantic diff also knows what the differ misses (timer bodies, default flows).
      sides.changes.forEach(({ element_id: id, kind }) => {
        if (kind === 'added') note('new', id, kind);
        else if (kind === 'removed') note('old', id, kind);
        else { note('old', id, kind); note('new', id, kind); }
      });
      colour();
      keepTogether();
      document.querySelectorAll('button.change-element').forEach((button) => {
        button.addEventListener('click', () => focus(button.dataset.elementId));
      });
      root.dataset.ready = 'true';
    } catch (err) {
      $('compare-status').textContent = say(`Не удалось открыть диаграммы: ${err.message}`, `Could not open the diagrams: ${err.message}`);
      root.dataset.ready = 'error';
    }
  })();
  window.compareViewers = viewers;
}

const root = document.getElementById('compare');
if (root) start(root);
