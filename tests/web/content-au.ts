import { makeZip } from '../support/zip.js';
import { cmi5Xml } from '../support/zip.js';

/**
 * A cmi5 package as an authoring tool would make one, with a real AU page: from its launch URL alone it fetches
 * its token once, reads LMS.LaunchData, sends initialized, passed (scaled 0.9, over the mastery score) and
 * terminated with the context template, then shows "Passed".
 */
const AU_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lesson 0</title></head>
<body><h1>Lesson 0</h1><p id="status">Starting…</p>
<script>
(async () => {
  const q = new URLSearchParams(location.search);
  const endpoint = q.get('endpoint');
  const got = await (await fetch(q.get('fetch'), { method: 'POST' })).json();
  const headers = {
    authorization: 'Basic ' + got['auth-token'],
    'x-experience-api-version': '1.0.3',
    'content-type': 'application/json',
  };
  const state = new URLSearchParams({ activityId: q.get('activityId'), agent: q.get('actor'),
    registration: q.get('registration'), stateId: 'LMS.LaunchData' });
  const launchData = await (await fetch(endpoint + 'activities/state?' + state, { headers })).json();
  const send = async (verb, result) => {
    const statement = { actor: JSON.parse(q.get('actor')), verb: { id: 'http://adlnet.gov/expapi/verbs/' + verb },
      object: { objectType: 'Activity', id: q.get('activityId') },
      context: Object.assign({}, launchData.contextTemplate, { registration: q.get('registration') }),
      timestamp: new Date().toISOString() };
    if (result) statement.result = result;
    const answer = await fetch(endpoint + 'statements', { method: 'POST', headers, body: JSON.stringify(statement) });
    if (!answer.ok) throw new Error(verb + ': ' + answer.status + ' ' + (await answer.text()));
  };
  await send('initialized');
  await send('passed', { score: { scaled: 0.9 }, success: true });
  await send('terminated', { duration: 'PT2M' });
  document.getElementById('status').textContent = 'Passed (' + launchData.moveOn + ')';
})().catch((error) => { document.getElementById('status').textContent = 'Failed: ' + error.message; });
</script></body></html>`;

export const cmi5Package = () =>
  makeZip([
    { name: 'cmi5.xml', data: cmi5Xml(1, () => 'au/index.html'), deflate: true },
    { name: 'au/index.html', data: AU_PAGE, deflate: true },
  ]);

/** The smallest PDF a sniffer takes for one. */
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
);
