import { deepEqual, equal, match, rejects } from "node:assert/strict";
import { join } from "node:path";
import {
  checkOutputs,
  committedExpectedPath,
  type ExecutedNotebook,
  expectedFigures,
  expectedOutputs,
  loadOrRunExpected,
  outputKind,
  sourcesHash,
} from "./notebook_outputs.ts";
import type { Notebook } from "../notebooks/_lib/notebook.ts";
import { installFakeJupyter } from "../notebooks/_lib/fake_jupyter.ts";
import { PLOTLY_MIME } from "../notebooks/_lib/plot.ts";

const fig = { [PLOTLY_MIME]: { data: [], layout: {} }, "text/html": "<div></div>" };
const table = { "text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "1" };
const md = { "text/markdown": "**x**", "text/plain": "x" };

// A notebook: markdown, imports (no output), a figure + a table, markdown, a Markdown note.
const nb: Notebook = {
  nbformat: 4,
  cells: [
    { cell_type: "markdown", source: "# t" },
    { cell_type: "code", source: "import x" },
    { cell_type: "code", source: "await show(f); await showTable(t);" },
    { cell_type: "markdown", source: "text" },
    { cell_type: "code", source: "await showMarkdown(m);" },
  ],
};
const expected = expectedOutputs("99-demo", nb, "hash", [
  { bundle: fig, cell: 2 },
  { bundle: table, cell: 2 },
  { bundle: md, cell: 4 },
]);

function executed(outputs: Record<number, ExecutedNotebook["cells"][0]["outputs"]>) {
  return {
    cells: nb.cells.map((c, i) => ({ cell_type: c.cell_type, outputs: outputs[i] ?? [] })),
  };
}
const display = (data: Record<string, unknown>) => ({ output_type: "display_data", data });

Deno.test("outputKind tells figures, tables, Markdown, HTML, images and text apart", () => {
  equal(outputKind(fig), "figure");
  equal(outputKind(table), "table");
  equal(outputKind({ "text/html": ["<p>a</p>", "<TABLE>"] }), "table");
  equal(outputKind(md), "markdown");
  equal(outputKind({ "text/html": "<p>a</p>" }), "html");
  equal(outputKind({ "image/png": "..." }), "image");
  equal(outputKind({ "text/plain": "1" }), "text");
});

Deno.test("expectedOutputs groups the fast path's displays by cell, every code cell listed", () => {
  deepEqual(expected.cells, { 1: [], 2: ["figure", "table"], 4: ["markdown"] });
  equal(expectedFigures(expected), 1);
});

Deno.test("checkOutputs passes a complete executed notebook (stream outputs are allowed)", () => {
  const complete = executed({
    1: [{ output_type: "stream" }],
    2: [display(fig), display(table)],
    4: [display(md)],
  });
  deepEqual(checkOutputs("99-demo", complete, expected), []);
});

Deno.test("checkOutputs fails a notebook missing one output, naming notebook, cell and kind", () => {
  const lost = executed({ 2: [display(fig)], 4: [display(md)] });
  deepEqual(checkOutputs("99-demo", lost, expected), [
    "99-demo: cell 2 (code cell 2) is missing a table output (fast path displayed figure, table; Jupyter stored figure)",
  ]);
  const lostFigure = executed({ 2: [display(table)], 4: [] });
  deepEqual(checkOutputs("99-demo", lostFigure, expected), [
    "99-demo: cell 2 (code cell 2) is missing a figure output (fast path displayed figure, table; Jupyter stored table)",
    "99-demo: cell 4 (code cell 3) is missing a markdown output (fast path displayed markdown; Jupyter stored none)",
  ]);
});

Deno.test("checkOutputs fails an Out[] value, an error, an extra output and changed cells", () => {
  const stray = executed({
    1: [{ output_type: "execute_result", data: { "text/plain": "{ id: 'x', status: 'pass' }" } }],
    2: [display(fig), display(table), display(fig)],
    4: [display(md), { output_type: "error", ename: "TypeError", evalue: "boom" }],
  });
  deepEqual(checkOutputs("99-demo", stray, expected), [
    "99-demo: cell 1 (code cell 1) shows an Out[] value (text): end the cell with a statement or display it explicitly",
    "99-demo: cell 2 (code cell 2) has 1 figure output more than the fast path (fast path displayed figure, table; Jupyter stored figure, table, figure)",
    "99-demo: cell 4 (code cell 3) raised TypeError: boom",
  ]);
  const changed = { cells: [{ cell_type: "code", outputs: [] }] };
  match(checkOutputs("99-demo", changed, expected)[0], /code cells 0 in the executed notebook/);
});

Deno.test("the fake Deno.jupyter tags each display with the running cell", async () => {
  // (Outside the kernel Deno.jupyter throws on access, so nothing is restored afterwards.)
  let cell: number | undefined = 3;
  const captured = installFakeJupyter(() => cell);
  await Deno.jupyter.display(table, { raw: true });
  cell = 5;
  await Deno.jupyter.display(Deno.jupyter.md`**y**`);
  deepEqual(captured.map((d) => d.cell), [3, 5]);
  deepEqual(captured.map((d) => outputKind(d.bundle)), ["table", "markdown"]);
});

Deno.test("sourcesHash changes with code cells and helpers, not with Markdown", async () => {
  const h = await sourcesHash(nb, ["lib"]);
  const md2 = {
    ...nb,
    cells: nb.cells.map((c) => c.cell_type === "markdown" ? { ...c, source: "other" } : c),
  };
  equal(await sourcesHash(md2, ["lib"]), h);
  const code2 = { ...nb, cells: [...nb.cells, { cell_type: "code", source: "1" }] };
  equal((await sourcesHash(code2, ["lib"])) === h, false);
  equal((await sourcesHash(nb, ["lib2"])) === h, false);
});

Deno.test("loadOrRunExpected runs the fast path of a small notebook and then reuses its record", async () => {
  const root = await Deno.makeTempDir();
  try {
    const lib = join(import.meta.dirname!, "..", "notebooks", "_lib");
    await Deno.mkdir(join(root, "notebooks", "_lib"), { recursive: true });
    for (const f of ["fake_jupyter.ts", "_file_url.ts"]) {
      await Deno.copyFile(join(lib, f), join(root, "notebooks", "_lib", f));
    }
    const demo = {
      nbformat: 4,
      metadata: { kernelspec: { name: "deno" } },
      cells: [
        { cell_type: "code", source: "const t = { 'text/html': '<table></table>' };" },
        { cell_type: "markdown", source: "x" },
        {
          cell_type: "code",
          source:
            "await Deno.jupyter.display(t, { raw: true });\nawait Deno.jupyter.display(t, { raw: true });",
        },
      ],
    };
    await Deno.writeTextFile(join(root, "notebooks", "99-demo.ipynb"), JSON.stringify(demo));
    const first = await loadOrRunExpected("99-demo", root);
    equal(first.ran, true);
    deepEqual(first.expected.cells, { 0: [], 2: ["table", "table"] });
    const again = await loadOrRunExpected("99-demo", root);
    equal(again.ran, false);
    deepEqual(again.expected, first.expected);
    // a clean clone: no out/fastpath, but a committed record of the same sources
    await Deno.mkdir(join(root, "notebooks", "_expected"));
    await Deno.writeTextFile(
      committedExpectedPath("99-demo", root),
      JSON.stringify(first.expected),
    );
    await Deno.remove(join(root, "out"), { recursive: true });
    const committed = await loadOrRunExpected("99-demo", root);
    equal(committed.ran, false);
    deepEqual(committed.expected, first.expected);
    // a stale committed record (other sources) is not used
    await Deno.writeTextFile(
      committedExpectedPath("99-demo", root),
      JSON.stringify({ ...first.expected, sources: "0".repeat(64), cells: { 0: [] } }),
    );
    const rerun = await loadOrRunExpected("99-demo", root);
    equal(rerun.ran, true);
    deepEqual(rerun.expected.cells, { 0: [], 2: ["table", "table"] });
    demo.cells[0].source = 'throw new Error("broken");';
    await Deno.writeTextFile(join(root, "notebooks", "99-demo.ipynb"), JSON.stringify(demo));
    await rejects(loadOrRunExpected("99-demo", root), /the fast path failed/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
