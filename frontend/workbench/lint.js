// bpmnlint in the modeler: the product's rule set packed by hand (rules imported statically, no build-time
// compile step), messages in the page's language (bpmnlint's English, or our Russian), and the issues as items of the page's problems list. Lint is advisory:
// the server's checks alone decide whether a draft can be published.
import lintingModule from 'bpmn-js-bpmnlint';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';
import './lint.css';
import { is, isAny } from 'bpmnlint-utils';
import { ENGLISH, say } from './language';
import adHocSubProcess from 'bpmnlint/rules/ad-hoc-sub-process';
import conditionalFlows from 'bpmnlint/rules/conditional-flows';
import endEventRequired from 'bpmnlint/rules/end-event-required';
import eventBasedGateway from 'bpmnlint/rules/event-based-gateway';
import eventSubProcessTypedStartEvent from 'bpmnlint/rules/event-sub-process-typed-start-event';
import global from 'bpmnlint/rules/global';
import labelRequired from 'bpmnlint/rules/label-required';
import linkEvent from 'bpmnlint/rules/link-event';
import noBpmndi from 'bpmnlint/rules/no-bpmndi';
import noComplexGateway from 'bpmnlint/rules/no-complex-gateway';
import noDisconnected from 'bpmnlint/rules/no-disconnected';
import noDuplicateSequenceFlows from 'bpmnlint/rules/no-duplicate-sequence-flows';
import noImplicitEnd from 'bpmnlint/rules/no-implicit-end';
import noImplicitSplit from 'bpmnlint/rules/no-implicit-split';
import noImplicitStart from 'bpmnlint/rules/no-implicit-start';
import noInclusiveGateway from 'bpmnlint/rules/no-inclusive-gateway';
import singleBlankStartEvent from 'bpmnlint/rules/single-blank-start-event';
import singleEventDefinition from 'bpmnlint/rules/single-event-definition';
import startEventRequired from 'bpmnlint/rules/start-event-required';
import subProcessBlankStartEvent from 'bpmnlint/rules/sub-process-blank-start-event';
import superfluousGateway from 'bpmnlint/rules/superfluous-gateway';
import superfluousLabel from 'bpmnlint/rules/superfluous-label';
import superfluousTermination from 'bpmnlint/rules/superfluous-termination';

// bpmnlint:recommended, except (each left out on purpose):
//   fake-join — a rework loop returns straight into the task it repeats, and SpiffWorkflow runs that;
//   no-gateway-join-fork — the shipped cycles merge and decide again in one exclusive gateway, which Spiff runs;
//   no-overlapping-elements — a deadline's warning and overdue timers touch on their task's border by design;
//   label-required — replaced by product/label-required: the unnamed ends of the deadline branches are fine.
const RULES = {
  'ad-hoc-sub-process': ['error', adHocSubProcess],
  'conditional-flows': ['error', conditionalFlows],
  'end-event-required': ['error', endEventRequired],
  'event-based-gateway': ['error', eventBasedGateway],
  'event-sub-process-typed-start-event': ['error', eventSubProcessTypedStartEvent],
  'global': ['warn', global],
  'link-event': ['error', linkEvent],
  'no-bpmndi': ['error', noBpmndi],
  'no-complex-gateway': ['error', noComplexGateway],
  'no-disconnected': ['error', noDisconnected],
  'no-duplicate-sequence-flows': ['error', noDuplicateSequenceFlows],
  'no-implicit-end': ['error', noImplicitEnd],
  'no-implicit-split': ['error', noImplicitSplit],
  'no-implicit-start': ['error', noImplicitStart],
  'no-inclusive-gateway': ['warn', noInclusiveGateway],
  'single-blank-start-event': ['error', singleBlankStartEvent],
  'single-event-definition': ['error', singleEventDefinition],
  'start-event-required': ['error', startEventRequired],
  'sub-process-blank-start-event': ['error', subProcessBlankStartEvent],
  'superfluous-gateway': ['warn', superfluousGateway],
  'superfluous-label': ['warn', superfluousLabel],
  'superfluous-termination': ['warn', superfluousTermination],
  'product/label-required': ['warn', productLabelRequired],
  'product/gateway-conditions': ['error', gatewayConditions],
};

// label-required without end events: an end needs no name, everything a person sees does.
function productLabelRequired() {
  const { check } = labelRequired();
  return { check: (node, reporter) => is(node, 'bpmn:EndEvent') || check(node, reporter) };
}

// P3: conditional-flows stays silent when no outgoing flow of a split has a condition or is the default.
// SpiffWorkflow's parse refuses such a split on the server after the save; this marks it as it is drawn.
function gatewayConditions() {
  return {
    check(node, reporter) {
      const outgoing = node.outgoing || [];
      if (!isAny(node, ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway']) || outgoing.length < 2) return;
      if (!node.default && !outgoing.some((flow) => flow.conditionExpression)) {
        reporter.report(node.id, say('Развилка делит поток, но ни у одного перехода нет условия и нет перехода по умолчанию',
          'The gateway splits the flow, but no outgoing flow has a condition or is the default'));
      }
    },
  };
}

const MESSAGES = {
  'Element is not connected': 'Элемент ни с чем не соединён',
  'Element is missing label/name': 'У элемента нет названия',
  'Sequence flow is missing condition': 'У перехода нет условия: задайте его или сделайте переход переходом по умолчанию',
  'Element is an implicit start': 'Неявное начало: в элемент не ведёт ни один переход',
  'Element is an implicit end': 'Неявное окончание: из элемента не выходит ни один переход',
  'Flow splits implicitly': 'Неявное ветвление: несколько исходящих переходов без развилки',
  'Event has multiple event definitions': 'У события несколько определений',
  'SequenceFlow is a duplicate': 'Переход повторяется',
  'Duplicate outgoing sequence flows': 'Исходящие переходы повторяются',
  'Duplicate incoming sequence flows': 'Входящие переходы повторяются',
  'Gateway is superfluous. It only has one source and target.': 'Лишняя развилка: у неё один вход и один выход',
  'Sequence flow has superfluous label': 'Лишняя подпись у перехода без условия',
  'Termination is superfluous.': 'Лишнее завершающее событие',
  'Conditional event is missing a condition': 'У события по условию нет условия',
  'Start event must be blank': 'Начальное событие подпроцесса должно быть простым',
  'Start event is missing event definition': 'У начального события подпроцесса-обработчика нет типа',
  'Element is missing bpmndi': 'Элемент не нарисован на схеме',
  'Element is missing name': 'У общего элемента (сообщения, сигнала) нет названия',
  'Element is unused': 'Общий элемент (сообщение, сигнал) нигде не используется',
  'Element name is not unique': 'Название общего элемента повторяется',
  'Link event is missing link name': 'У события-ссылки нет имени ссылки',
  'An <Event-based Gateway> must have at least 2 outgoing <Sequence Flows>':
    'У развилки по событию должно быть не меньше двух исходящих переходов',
  'A <Sequence Flow> outgoing from an <Event-based Gateway> must not be conditional':
    'Переход из развилки по событию не может иметь условия',
};
const PATTERNS = [
  [/ is missing end event$/, 'Нет конечного события'],
  [/ is missing start event$/, 'Нет начального события'],
  [/ has multiple blank start events$/, 'Несколько простых начальных событий'],
  [/^Element type <.*> is discouraged$/, 'Элемент этого типа не рекомендуется'],
  [/link name <(.*)>/, 'Нет парного события-ссылки или оно повторяется: «$1»'],
  [/^A <.*> is not allowed in <Ad Hoc Sub Process>$/, 'Такой элемент недопустим в нерегламентированном подпроцессе'],
];

// A rule's message in the page's language: bpmnlint's English and ours are already in it on an English page.
function shown(message) {
  if (ENGLISH) return message;
  if (MESSAGES[message] || /[А-ЯЁ]/.test(message)) return MESSAGES[message] || message;  // ours are Russian already
  for (const [pattern, text] of PATTERNS) {
    const match = message.match(pattern);
    if (match) return text.replace('$1', match[1] || '');
  }
  return `Замечание к схеме (${message})`;
}

// Every rule reports in the page's language; no rule links to the bpmnlint site from the overlay.
function translated(factory) {
  return (config) => {
    const { check } = factory(config);
    const wrap = (fn) => fn && ((node, reporter) => fn(node, { report: (id, message, path) => reporter.report(id, shown(message), path) }));
    return { check: typeof check === 'function' ? wrap(check) : { enter: wrap(check.enter), leave: wrap(check.leave) } };
  };
}

const factories = Object.fromEntries(Object.entries(RULES).map(([name, [, factory]]) => [name, translated(factory)]));

export const bpmnlint = {
  config: { rules: Object.fromEntries(Object.entries(RULES).map(([name, [category]]) => [name, category])) },
  resolver: {
    resolveRule: (pkg, name) => factories[pkg === 'bpmnlint' ? name : `${pkg.replace('bpmnlint-plugin-', '')}/${name}`],
    resolveConfig: () => null,
  },
};

export { lintingModule };

// The issues of a `linting.completed` event as problems-list items (element id, Russian message, severity).
export function lintProblems(issues) {
  return Object.values(issues).flat().map((issue) => ({
    element_id: issue.actualElementId || issue.id,
    message: issue.message,
    lint: issue.category === 'error' ? 'error' : 'warn',
  }));
}
