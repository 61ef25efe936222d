// Reads Graphviz dot on stdin and lays it out with Graphviz itself (compiled to WebAssembly,
// pinned in package.json): exit 0 when dot accepts it, 1 with Graphviz's error when it does not.
import { Graphviz } from "@hpcc-js/wasm-graphviz";

let text = "";
for await (const chunk of process.stdin) text += chunk;
const graphviz = await Graphviz.load();
try {
  graphviz.layout(text, "svg", "dot");
} catch (error) {
  process.stderr.write(`${error?.message ?? error}\n`);
  process.exit(1);
}
