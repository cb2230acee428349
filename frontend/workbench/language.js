// The workbench speaks the page's language (<html lang>, set from the person's choice): Russian by default, English
// when chosen. The editors' own libraries (bpmn-js, dmn-js, bpmnlint) are English; Russian is our translation of them.
export const ENGLISH = document.documentElement.lang === 'en';

// A sentence the workbench writes itself, given in both languages.
export function say(russian, english) {
  return ENGLISH ? english : russian;
}

// A library's English text in the page's language: the Russian from `russian` (English → Russian), else as it is.
export function fromLibrary(russian, text) {
  return ENGLISH ? text : russian[text] || text;
}
