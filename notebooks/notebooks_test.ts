// The notebooks' fast path (no Jupyter): every notebook's code cells become one module that is
// type-checked and executed with a stand-in for Deno.jupyter, so notebooks cannot rot. The full
// headless Jupyter run (nbconvert) is `deno task reproduce`.
import { deepEqual, equal, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import { notebookNames, parseNotebook } from "./_lib/notebook.ts";
import { PLOTLY_MIME } from "./_lib/plot.ts";
import {
  committedExpectedPath,
  expectedFigures,
  type ExpectedOutputs,
  fastPathDir,
  runFastPath,
} from "../scripts/notebook_outputs.ts";
import type { ResultsFile } from "./_lib/results.ts";

const here = import.meta.dirname!;
const root = dirname(here);
const notebooks = notebookNames(
  [...Deno.readDirSync(here)].filter((e) => e.isFile).map((e) => e.name),
).map((n) => `${n}.ipynb`);

Deno.test("the notebooks of issue 8 are present and use the committed deno kernelspec", () => {
  for (
    const n of ["01-number-formats", "02-uniform-quantization", "03-calibration-and-granularity"]
  ) {
    ok(notebooks.includes(`${n}.ipynb`), `${n}.ipynb is missing`);
  }
  const spec = JSON.parse(Deno.readTextFileSync(join(root, "jupyter/kernels/deno/kernel.json")));
  ok(spec.argv.includes("{connection_file}"));
  for (const n of notebooks) {
    const nb = parseNotebook(Deno.readTextFileSync(join(here, n)), n);
    equal(nb.metadata?.kernelspec?.name, "deno", `${n}: kernelspec`);
  }
});

for (const name of notebooks) {
  Deno.test(`notebook ${name}: code cells type-check and run without Jupyter`, async () => {
    const base = name.replace(/\.ipynb$/, "");
    // Writes out/fastpath/<base>/expected_outputs.json: every display by cell and kind, which
    // `deno task reproduce` compares with the cells' outputs after the Jupyter run.
    const run = await runFastPath(base, root);
    ok(run.success, `${name} failed (module ${run.modulePath}):\n${run.stderr.slice(-4000)}`);
    const work = fastPathDir(base, root);

    const displays = run.displays;
    ok(displays.every((d) => d.cell !== undefined), `${name}: a display outside any cell`);
    const figures = displays.filter((d) => PLOTLY_MIME in d.bundle);
    ok(figures.length >= 1, `${name}: no Plotly figure displayed`);
    for (const d of figures) {
      const fig = d.bundle[PLOTLY_MIME] as { data: { type: string }[]; layout: object };
      ok(Array.isArray(fig.data) && fig.data.length > 0, `${name}: figure without traces`);
      ok(fig.data.every((t) => typeof t.type === "string"), `${name}: trace without type`);
      ok(String(d.bundle["text/html"]).includes("Plotly.newPlot"), `${name}: no HTML fallback`);
    }
    equal(expectedFigures(run.expected!), figures.length);
    // The committed record (what a clean clone's `deno task reproduce` checks against) must be
    // this run's.
    const committed = JSON.parse(
      await Deno.readTextFile(committedExpectedPath(base, root)).catch(() => "null"),
    ) as ExpectedOutputs | null;
    const refresh = `run: deno run -A scripts/notebook_outputs.ts --record ${base}`;
    ok(committed, `${name}: notebooks/_expected/${base}.json is missing (${refresh})`);
    equal(
      committed.sources,
      run.expected!.sources,
      `${name}: its committed record is stale (${refresh})`,
    );
    deepEqual(
      committed.cells,
      run.expected!.cells,
      `${name}: committed record differs (${refresh})`,
    );

    const results = JSON.parse(
      await Deno.readTextFile(join(work, "results", `${base}.json`)),
    ) as ResultsFile;
    equal(results.notebook, base);
    ok(results.results.length >= 1, `${name}: no results recorded`);
    for (const r of results.results) {
      ok(
        r.status === "pass" || r.knownDeviation,
        `${name}: ${r.id} deviates without explanation: ${r.reproduced} vs ${
          JSON.stringify(r.reference)
        }`,
      );
      ok(
        !(r.status === "pass" && r.knownDeviation),
        `${name}: ${r.id} passes but carries a deviation note (stale explanation)`,
      );
    }
  });
}
