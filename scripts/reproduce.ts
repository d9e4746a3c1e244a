// `deno task reproduce`: executes every notebook under notebooks/ headless in the pinned Deno
// Jupyter kernel (nbclient via scripts/execute_notebook.py, kernelspec jupyter/kernels/deno via
// JUPYTER_PATH), writes the executed notebook and its HTML export to out/notebooks/ (plotly.js
// embedded), checks every cell's outputs against the displays the Jupyter-free fast path made
// (scripts/notebook_outputs.ts; the fast path runs first when its record is missing or stale),
// writes out/index.html (links + results table from out/results/*.json) and renders every page
// in headless chromium to check that each expected plot was drawn. A failing cell fails the run
// (exit 1), as do a missing output and an undrawn plot.
//
// Options: names (or prefixes) of notebooks to run, e.g. `deno task reproduce 01 03`;
// `--no-browser` skips the chromium check; `--no-server` skips starting the interactive notebook
// server (scripts/notebook_server.ts) and running a cell through its API; `--jobs=N` runs N
// notebooks at a time (default 2 on two or more cores).
import { join } from "node:path";
import { repoRoot } from "../notebooks/_lib/repo.ts";
import { notebookNames, parseNotebook } from "../notebooks/_lib/notebook.ts";
import { type ResultsFile, resultsText } from "../notebooks/_lib/results.ts";
import {
  anchorCells,
  cellOfResult,
  countFigures,
  embedPlotly,
  type IndexEntry,
  indexHtml,
  notebookTitle,
} from "./report.ts";
import { allDrawn, checkPage } from "./browser_check.ts";
import { executeCell, startNotebookServer } from "./notebook_server.ts";
import {
  checkOutputs,
  expectedFigures,
  type ExpectedOutputs,
  loadOrRunExpected,
} from "./notebook_outputs.ts";

const root = repoRoot();
const out = join(root, "out");
const pages = join(out, "notebooks");
const args = Deno.args.filter((a) => !a.startsWith("--"));
const browser = !Deno.args.includes("--no-browser");

const all = notebookNames(
  [...Deno.readDirSync(join(root, "notebooks"))].filter((e) => e.isFile).map((e) => e.name),
);
const selected = args.length ? all.filter((n) => args.some((a) => n.startsWith(a))) : all;
if (selected.length === 0) {
  console.error(`reproduce: no notebook matches ${args.join(", ")}; have ${all.join(", ")}`);
  Deno.exit(2);
}

const plotlyJs = await Deno.readTextFile(
  join(root, "node_modules", "plotly.js-dist-min", "plotly.min.js"),
).catch(() => {
  console.error("reproduce: node_modules/plotly.js-dist-min is missing: run bash scripts/setup.sh");
  Deno.exit(1);
});

await Deno.mkdir(pages, { recursive: true });
await Deno.mkdir(join(out, "results"), { recursive: true });
const started = performance.now();
const failures: string[] = [];
const dec = new TextDecoder();
/** Figures the fast path displayed, per notebook (the browser check's target). */
const expectedFigureCount = new Map<string, number>();
// The Python that has the Debian nbclient/nbconvert (scripts/setup_notebooks.sh).
const python = Deno.env.get("LOWBIT_PYTHON") ??
  (await Deno.stat("/usr/bin/python3").then(() => "/usr/bin/python3", () => "python3"));

async function runNotebook(i: number, name: string): Promise<void> {
  const tag = `[${i + 1}/${selected.length}] ${name}`;
  console.log(`${tag}: executing`);
  const t0 = performance.now();
  await Deno.remove(join(out, "results", `${name}.json`)).catch(() => {});
  // scripts/execute_notebook.py: nbclient plus a flush after every cell (the Deno kernel can
  // publish a cell's idle status before its last outputs; see that file), writes the executed
  // notebook and its HTML export to out/notebooks/.
  const run = await new Deno.Command(python, {
    args: [
      join(root, "scripts", "execute_notebook.py"),
      join(root, "notebooks", `${name}.ipynb`),
      pages,
      "--kernel",
      "deno",
      "--timeout",
      "1800",
    ],
    cwd: root,
    env: { JUPYTER_PATH: join(root, "jupyter"), LOWBIT_OUT: out, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output().catch((e: Error) => {
    console.error(
      `reproduce: cannot run ${python} (${e.message}): run bash scripts/setup_notebooks.sh`,
    );
    Deno.exit(1);
  });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (!run.success) {
    const err = dec.decode(run.stderr).split("\n").filter((l) =>
      !/debugger|frozen modules|PYDEVD/i.test(l)
    );
    console.error(`${tag}: FAILED after ${secs} s\n${err.slice(-40).join("\n")}`);
    failures.push(name);
    return;
  }
  const late = dec.decode(run.stderr).split("\n").filter((l) => l.startsWith("late-output "));
  const page = join(pages, `${name}.html`);
  const html = anchorCells(embedPlotly(await Deno.readTextFile(page), plotlyJs));
  await Deno.writeTextFile(page, html);
  // Completeness: each cell's outputs against the displays the fast path saw.
  const t1 = performance.now();
  let expected: ExpectedOutputs;
  try {
    const e = await loadOrRunExpected(name, root);
    expected = e.expected;
    if (e.ran) {
      console.log(
        `${tag}: fast path run for the expected outputs in ${
          ((performance.now() - t1) / 1000).toFixed(1)
        } s`,
      );
    }
  } catch (e) {
    console.error(`${tag}: FAILED: ${(e as Error).message}`);
    failures.push(`${name} (fast path)`);
    return;
  }
  expectedFigureCount.set(name, expectedFigures(expected));
  const problems = checkOutputs(
    name,
    JSON.parse(await Deno.readTextFile(join(pages, `${name}.ipynb`))),
    expected,
  );
  if (problems.length) {
    console.error(
      `${tag}: FAILED: outputs differ from the fast path's\n  ${problems.join("\n  ")}`,
    );
    failures.push(`${name} (outputs)`);
  }
  let summary = "no results recorded";
  try {
    const r = JSON.parse(
      await Deno.readTextFile(join(out, "results", `${name}.json`)),
    ) as ResultsFile;
    const pass = r.results.filter((x) => x.status === "pass").length;
    summary = `${pass}/${r.results.length} results pass`;
  } catch {
    // reported below
  }
  for (const l of late) console.log(`${tag}: kept by the flush: ${l.slice("late-output ".length)}`);
  const outputs = Object.values(expected.cells).flat().length;
  console.log(
    `${tag}: done in ${secs} s, ${countFigures(html)} figures, ${
      problems.length ? "OUTPUT CHECK FAILED" : `all ${outputs} displays present`
    } (${late.length} arrived after the cell's idle status, kept by the flush), ${summary}`,
  );
}

// Two notebooks at a time on a machine with two or more cores (`--jobs=N` to change): each
// kernel runs on one thread. A notebook whose metadata has `"lowbit": { "exclusive": true }`
// (it times kernels, e.g. 05) runs alone.
const jobsArg = Deno.args.find((a) => a.startsWith("--jobs="));
const jobs = jobsArg === undefined
  ? Math.max(1, Math.min(2, navigator.hardwareConcurrency))
  : Number(jobsArg.slice("--jobs=".length));
if (!Number.isInteger(jobs) || jobs < 1) {
  console.error(`reproduce: --jobs must be a positive integer, got ${jobsArg}`);
  Deno.exit(2);
}
const exclusive = new Set(
  selected.filter((name) => {
    const nb = JSON.parse(
      Deno.readTextFileSync(join(root, "notebooks", `${name}.ipynb`)),
    ) as { metadata?: { lowbit?: { exclusive?: boolean } } };
    return nb.metadata?.lowbit?.exclusive === true;
  }),
);
{
  // the exclusive ones first, while nothing else runs
  const queue = [...selected.entries()].sort((a, b) =>
    Number(exclusive.has(b[1])) - Number(exclusive.has(a[1]))
  );
  const running = new Set<Promise<void>>();
  let exclusiveRunning = false;
  while (queue.length > 0 || running.size > 0) {
    const next = queue[0];
    const canStart = next !== undefined && !exclusiveRunning && running.size < jobs &&
      (!exclusive.has(next[1]) || running.size === 0);
    if (canStart) {
      queue.shift();
      const [i, name] = next;
      exclusiveRunning = exclusive.has(name);
      const p: Promise<void> = runNotebook(i, name).finally(() => {
        running.delete(p);
        if (exclusive.has(name)) exclusiveRunning = false;
      });
      running.add(p);
      continue;
    }
    await Promise.race(running);
  }
}

// The index: every notebook with an exported page, every results file.
const entries: IndexEntry[] = [];
const results: ResultsFile[] = [];
for (const name of all) {
  const page = join(pages, `${name}.html`);
  let html;
  try {
    html = await Deno.readTextFile(page);
  } catch {
    continue;
  }
  const nb = parseNotebook(await Deno.readTextFile(join(root, "notebooks", `${name}.ipynb`)), name);
  let file: ResultsFile | undefined;
  try {
    file = JSON.parse(await Deno.readTextFile(join(out, "results", `${name}.json`)));
  } catch {
    // a notebook without recorded results
  }
  const resultCells: Record<string, number> = {};
  for (const r of file?.results ?? []) {
    const k = cellOfResult(nb.cells, r.id);
    if (k !== undefined) resultCells[r.id] = k;
  }
  entries.push({
    notebook: name,
    href: `notebooks/${name}.html`,
    title: notebookTitle(nb.cells, name),
    figures: countFigures(html),
    resultCells,
  });
  if (file !== undefined) results.push(file);
}
await Deno.writeTextFile(join(out, "index.html"), indexHtml(entries, results));
console.log(`\nwrote ${join(out, "index.html")}\n\n${resultsText(results)}\n`);

if (browser) {
  for (const name of selected.filter((n) => expectedFigureCount.has(n))) {
    const c = await checkPage(join(pages, `${name}.html`));
    const want = expectedFigureCount.get(name);
    const ok = allDrawn(c, want);
    console.log(
      `chromium ${ok ? "ok  " : "FAIL"} ${name}: ${c.drawn}/${
        want ?? "?"
      } expected figures drawn (${c.figures} on the page), ${c.mainSvgs} main-svg`,
    );
    if (!ok) failures.push(`${name} (plots not drawn)`);
  }
}

// The interactive front end (`deno task notebooks`) must start and run a cell.
if (!Deno.args.includes("--no-server")) {
  const server = await startNotebookServer(root).catch((e: Error) => {
    failures.push(`notebook server: ${e.message}`);
    return undefined;
  });
  if (server !== undefined) {
    try {
      const r = await executeCell(server, "6 * 7");
      if (r.status !== "ok" || !r.texts.includes("42")) {
        failures.push(`notebook server: a cell gave ${r.status} ${JSON.stringify(r.texts)}`);
      } else console.log("notebook server: started and executed a cell through its API");
    } catch (e) {
      failures.push(`notebook server: ${(e as Error).message}`);
    } finally {
      await server.stop();
    }
  }
}

const total = ((performance.now() - started) / 1000).toFixed(1);
if (failures.length) {
  console.error(`reproduce: FAILED (${failures.join(", ")}) after ${total} s`);
  Deno.exit(1);
}
console.log(`reproduce: ${selected.length} notebooks in ${total} s; open out/index.html`);
