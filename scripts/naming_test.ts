// docs/naming.md, "Files and implementations": `_x.ts` is a private helper module, `_ref` and
// `_wasm` are the two implementations behind a chooser. So no package exports (deno.json
// `exports`) a `_`-prefixed file or a `_ref`/`_wasm` file; the public module is named by concept.
import assert from "node:assert/strict";
import { packageNames } from "./package_graph.ts";

const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("naming: no exported module is private (_x.ts) or an implementation (_ref, _wasm)", async () => {
  const bad: string[] = [];
  let count = 0;
  for (const name of await packageNames(root)) {
    const config = JSON.parse(await Deno.readTextFile(`${root}/packages/${name}/deno.json`)) as {
      exports?: string | Record<string, string>;
    };
    const exports = typeof config.exports === "string"
      ? { ".": config.exports }
      : config.exports ?? {};
    for (const [key, path] of Object.entries(exports)) {
      count++;
      const file = path.split("/").pop()!;
      if (file.startsWith("_") || /_(ref|wasm)\.ts$/.test(file) || /(^|-)(ref|wasm)$/.test(key)) {
        bad.push(`@lowbit/${name} exports ${key} → ${path}`);
      }
    }
  }
  assert.ok(count > 100, `only ${count} exports found`);
  assert.deepEqual(bad, []);
});
