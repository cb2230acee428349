// Saving one file of a draft, shared by the modeler and the decision-table pages: autosave a few seconds after each
// change and «Сохранить» with a comment, both naming the revision the page is on; a stale revision shows the
// conflict banner instead of overwriting; the server answers with the draft's problems.
import { say } from './language';

const AUTOSAVE_MS = 3000;

export default function draftFile({ data, $, serialize, flush = async () => {}, showProblems }) {
  const state = { revision: 0, changes: 0, saved: 0, saving: null, timer: null, conflict: false };
  const status = (text, kind = '') => { $('save-status').textContent = text; $('save-status').dataset.state = kind; };
  const dirty = () => state.changes !== state.saved;

  async function send(comment, manual) {
    await flush();
    const sent = state.changes;
    const xml = await serialize();
    status(say('Сохранение…', 'Saving…'), 'saving');
    let response, answer;
    try {
      response = await fetch(data.saveUrl, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRFToken': data.csrf },
        body: JSON.stringify({ xml, revision: state.revision, comment }),
      });
      answer = await response.json();
    } catch (err) {
      status(say('Не удалось сохранить: сервер недоступен. Изменения остаются на странице, повторите сохранение.',
        'Could not save: the server is unreachable. The changes stay on the page; save again.'), 'error');
      return;
    }
    if (response.status === 409) {
      state.conflict = true;
      $('conflict-message').textContent = answer.error.message;
      $('conflict').hidden = false;
      status(say('Не сохранено: черновик изменён другим пользователем', 'Not saved: another user changed the draft'), 'conflict');
      return;
    }
    if (!response.ok) {
      status(say(`Не сохранено: ${answer.error.message}`, `Not saved: ${answer.error.message}`), 'error');
      return;
    }
    state.revision = answer.revision;
    state.saved = sent;
    data.revision = String(answer.revision);
    if (manual) $('save-comment').value = '';
    status(say(`Сохранено ${answer.saved_at} (${answer.saved_by}), редакция ${answer.revision}`,
      `Saved ${answer.saved_at} (${answer.saved_by}), revision ${answer.revision}`)
      + (dirty() ? say('; есть новые изменения', '; there are new changes') : ''), dirty() ? 'dirty' : 'saved');
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
    status(say('Есть несохранённые изменения', 'There are unsaved changes'), 'dirty');
    clearTimeout(state.timer);
    state.timer = setTimeout(() => save(''), AUTOSAVE_MS);
  }

  /** The file's text as stored, and the revision it belongs to. */
  async function load() {
    const response = await fetch(data.xmlUrl, { credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) throw new Error((await response.json()).error.message);
    state.revision = Number(response.headers.get('X-Draft-Revision'));
    data.revision = String(state.revision);
    return response.text();
  }

  $('save').addEventListener('click', () => save($('save-comment').value, true));
  $('reload').addEventListener('click', () => window.location.reload());
  // Leaving for another file of the draft saves this one first.
  document.querySelectorAll('a.diagram-file, a.save-first').forEach((link) => link.addEventListener('click',
    async (event) => {
      event.preventDefault();
      await save('');
      window.location.assign(link.href);
    }));
  window.addEventListener('beforeunload', (event) => {
    if (dirty() && !state.conflict) { event.preventDefault(); event.returnValue = ''; }
  });
  return { state, status, dirty, save, changed, load };
}
