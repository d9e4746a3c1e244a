import assert from "node:assert/strict";
import { cycles, moduleGraph, packageCycles, resolveRelative } from "./import_cycles.ts";
import { packageNames } from "./package_graph.ts";

const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("workspace: no import cycle inside any package", async () => {
  const names = await packageNames(root);
  assert.ok(names.length >= 10, names.join());
  const found = await packageCycles(root, names);
  assert.deepEqual(
    [...found].flatMap(([name, list]) => list.map((c) => `${name}: ${c.join(" ↔ ")}`)),
    [],
  );
});

Deno.test("cycles: strongly connected components of size > 1 and self-loops, nothing else", () => {
  assert.deepEqual(cycles(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), []);
  assert.deepEqual(cycles(new Map([["a", ["b"]], ["b", ["a"]]])), [["a", "b"]]);
  assert.deepEqual(cycles(new Map([["x", ["x"]]])), [["x"]]);
  // Two separate cycles, one of three nodes, plus nodes that only lead into them.
  const g = new Map<string, string[]>([
    ["gemm.ts", ["_ref.ts", "_types.ts"]],
    ["_ref.ts", ["_wasm.ts"]],
    ["_wasm.ts", ["gemm.ts"]],
    ["mod.ts", ["gemm.ts", "out.ts"]],
    ["out.ts", ["_out.ts"]],
    ["_out.ts", ["out.ts"]],
    ["_types.ts", []],
  ]);
  assert.deepEqual(cycles(g), [["_out.ts", "out.ts"], ["_ref.ts", "_wasm.ts", "gemm.ts"]]);
});

Deno.test("resolveRelative: inside the package only", () => {
  assert.equal(resolveRelative("a.ts", "./b.ts"), "b.ts");
  assert.equal(resolveRelative("ops/a.ts", "../b.ts"), "b.ts");
  assert.equal(resolveRelative("ops/a.ts", "./sub/c.ts"), "ops/sub/c.ts");
  assert.equal(resolveRelative("a.ts", "../nn/x.ts"), undefined);
  assert.equal(resolveRelative("a.ts", "@lowbit/nn"), undefined);
});

Deno.test("moduleGraph: value and type-only imports of published files; tests and comments apart", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/ops`);
    const files: Record<string, string> = {
      "kmeans.ts": `import { nearest } from "./_nearest.ts";\nexport type K = "ts";\n`,
      "_nearest.ts": `import type { K } from "./kmeans.ts";\nexport const nearest = 1;\n`,
      "ops/conv.ts": `export { a } from "../a.ts";\n// import "./x.ts";\n`,
      "a.ts":
        `/** @example\n * import { nearest } from "./_nearest.ts";\n */\nexport const a = 1;\n`,
      "a_test.ts": `import { a } from "./a.ts";\nimport "./kmeans.ts";\n`,
      "_x_test_util.ts": `import "./a.ts";\n`,
      "b.ts": `import "./_x_test_util.ts";\nimport "../other/y.ts";\n`,
    };
    for (const [path, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${path}`, text);
    }
    const g = await moduleGraph(dir);
    assert.deepEqual(Object.fromEntries([...g].sort()), {
      "_nearest.ts": ["kmeans.ts"],
      "a.ts": [],
      "b.ts": [],
      "kmeans.ts": ["_nearest.ts"],
      "ops/conv.ts": ["a.ts"],
    });
    assert.deepEqual(cycles(g), [["_nearest.ts", "kmeans.ts"]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
