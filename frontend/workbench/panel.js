// The properties panel in the product's language: forms, roles and deadlines chosen from lists, timers from the
// deadline parameters, gateway conditions checked by the server as typed, called processes from the library.
// Raw XML fields the diagram rules refuse (timer literals, multi-instance expressions) are not offered.
import { h } from '@bpmn-io/properties-panel/preact';
import { useState } from '@bpmn-io/properties-panel/preact/hooks';
import { Group, SelectEntry, TextAreaEntry, isSelectEntryEdited, isTextAreaEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { is, getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';
import { say } from './language';

const DROPPED_GROUPS = new Set(['timer', 'multiInstance', 'adHocCompletion', 'compensation']);
const TIMER_KINDS = { deadline: say('Срок истёк', 'Deadline passed'), warning: say('Предупреждение (80 % срока)', 'Warning (80 % of the time)') };
// Checks in flight: saving waits for them, so a condition typed just before «Сохранить» is not lost (P5).
export const pendingChecks = new Set();

function choices(map, none) {
  return () => [{ value: '', label: none }, ...Object.entries(map).map(([value, label]) => ({ value, label }))];
}

// spiffworkflow:properties / property[name] on an element.
function spiffProperty(element, name) {
  const ext = getBusinessObject(element).get('extensionElements');
  const props = ext && ext.get('values').find((v) => is(v, 'spiffworkflow:Properties'));
  const prop = props && props.get('properties').find((p) => p.get('name') === name);
  return prop ? prop.get('value') : '';
}

function setSpiffProperty(injector, element, name, value) {
  const bpmnFactory = injector.get('bpmnFactory');
  const commandStack = injector.get('commandStack');
  const bo = getBusinessObject(element);
  const commands = [];
  let ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    ext.$parent = bo;
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: bo, properties: { extensionElements: ext } } });
  }
  let props = ext.get('values').find((v) => is(v, 'spiffworkflow:Properties'));
  if (!props) {
    props = bpmnFactory.create('spiffworkflow:Properties', { properties: [] });
    props.$parent = ext;
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: ext, properties: { values: [...ext.get('values'), props] } } });
  }
  const others = props.get('properties').filter((p) => p.get('name') !== name);
  const existing = props.get('properties').find((p) => p.get('name') === name);
  if (!value) {
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: props, properties: { properties: others } } });
  } else if (existing) {
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: existing, properties: { value } } });
  } else {
    const prop = bpmnFactory.create('spiffworkflow:Property', { name, value });
    prop.$parent = props;
    commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement: props, properties: { properties: [...props.get('properties'), prop] } } });
  }
  commandStack.execute('properties-panel.multi-command-executor', commands);
}

function PropertySelect({ element, id, label, name, options, none, description }) {
  const injector = useService('injector');
  return h(SelectEntry, {
    element, id, label, description,
    getValue: () => spiffProperty(element, name),
    setValue: (value) => setSpiffProperty(injector, element, name, value),
    getOptions: choices(options, none),
  });
}

// A timer written the way the product's diagrams write it: timeDate = deadline("name", body) or warning("name", ...).
function timerExpression(element) {
  const definition = getBusinessObject(element).get('eventDefinitions').find((d) => is(d, 'bpmn:TimerEventDefinition'));
  const expression = definition && (definition.get('timeDate') || definition.get('timeDuration') || definition.get('timeCycle'));
  return { definition, text: expression ? (expression.get('body') || '').trim() : '' };
}

// Split `fn(a, b, c)` into fn and its top-level arguments (quotes and brackets respected); null if it is not a call.
export function parseCall(text) {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)\((.*)\)$/s.exec(text);
  if (!match) return null;
  const args = [];
  let depth = 0, quote = null, current = '';
  for (const ch of match[2]) {
    if (quote) { if (ch === quote) quote = null; current += ch; continue; }
    if (ch === '"' || ch === "'") quote = ch;
    if ('([{'.includes(ch)) depth += 1;
    if (')]}'.includes(ch)) depth -= 1;
    if (ch === ',' && depth === 0) { args.push(current.trim()); current = ''; continue; }
    current += ch;
  }
  if (current.trim()) args.push(current.trim());
  return { fn: match[1], args };
}

export function describeTimer(text) {
  const call = parseCall(text);
  if (!call || !(call.fn in TIMER_KINDS)) return { kind: '', parameter: '', rest: [] };
  const literal = /^"([A-Za-z0-9_]+)"$/.exec(call.args[0] || '');
  return { kind: call.fn, parameter: literal ? literal[1] : '', rest: call.args.slice(1) };
}

function writeTimer(injector, element, kind, parameter) {
  const { definition, text } = timerExpression(element);
  const described = describeTimer(text);
  const body = `${kind}(${[`"${parameter}"`, ...described.rest].join(', ')})`;
  const bpmnFactory = injector.get('bpmnFactory');
  const expression = bpmnFactory.create('bpmn:FormalExpression', { body });
  expression.$parent = definition;
  injector.get('commandStack').execute('element.updateModdleProperties', {
    element, moddleElement: definition,
    properties: { timeDate: expression, timeDuration: undefined, timeCycle: undefined },
  });
}

function TimerSelect({ element, id, label, part, options }) {
  const injector = useService('injector');
  const { text } = timerExpression(element);
  const current = describeTimer(text);
  const computed = text && !current.parameter;
  return h(SelectEntry, {
    element, id, label,
    description: part === 'parameter' && computed ? say(`Сейчас срок вычисляется выражением ${text}; выбор параметра заменит его`,
      `The deadline is now computed by the expression ${text}; choosing a parameter replaces it`) : undefined,
    getValue: () => (part === 'kind' ? current.kind || 'deadline' : current.parameter),
    setValue: (value) => {
      if (!value) return;
      const now = describeTimer(timerExpression(element).text);
      if (part === 'kind') writeTimer(injector, element, value, now.parameter || Object.keys(options)[0]);
      else writeTimer(injector, element, now.kind || 'deadline', value);
    },
    getOptions: choices(part === 'kind' ? TIMER_KINDS : options, part === 'kind' ? '—' : say('— выберите параметр срока —', '— choose a deadline parameter —')),
  });
}

function ConditionEntry({ element, id, checkUrl, csrf }) {
  const injector = useService('injector');
  const debounce = useService('debounceInput');
  const [message, setMessage] = useState(null);
  const bo = getBusinessObject(element);
  const setValue = (value) => {
    if (!value) {
      setMessage(null);
      injector.get('modeling').updateProperties(element, { conditionExpression: undefined });
      return;
    }
    const check = fetch(checkUrl, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf },
      body: JSON.stringify({ expression: value }),
    }).then((r) => r.json()).then((answer) => {
      setMessage(answer.ok ? null : answer.message || answer.error.message);
      if (answer.ok) {
        const expression = injector.get('bpmnFactory').create('bpmn:FormalExpression', { body: value });
        injector.get('modeling').updateProperties(element, { conditionExpression: expression });
      }
    }).finally(() => pendingChecks.delete(check));
    pendingChecks.add(check);
  };
  const stored = () => (bo.get('conditionExpression') ? bo.get('conditionExpression').get('body') : '');
  // Typing back the condition the diagram holds is no change to the panel, so no check runs: clear the refusal here.
  const onInput = (event) => { if (event.target.value === stored()) setMessage(null); };
  return h('div', { class: message ? 'condition has-error' : 'condition', onInput }, [
    h(TextAreaEntry, {
      element, id, label: say('Условие перехода', 'Flow condition'), debounce, monospace: true,
      description: say('Язык выражений продукта, например importance == "high"', 'The product\'s expression language, for example importance == "high"'),
      getValue: stored,
      setValue,
    }),
    message ? h('div', { class: 'bio-properties-panel-error condition-error' }, say(`Условие не записано: ${message}`, `The condition was not written: ${message}`)) : null,
  ]);
}

function CalledProcess({ element, id, options }) {
  const modeling = useService('modeling');
  return h(SelectEntry, {
    element, id, label: say('Вызываемый процесс', 'Called process'),
    getValue: () => getBusinessObject(element).get('calledElement') || '',
    setValue: (value) => modeling.updateProperties(element, { calledElement: value || undefined }),
    getOptions: choices(options, say('— выберите процесс —', '— choose a process —')),
  });
}

function group(id, label, entries) {
  return { id, label, component: Group, entries };
}

export default function ProductPropertiesProvider(propertiesPanel, config) {
  const { options, checkUrl, csrf } = config;
  this.getGroups = (element) => (groups) => {
    groups = groups.filter((g) => !DROPPED_GROUPS.has(g.id));
    const bo = getBusinessObject(element);
    if (is(element, 'bpmn:UserTask')) {
      groups.splice(1, 0, group('product-task', say('Задача для человека', 'Task for a person'), [
        { id: 'task-form', component: PropertySelect, isEdited: isSelectEntryEdited, name: 'formJsonSchemaFilename',
          label: say('Форма', 'Form'), options: Object.fromEntries(options.forms.map((f) => [f, f])), none: say('— выберите форму —', '— choose a form —') },
        { id: 'task-role', component: PropertySelect, isEdited: isSelectEntryEdited, name: 'role',
          label: say('Роль', 'Role'), options: options.roles, none: say('— выберите роль —', '— choose a role —') },
        { id: 'task-deadline', component: PropertySelect, isEdited: isSelectEntryEdited, name: 'deadline',
          label: say('Срок шага', 'Step deadline'), options: options.deadlines, none: say('без срока', 'no deadline') },
      ].map((entry) => ({ ...entry, element }))));
    }
    if ((bo.get('eventDefinitions') || []).some((d) => is(d, 'bpmn:TimerEventDefinition'))) {
      groups.splice(1, 0, group('product-timer', say('Срок таймера', 'Timer deadline'), [
        { id: 'timer-kind', component: TimerSelect, isEdited: isSelectEntryEdited, label: say('Когда срабатывает', 'Fires when'), part: 'kind', options: options.deadlines, element },
        { id: 'timer-parameter', component: TimerSelect, isEdited: isSelectEntryEdited, label: say('Параметр срока', 'Deadline parameter'), part: 'parameter', options: options.deadlines, element },
      ]));
    }
    if (is(element, 'bpmn:SequenceFlow') && is(bo.get('sourceRef'), 'bpmn:Gateway') && !is(bo.get('sourceRef'), 'bpmn:ParallelGateway')) {
      const isDefault = bo.get('sourceRef').get('default') === bo;
      if (!isDefault) {
        groups.splice(1, 0, group('product-condition', say('Условие', 'Condition'), [
          { id: 'flow-condition', component: ConditionEntry, isEdited: isTextAreaEntryEdited, element, checkUrl, csrf },
        ]));
      }
    }
    if (is(element, 'bpmn:CallActivity')) {
      groups.splice(1, 0, group('product-call', say('Вызов процесса', 'Process call'), [
        { id: 'called-process', component: CalledProcess, isEdited: isSelectEntryEdited, element, options: options.processes },
      ]));
    }
    return groups;
  };
  propertiesPanel.registerProvider(500, this);
}
ProductPropertiesProvider.$inject = ['propertiesPanel', 'config.productPanel'];
