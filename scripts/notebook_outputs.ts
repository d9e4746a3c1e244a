// Completeness check of executed notebooks: the Jupyter-free fast path (notebooks_test.ts, or
// `runFastPath` here) records every display each cell makes, by cell and kind (figure, table,
// markdown, ...); after the headless Jupyter run every code cell must carry exactly those
// display outputs, no Out[] value and no error. A missing output fails naming notebook, cell and
// kind. `deno task reproduce` runs the check on each executed notebook.
//
//   tools/node_modules/.bin/deno run -A scripts/notebook_outputs.ts out/notebooks/01-number-formats.ipynb
//
// compares an executed notebook with out/fastpath/<name>/expected_outputs.json or the committed
// notebooks/_expected/<name>.json (running the fast path first when neither was made from the
// current sources). Exit code 1 on a problem. `--record <name>...` writes the committed records.
import { basename, dirname, join } from "node:path";
import { repoRoot } from "../notebooks/_lib/repo.ts";
import {
  cellSource,
  type Notebook,
  notebookModule,
  parseNotebook,
} from "../notebooks/_lib/notebook.ts";
import { toFileUrl } from "../notebooks/_lib/_file_url.ts";
import { PLOTLY_MIME } from "../notebooks/_lib/plot.ts";
import type { CapturedDisplay } from "../notebooks/_lib/fake_jupyter.ts";

/** What a display shows, from its MIME bundle. */
export type OutputKind = "figure" | "table" | "markdown" | "html" | "image" | "text";

/**
 * The kind of a display bundle: a Plotly figure, an HTML table, Markdown, other HTML, an image
 * or plain text.
 * @param data The MIME bundle (`data` of a display_data output).
 * @returns The kind.
 */
export function outputKind(data: Record<string, unknown>): OutputKind {
  if (PLOTLY_MIME in data) return "figure";
  const html = data["text/html"];
  if (typeof html === "string" || Array.isArray(html)) {
    const text = Array.isArray(html) ? html.join("") : html;
    return /<table\b/i.test(text) ? "table" : "html";
  }
  if ("text/markdown" in data) return "markdown";
  if (Object.keys(data).some((k) => k.startsWith("image/"))) return "image";
  return "text";
}

/** The displays the fast path saw, per cell. */
export interface ExpectedOutputs {
  /** Notebook name without extension. */
  notebook: string;
  /** SHA-256 of the sources it was computed from (see {@linkcode sourcesHash}). */
  sources: string;
  /** Cell index in the notebook's `cells` → kinds of its displays, in order. */
  cells: Record<string, OutputKind[]>;
}

/**
 * A hash of what decides a notebook's displays: its code cells and the display helpers.
 * @param nb The notebook.
 * @param libSources Contents of the helper modules ({@linkcode libSources}).
 * @returns Hex SHA-256.
 */
export async function sourcesHash(nb: Notebook, libSources: readonly string[]): Promise<string> {
  const code = nb.cells.map((c) => c.cell_type === "code" ? cellSource(c) : "");
  const bytes = new TextEncoder().encode(JSON.stringify([code, libSources]));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The helpers that display and record (notebooks/_lib): a change to one makes the fast path's
 * records stale. (Other helpers and the packages are not hashed, so that editing them does not
 * force every notebook's fast path to rerun; should they change what a cell displays, the check
 * fails with an extra or missing output and `deno test -A notebooks/` renews the records.)
 */
export const DISPLAY_HELPERS: readonly string[] = [
  "fake_jupyter.ts",
  "notebook.ts",
  "plot.ts",
  "results.ts",
];

/** Contents of {@linkcode DISPLAY_HELPERS} (those present), in that order. */
export function libSources(root: string = repoRoot()): string[] {
  const dir = join(root, "notebooks", "_lib");
  return DISPLAY_HELPERS.flatMap((n) => {
    try {
      return [Deno.readTextFileSync(join(dir, n))];
    } catch {
      return [];
    }
  });
}

/**
 * Groups the fast path's displays by cell.
 * @param notebook Notebook name.
 * @param nb The notebook (every code cell gets an entry, empty when it displays nothing).
 * @param sources The sources hash.
 * @param displays What the fake `Deno.jupyter` recorded (each tagged with its cell).
 * @returns The expectation.
 * @throws {Error} If a display carries no cell.
 */
export function expectedOutputs(
  notebook: string,
  nb: Notebook,
  sources: string,
  displays: readonly CapturedDisplay[],
): ExpectedOutputs {
  const cells: Record<string, OutputKind[]> = {};
  nb.cells.forEach((c, i) => {
    if (c.cell_type === "code") cells[i] = [];
  });
  for (const d of displays) {
    if (d.cell === undefined || !(d.cell in cells)) {
      throw new Error(`${notebook}: a display outside any code cell (cell ${d.cell})`);
    }
    cells[d.cell].push(outputKind(d.bundle));
  }
  return { notebook, sources, cells };
}

/** How many figures the expectation counts. */
export function expectedFigures(e: ExpectedOutputs): number {
  return Object.values(e.cells).flat().filter((k) => k === "figure").length;
}

/** The fields of an executed notebook the check reads. */
export interface ExecutedNotebook {
  /** Cells in order, with the outputs Jupyter stored. */
  cells: {
    cell_type: string;
    outputs?: {
      output_type: string;
      data?: Record<string, unknown>;
      ename?: string;
      evalue?: string;
    }[];
  }[];
}

function countKinds(kinds: readonly OutputKind[]): Map<OutputKind, number> {
  const m = new Map<OutputKind, number>();
  for (const k of kinds) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/**
 * Compares an executed notebook's outputs with the fast path's displays.
 * @param notebook Notebook name for messages.
 * @param executed The executed notebook.
 * @param expected The expectation.
 * @returns One message per problem (empty when complete): a missing or extra display (by
 *   kind), an Out[] value, an error output, a cell count that differs.
 */
export function checkOutputs(
  notebook: string,
  executed: ExecutedNotebook,
  expected: ExpectedOutputs,
): string[] {
  const problems: string[] = [];
  const code = executed.cells.flatMap((c, i) => c.cell_type === "code" ? [i] : []);
  const want = Object.keys(expected.cells).map(Number).sort((a, b) => a - b);
  if (code.join() !== want.join()) {
    return [
      `${notebook}: code cells ${code.join(", ")} in the executed notebook, ${
        want.join(", ")
      } in the fast path's record (the notebook changed: rerun the fast path)`,
    ];
  }
  code.forEach((index, n) => {
    const where = `${notebook}: cell ${index} (code cell ${n + 1})`;
    const outputs = executed.cells[index].outputs ?? [];
    const got: OutputKind[] = [];
    for (const o of outputs) {
      if (o.output_type === "display_data") got.push(outputKind(o.data ?? {}));
      else if (o.output_type === "execute_result") {
        problems.push(
          `${where} shows an Out[] value (${
            outputKind(o.data ?? {})
          }): end the cell with a statement or display it explicitly`,
        );
      } else if (o.output_type === "error") {
        problems.push(`${where} raised ${o.ename}: ${o.evalue}`);
      }
    }
    const exp = expected.cells[index];
    const have = countKinds(got), need = countKinds(exp);
    const list = (ks: readonly OutputKind[]) => ks.length ? ks.join(", ") : "none";
    for (const [kind, n] of need) {
      const missing = n - (have.get(kind) ?? 0);
      if (missing > 0) {
        problems.push(
          `${where} is missing ${missing === 1 ? "a" : missing} ${kind} output${
            missing === 1 ? "" : "s"
          } (fast path displayed ${list(exp)}; Jupyter stored ${list(got)})`,
        );
      }
    }
    for (const [kind, n] of have) {
      const extra = n - (need.get(kind) ?? 0);
      if (extra > 0) {
        problems.push(
          `${where} has ${extra} ${kind} output${
            extra === 1 ? "" : "s"
          } more than the fast path (fast path displayed ${list(exp)}; Jupyter stored ${
            list(got)
          })`,
        );
      }
    }
  });
  return problems;
}

/** Where the fast path of one notebook works and writes its record. */
export function fastPathDir(name: string, root: string = repoRoot()): string {
  return join(root, "out", "fastpath", name);
}

/** The record's path: out/fastpath/<name>/expected_outputs.json. */
export function expectedPath(name: string, root: string = repoRoot()): string {
  return join(fastPathDir(name, root), "expected_outputs.json");
}

/** The result of one fast-path run. */
export interface FastPathRun {
  /** Whether the module ran without error. */
  success: boolean;
  /** Its stderr. */
  stderr: string;
  /** The generated module. */
  modulePath: string;
  /** Every display, tagged with its cell (empty when the run failed). */
  displays: CapturedDisplay[];
  /** The record, written to {@linkcode expectedPath} (undefined when the run failed). */
  expected?: ExpectedOutputs;
}

/**
 * Runs a notebook's code cells without Jupyter (one module, a fake `Deno.jupyter` recording
 * each display with its cell; working directory the notebook's folder like the kernel's;
 * `LOWBIT_OUT` = the work folder) and writes the per-cell record.
 * @param name Notebook name without extension.
 * @param root The repository root.
 * @returns The run.
 */
export async function runFastPath(name: string, root: string = repoRoot()): Promise<FastPathRun> {
  const here = join(root, "notebooks");
  const path = join(here, `${name}.ipynb`);
  const work = fastPathDir(name, root);
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await Deno.mkdir(work, { recursive: true });
  const capture = join(work, "displays.json");
  const nb = parseNotebook(await Deno.readTextFile(path), name);
  const module = notebookModule(nb, path, {
    prelude: `import { installFakeJupyter as __installFakeJupyter } from "${
      toFileUrl(join(here, "_lib", "fake_jupyter.ts"))
    }";\nlet __lowbitCell: number | undefined;\nconst __captured = __installFakeJupyter(() => __lowbitCell);`,
    cellPrelude: (i) => `__lowbitCell = ${i};`,
    epilogue: `await Deno.writeTextFile(${JSON.stringify(capture)}, JSON.stringify(__captured));`,
  });
  const modulePath = join(work, `${name}.ts`);
  await Deno.writeTextFile(modulePath, module);
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--check", "-A", modulePath],
    cwd: here,
    env: { LOWBIT_OUT: work, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(run.stderr);
  if (!run.success) return { success: false, stderr, modulePath, displays: [] };
  const displays = JSON.parse(await Deno.readTextFile(capture)) as CapturedDisplay[];
  const expected = expectedOutputs(
    name,
    nb,
    await sourcesHash(nb, libSources(root)),
    displays,
  );
  await Deno.writeTextFile(expectedPath(name, root), JSON.stringify(expected, null, 1) + "\n");
  return { success: true, stderr, modulePath, displays, expected };
}

/**
 * The committed copy of a notebook's record: notebooks/_expected/<name>.json. The notebooks'
 * test checks that it equals a fresh fast-path run of the current sources, so a clean clone's
 * `deno task reproduce` needs no fast-path run (which would double its time).
 */
export function committedExpectedPath(name: string, root: string = repoRoot()): string {
  return join(root, "notebooks", "_expected", `${name}.json`);
}

/**
 * The fast path's record of a notebook if it was made from the current sources (the one in
 * out/fastpath, else the committed one), else undefined.
 * @param name Notebook name.
 * @param root The repository root.
 * @returns The record or undefined.
 */
export async function freshExpected(
  name: string,
  root: string = repoRoot(),
): Promise<ExpectedOutputs | undefined> {
  const nb = parseNotebook(await Deno.readTextFile(join(root, "notebooks", `${name}.ipynb`)), name);
  const hash = await sourcesHash(nb, libSources(root));
  for (const path of [expectedPath(name, root), committedExpectedPath(name, root)]) {
    try {
      const e = JSON.parse(await Deno.readTextFile(path)) as ExpectedOutputs;
      if (e.sources === hash) return e;
    } catch {
      // missing or unreadable: try the next
    }
  }
  return undefined;
}

/**
 * The record of a notebook: the fresh one, or a new fast-path run.
 * @param name Notebook name.
 * @param root The repository root.
 * @returns The record and whether the fast path had to run.
 * @throws {Error} If the fast path fails.
 */
export async function loadOrRunExpected(
  name: string,
  root: string = repoRoot(),
): Promise<{ expected: ExpectedOutputs; ran: boolean }> {
  const fresh = await freshExpected(name, root);
  if (fresh) return { expected: fresh, ran: false };
  const run = await runFastPath(name, root);
  if (!run.expected) {
    throw new Error(
      `${name}: the fast path failed (${run.modulePath}):\n${run.stderr.slice(-2000)}`,
    );
  }
  return { expected: run.expected, ran: true };
}

if (import.meta.main && Deno.args[0] === "--record") {
  // `deno run -A scripts/notebook_outputs.ts --record 07-real-models ...`: writes the committed
  // records (running each fast path whose record is not fresh).
  for (const name of Deno.args.slice(1).map((a) => basename(a).replace(/\.ipynb$/, ""))) {
    const { expected, ran } = await loadOrRunExpected(name);
    await Deno.mkdir(dirname(committedExpectedPath(name)), { recursive: true });
    await Deno.writeTextFile(
      committedExpectedPath(name),
      JSON.stringify(expected, null, 2) + "\n",
    );
    console.log(`${name}: record written${ran ? " (fast path run)" : ""}`);
  }
} else if (import.meta.main) {
  if (Deno.args.length === 0) {
    console.error(
      "usage: deno run -A scripts/notebook_outputs.ts <executed.ipynb>... | --record <name>...",
    );
    Deno.exit(2);
  }
  let failed = 0;
  for (const file of Deno.args) {
    const name = basename(file).replace(/\.ipynb$/, "");
    const { expected } = await loadOrRunExpected(name);
    const problems = checkOutputs(name, JSON.parse(await Deno.readTextFile(file)), expected);
    if (problems.length) failed++;
    console.log(problems.length ? problems.join("\n") : `ok   ${name}: every cell's outputs`);
  }
  Deno.exit(failed ? 1 : 0);
}
