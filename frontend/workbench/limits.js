// What the product's diagram rules refuse is not offered: no script tasks, no plain or manual tasks (they wait
// silently in SpiffWorkflow); «create task» and «append task» make a user task instead.
const REFUSED = new Set(['replace-with-task', 'replace-with-script-task', 'replace-with-manual-task']);

function ProductLimits(palette, contextPad, popupMenu, create, elementFactory, autoPlace) {
  const userTask = () => elementFactory.createShape({ type: 'bpmn:UserTask' });
  palette.registerProvider(500, {
    getPaletteEntries: () => (entries) => {
      delete entries['create.data-store'];
      if (entries['create.task']) {
        const start = (event) => create.start(event, userTask());
        entries['create.task'] = { ...entries['create.task'], className: 'bpmn-icon-user-task',
          action: { dragstart: start, click: start } };
      }
      return entries;
    },
  });
  contextPad.registerProvider(500, {
    getContextPadEntries: (element) => (entries) => {
      if (entries['append.append-task']) {
        const append = (event, source) => (autoPlace ? autoPlace.append(source, userTask())
          : create.start(event, userTask(), { source }));
        entries['append.append-task'] = { ...entries['append.append-task'], className: 'bpmn-icon-user-task',
          action: { click: append, dragstart: (event) => create.start(event, userTask(), { source: element }) } };
      }
      return entries;
    },
  });
  popupMenu.registerProvider('bpmn-replace', 500, {
    getPopupMenuEntries: () => (entries) => Object.fromEntries(Object.entries(entries).filter(([key]) => !REFUSED.has(key))),
  });
}
ProductLimits.$inject = ['palette', 'contextPad', 'popupMenu', 'create', 'elementFactory', 'autoPlace'];

export default { __init__: ['productLimits'], productLimits: ['type', ProductLimits] };
