// Fill an XForm in ODK's own engine (@getodk/xforms-engine, the engine of ODK Web Forms) and
// say what it makes of it: the answers' relevance and validity, and the instance it submits.
//
// Each line of stdin is one request, {"form": "<h:html…>", "steps": [{"ref": "/data/q",
// "value": "text" | ["a", "b"] | null}]}; each line of stdout answers one, in order:
// {"load": status, "error": text|null, "languages": [...], "step_errors": [...],
//  "nodes": [{"ref", "type", "relevant", "required", "value", "violation"}],
//  "status": payload status, "violations": [...], "xml": the submission instance}.
//
// The engine targets browsers; in Node it needs a DOM (jsdom, as the engine's own Node tests
// use) and, for its tree-sitter XPath parser's Emscripten loader, CommonJS's __dirname and
// module. Both are provided before the engine is imported.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
globalThis.__dirname = dirname(require.resolve('@getodk/xforms-engine'));
globalThis.module = { exports: {} };
globalThis.require = require;

const { JSDOM } = await import('jsdom');
const { window } = new JSDOM('<!DOCTYPE html><html><body></body></html>');
for (const name of [
  'window', 'document', 'DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document',
  'XMLDocument', 'NodeFilter', 'Attr', 'Text', 'CharacterData', 'DocumentFragment', 'Comment',
  'ProcessingInstruction', 'CDATASection', 'XPathResult',
]) {
  if (window[name] !== undefined && !(name in globalThis)) globalThis[name] = window[name];
}
const { loadForm } = await import('@getodk/xforms-engine');

function leaves(node, out = []) {
  const children = node.currentState.children;
  if (Array.isArray(children) && node.nodeType !== 'select') {
    for (const child of children) leaves(child, out);
  } else {
    out.push(node);
  }
  return out;
}

function shown(value) {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(String);
  return String(value);
}

async function fill(input) {
  const out = { load: null, error: null };
  const result = await loadForm(input.form);
  out.load = result.status;
  if (result.status === 'failure') {
    out.error = String(result.error?.message ?? result.error);
    return out;
  }
  const { root } = result.createInstance();
  out.languages = root.languages.map((l) => l.language);
  const byRef = new Map(leaves(root).map((n) => [n.currentState.reference, n]));
  const stepErrors = [];
  for (const step of input.steps ?? []) {
    const node = byRef.get(step.ref);
    if (node === undefined) { stepErrors.push(`${step.ref}: no such node`); continue; }
    if (!node.currentState.relevant) stepErrors.push(`${step.ref}: set while not relevant`);
    if (node.nodeType === 'select') {
      node.selectValues(step.value === null ? [] : [].concat(step.value));
    } else if (node.nodeType === 'input') {
      node.setValue(step.value);
    } else {
      stepErrors.push(`${step.ref}: a ${node.nodeType} takes no answer`);
    }
  }
  out.step_errors = stepErrors;
  out.nodes = leaves(root).map((n) => ({
    ref: n.currentState.reference,
    type: n.nodeType,
    relevant: n.currentState.relevant,
    required: n.currentState.required,
    value: shown(n.currentState.value),
    violation: n.validationState?.violation?.condition ?? null,
  }));
  const payload = await root.prepareInstancePayload();
  out.status = payload.status;
  out.violations = (payload.violations ?? []).map((v) => `${v.reference}: ${v.violation.condition}`);
  out.xml = await payload.data[0].get('xml_submission_file').text();
  return out;
}

// One request per line in, one answer per line out, so a test session starts the engine once.
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  let answer;
  try {
    answer = await fill(JSON.parse(line));
  } catch (error) {
    answer = { load: 'crash', error: String(error?.stack ?? error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
