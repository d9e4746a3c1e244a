import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  codeCells,
  notebookModule,
  notebookNames,
  parseNotebook,
  resolveRelativeImports,
} from "./notebook.ts";

const nb = {
  nbformat: 4,
  metadata: { kernelspec: { name: "deno" } },
  cells: [
    { cell_type: "markdown", source: ["# title"] },
    { cell_type: "code", source: ['import { a } from "./_lib/a.ts";\n', "const x = a;"] },
    { cell_type: "code", source: 'const m = await import("../m.ts");\nx' },
  ],
};

Deno.test("codeCells joins line lists and skips markdown", () => {
  deepEqual(codeCells(parseNotebook(JSON.stringify(nb))), [
    'import { a } from "./_lib/a.ts";\nconst x = a;',
    'const m = await import("../m.ts");\nx',
  ]);
  throws(() => parseNotebook('{"cells": []}', "bad.ipynb"), /bad\.ipynb: not an nbformat 4/);
});

Deno.test("relative specifiers resolve against the notebook folder; bare ones stay", () => {
  equal(
    resolveRelativeImports(
      'import { a } from "./_lib/a b.ts";\nimport "../x.ts";\nimport { F } from "@lowbit/numerics";',
      "/r/notebooks",
    ),
    'import { a } from "file:///r/notebooks/_lib/a%20b.ts";\nimport "file:///r/x.ts";\nimport { F } from "@lowbit/numerics";',
  );
});

Deno.test("notebookModule keeps cell order between prelude and epilogue", () => {
  const m = notebookModule(nb, "/r/notebooks/n.ipynb", { prelude: "// P", epilogue: "// E" });
  const order = [
    "// P",
    "// cell 1",
    "file:///r/notebooks/_lib/a.ts",
    "// cell 2",
    "file:///r/m.ts",
    "// E",
  ]
    .map((s) => m.indexOf(s));
  ok(order.every((v, i) => v >= 0 && (i === 0 || v > order[i - 1])), JSON.stringify(order));
});

Deno.test("notebookModule puts cellPrelude before each code cell with its index in cells", () => {
  const m = notebookModule(nb, "/r/notebooks/n.ipynb", { cellPrelude: (i) => `__cell = ${i};` });
  ok(m.includes("// cell 1\n__cell = 1;\nimport { a }"), m);
  ok(m.includes("// cell 2\n__cell = 2;\nconst m ="), m);
  equal(m.match(/__cell = /g)?.length, 2);
});

Deno.test("notebookNames: the notebooks folder lists the committed notebooks, not nbconvert's copies", async () => {
  const dir = new URL("../", import.meta.url).pathname;
  const files = [...Deno.readDirSync(dir)].map((e) => e.name);
  const committed = files.filter((f) => /^\d\d-.*\.ipynb$/.test(f) && !f.includes(".nbconvert"));
  // What `jupyter nbconvert --execute --to notebook` leaves beside a notebook:
  const withCopies = [...files, ...committed.map((f) => f.replace(/\.ipynb$/, ".nbconvert.ipynb"))];
  const names = notebookNames(withCopies);
  equal(names.length, committed.length);
  ok(names.every((n) => !n.includes(".")), names.join(", "));
  ok(names.includes("07-real-models"), names.join(", "));
  const ignored = await Deno.readTextFile(new URL("../../.gitignore", import.meta.url));
  ok(ignored.split("\n").includes("*.nbconvert.ipynb"), ".gitignore ignores nbconvert copies");
});
