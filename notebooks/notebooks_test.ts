// The notebooks' fast path (no Jupyter): every notebook's code cells become one module that is
// type-checked and executed with a stand-in for Deno.jupyter, so notebooks cannot rot. The full
// headless Jupyter run (nbconvert) is `deno task reproduce`.
import { equal, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import { notebookModule, notebookNames, parseNotebook } from "./_lib/notebook.ts";
import { toFileUrl } from "./_lib/_file_url.ts";
import { PLOTLY_MIME } from "./_lib/plot.ts";
import type { CapturedDisplay } from "./_lib/fake_jupyter.ts";
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
    const path = join(here, name);
    const work = join(root, "out", "fastpath", base);
    await Deno.remove(work, { recursive: true }).catch(() => {});
    await Deno.mkdir(work, { recursive: true });
    const capture = join(work, "displays.json");
    const nb = parseNotebook(await Deno.readTextFile(path), name);
    const module = notebookModule(nb, path, {
      prelude: `import { installFakeJupyter as __installFakeJupyter } from "${
        toFileUrl(join(here, "_lib", "fake_jupyter.ts"))
      }";\nconst __captured = __installFakeJupyter();`,
      epilogue: `await Deno.writeTextFile(${JSON.stringify(capture)}, JSON.stringify(__captured));`,
    });
    const modulePath = join(work, `${base}.ts`);
    await Deno.writeTextFile(modulePath, module);
    // Same working directory as the kernel (the notebook's folder).
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--check", "-A", modulePath],
      cwd: here,
      env: { LOWBIT_OUT: work, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    ok(
      run.success,
      `${name} failed (module ${modulePath}):\n${dec.decode(run.stderr).slice(-4000)}`,
    );

    const displays = JSON.parse(await Deno.readTextFile(capture)) as CapturedDisplay[];
    const figures = displays.filter((d) => PLOTLY_MIME in d.bundle);
    ok(figures.length >= 1, `${name}: no Plotly figure displayed`);
    for (const d of figures) {
      const fig = d.bundle[PLOTLY_MIME] as { data: { type: string }[]; layout: object };
      ok(Array.isArray(fig.data) && fig.data.length > 0, `${name}: figure without traces`);
      ok(fig.data.every((t) => typeof t.type === "string"), `${name}: trace without type`);
      ok(String(d.bundle["text/html"]).includes("Plotly.newPlot"), `${name}: no HTML fallback`);
    }

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
