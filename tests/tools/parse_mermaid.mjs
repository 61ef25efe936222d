// Reads Mermaid text on stdin and parses it with the real Mermaid parser (pinned in
// package.json): exit 0 when it parses, 1 with the parser's error on stderr when it does not.
// Mermaid expects a browser; jsdom provides the DOM and DOMPurify it touches while loading.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ["Element", "HTMLElement", "Node", "DOMParser", "navigator"]) {
  if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true });
}

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let text = "";
for await (const chunk of process.stdin) text += chunk;
try {
  const result = await mermaid.parse(text);
  process.stdout.write(`${result.diagramType}\n`);
} catch (error) {
  process.stderr.write(`${error?.message ?? error}\n`);
  process.exit(1);
}
