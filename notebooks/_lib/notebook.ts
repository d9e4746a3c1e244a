/**
 * Notebook files for the Jupyter-free fast path: read an `.ipynb`, take its code cells and turn
 * them into one TypeScript module that `deno run --check` type-checks and executes like the
 * Deno kernel would (cells in order, one shared scope, top-level await). Relative import
 * specifiers are resolved against the notebook's folder, as the kernel (whose working directory
 * is the notebook's folder) resolves them.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { toFileUrl } from "./_file_url.ts";

/** One notebook cell (the fields the fast path reads). */
export interface NotebookCell {
  /** `"code"`, `"markdown"` or `"raw"`. */
  cell_type: string;
  /** Source as one string or a list of lines. */
  source: string | string[];
}

/** A parsed notebook (the fields the fast path reads). */
export interface Notebook {
  /** Cells in order. */
  cells: NotebookCell[];
  /** Notebook metadata (kernelspec). */
  metadata?: { kernelspec?: { name?: string } };
  /** Major format version. */
  nbformat?: number;
}

/**
 * Parses notebook JSON.
 * @param text The `.ipynb` content.
 * @param name File name for messages.
 * @returns The notebook.
 * @throws {TypeError} If it is not an nbformat 4 notebook with a cells array.
 */
export function parseNotebook(text: string, name = "notebook"): Notebook {
  const nb = JSON.parse(text) as Notebook;
  if (!nb || !Array.isArray(nb.cells) || nb.nbformat !== 4) {
    throw new TypeError(`${name}: not an nbformat 4 notebook with a cells array`);
  }
  return nb;
}

/**
 * A cell's source as one string.
 * @param cell The cell.
 * @returns The source text.
 */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/**
 * The code cells' sources, in order.
 * @param nb The notebook.
 * @returns One string per code cell.
 */
export function codeCells(nb: Notebook): string[] {
  return nb.cells.filter((c) => c.cell_type === "code").map(cellSource);
}

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"']*)\2/g;

/**
 * Rewrites relative import specifiers (`"./x.ts"`, `"../x.ts"`) to absolute file URLs.
 * @param code TypeScript source.
 * @param baseDir The folder they are relative to.
 * @returns The rewritten source.
 */
export function resolveRelativeImports(code: string, baseDir: string): string {
  return code.replace(
    SPECIFIER,
    (_m, lead: string, q: string, spec: string) =>
      `${lead}${q}${toFileUrl(resolve(baseDir, spec))}${q}`,
  );
}

/** Options of {@linkcode notebookModule}. */
export interface NotebookModuleOptions {
  /** Code placed before the first cell (imports and setup). */
  prelude?: string;
  /** Code placed after the last cell. */
  epilogue?: string;
  /**
   * Code placed before each code cell, given the cell's index in `nb.cells` (for example a
   * statement that tells a display recorder which cell is running).
   */
  cellPrelude?: (cellIndex: number) => string;
}

/**
 * One module from a notebook's code cells, each introduced by a `// cell N` comment.
 * @param nb The notebook.
 * @param notebookPath Path of the `.ipynb` (relative imports resolve against its folder).
 * @param options Prelude and epilogue.
 * @returns TypeScript source.
 */
export function notebookModule(
  nb: Notebook,
  notebookPath: string,
  options: NotebookModuleOptions = {},
): string {
  const dir = dirname(resolve(notebookPath));
  const parts = [
    `// Generated from ${notebookPath} by notebooks/_lib/notebook.ts; do not edit.`,
    options.prelude ?? "",
  ];
  let n = 0;
  nb.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const pre = options.cellPrelude ? `${options.cellPrelude(index)}\n` : "";
    parts.push(`// cell ${++n}\n${pre}${resolveRelativeImports(cellSource(cell), dir)}`);
  });
  parts.push(options.epilogue ?? "");
  return parts.join("\n\n") + "\n";
}

/**
 * The committed notebooks in a folder, by name without `.ipynb`, sorted: `NN-name.ipynb` files.
 * Copies that tools leave beside them — `jupyter nbconvert --execute`'s `*.nbconvert.ipynb`,
 * editors' `*-checkpoint.ipynb` — are not notebooks of the project and are skipped.
 *
 * @param files File names of the folder.
 * @returns The notebook names.
 *
 * @example
 * ```ts
 * import { notebookNames } from "./notebook.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   notebookNames(["02-b.ipynb", "01-a.ipynb", "01-a.nbconvert.ipynb", "01-a-checkpoint.ipynb", "x.ts"]),
 *   ["01-a", "02-b"],
 * );
 * ```
 */
export function notebookNames(files: Iterable<string>): string[] {
  return [...files]
    .filter((f) => /^\d\d-[^.]+\.ipynb$/.test(f) && !f.endsWith("-checkpoint.ipynb"))
    .map((f) => f.replace(/\.ipynb$/, ""))
    .sort();
}
