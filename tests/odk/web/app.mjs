// Render the XForm at ?form=URL with ODK Web Forms; keep each submitted instance XML in
// window.doorstepSubmissions for the test that drives this page (tests/odk/test_web_forms.py).
import { createApp, h } from 'vue';
import { OdkWebForm, webFormsPlugin } from '../node_modules/@getodk/web-forms/dist/index.js';

window.doorstepSubmissions = [];
window.doorstepErrors = [];
window.addEventListener('error', (event) => window.doorstepErrors.push(String(event.message)));

const formUrl = new URLSearchParams(window.location.search).get('form');
const formXml = await (await fetch(formUrl)).text();

async function onSubmit(payload, callback) {
  const xml = await payload.data[0].get('xml_submission_file').text();
  window.doorstepSubmissions.push({ status: payload.status, xml });
  callback?.({ status: 'success' });
}

const app = createApp({
  render: () => h(OdkWebForm, {
    formXml,
    fetchFormAttachment: (url) => fetch(url),
    onSubmit,
  }),
});
app.use(webFormsPlugin);
app.mount('#app');
window.doorstepReady = true;
