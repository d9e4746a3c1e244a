/**
 * The results recorder: each notebook states the numbers it reproduces beside the paper's or
 * seed's number with a tolerance; each record is judged `pass` or `deviation` and saved to
 * `out/results/<notebook>.json`, from which `deno task reproduce` builds the table in
 * `out/index.html`. A deviation the notebook explains (for example a slip in the seed notes)
 * carries its explanation in `knownDeviation`; the fast-path test fails on any other deviation
 * and on an explanation that no longer applies.
 *
 * @module
 */

import { join } from "node:path";
import { outDir } from "./repo.ts";
import { escapeHtml } from "./plot.ts";

/** One claim: what was measured, the reference and how close it must be. */
export interface Claim {
  /** Stable key within the notebook, e.g. `"bf16-sum-stall"`. */
  id: string;
  /** What is compared, in words. */
  quantity: string;
  /** The number this notebook computed. */
  reproduced: number;
  /** The paper's/seed's number, or an inclusive range `[lo, hi]`. */
  reference: number | readonly [number, number];
  /** Allowed absolute difference (default 0). */
  abs?: number;
  /** Allowed difference relative to |reference| (default 0; the larger allowance wins). */
  rel?: number;
  /** Where the reference comes from, e.g. `"lecture 5.4.2.1, example 3"`. */
  source: string;
  /** Unit shown after the numbers (e.g. `"dB"`). */
  unit?: string;
  /** Why the reproduced number differs from the reference, when that is expected. */
  knownDeviation?: string;
}

/** A judged claim. */
export interface ResultRecord extends Claim {
  /** `"pass"` when within tolerance, else `"deviation"`. */
  status: "pass" | "deviation";
  /** Distance from the reference (0 inside a range). */
  error: number;
}

/** The saved file of one notebook. */
export interface ResultsFile {
  /** Notebook name without extension, e.g. `"01-number-formats"`. */
  notebook: string;
  /** Records in the order they were made. */
  results: ResultRecord[];
}

/**
 * Judges a claim against its reference and tolerance.
 * @param claim The claim.
 * @returns `status` and `error` (|reproduced − reference|, or the distance outside the range).
 * @throws {RangeError} If a number is not finite or a tolerance is negative.
 */
export function judge(claim: Claim): { status: "pass" | "deviation"; error: number } {
  const { reproduced, reference } = claim;
  const abs = claim.abs ?? 0, rel = claim.rel ?? 0;
  if (!(abs >= 0) || !(rel >= 0)) {
    throw new RangeError(`${claim.id}: abs and rel must be >= 0; got ${abs}, ${rel}`);
  }
  const refs = typeof reference === "number" ? [reference, reference] : reference;
  if (![reproduced, ...refs].every(Number.isFinite) || refs[0] > refs[1]) {
    throw new RangeError(
      `${claim.id}: reproduced and reference must be finite (range lo <= hi); got ${reproduced} vs ${
        String(reference)
      }`,
    );
  }
  const error = reproduced < refs[0]
    ? refs[0] - reproduced
    : reproduced > refs[1]
    ? reproduced - refs[1]
    : 0;
  const allowed = Math.max(abs, rel * Math.max(Math.abs(refs[0]), Math.abs(refs[1])));
  return { status: error <= allowed ? "pass" : "deviation", error };
}

/** Formats a number for the results table (up to 6 significant digits). */
export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(6)));
}

/** The reference as text: `"256"` or `"10–25"`. */
export function referenceText(r: Claim["reference"]): string {
  return typeof r === "number" ? formatNumber(r) : `${formatNumber(r[0])}–${formatNumber(r[1])}`;
}

function toleranceText(c: Claim): string {
  const parts = [];
  if (c.abs) parts.push(`±${formatNumber(c.abs)}`);
  if (c.rel) parts.push(`±${formatNumber(c.rel * 100)}%`);
  return parts.length ? parts.join(" or ") : typeof c.reference === "number" ? "exact" : "in range";
}

/** Records the claims of one notebook. */
export class Results {
  #notebook: string;
  #records: ResultRecord[] = [];

  /**
   * @param notebook The notebook's file name without extension.
   * @throws {RangeError} If the name is not a plain file name.
   */
  constructor(notebook: string) {
    if (!/^[A-Za-z0-9._-]+$/.test(notebook)) {
      throw new RangeError(`notebook must be a plain file name; got ${JSON.stringify(notebook)}`);
    }
    this.#notebook = notebook;
  }

  /**
   * Judges and records a claim. Returns nothing, so that a cell ending in `results.record(...)`
   * shows no `Out[n]` value in Jupyter; read the judged records from {@linkcode Results.records}.
   * @param claim The claim.
   * @throws {RangeError} If the id repeats or the numbers are invalid.
   */
  record(claim: Claim): void {
    if (this.#records.some((r) => r.id === claim.id)) {
      throw new RangeError(`claim id ${JSON.stringify(claim.id)} is recorded twice`);
    }
    const rec: ResultRecord = { ...claim, ...judge(claim) };
    if (Array.isArray(claim.reference)) rec.reference = [claim.reference[0], claim.reference[1]];
    this.#records.push(rec);
  }

  /** The records so far. */
  get records(): readonly ResultRecord[] {
    return this.#records;
  }

  /** The file content. */
  toJSON(): ResultsFile {
    return { notebook: this.#notebook, results: this.#records.map((r) => ({ ...r })) };
  }

  /**
   * Writes `<out>/results/<notebook>.json` (see `outDir`).
   * @returns The path written.
   */
  async save(): Promise<string> {
    const dir = join(outDir(), "results");
    await Deno.mkdir(dir, { recursive: true });
    const path = join(dir, `${this.#notebook}.json`);
    await Deno.writeTextFile(path, JSON.stringify(this.toJSON(), null, 2) + "\n");
    return path;
  }

  /** Saves and displays the table in the notebook. */
  async report(): Promise<void> {
    await this.save();
    const html = resultsTableHtml([this.toJSON()], { notebookColumn: false });
    await Deno.jupyter.display(
      { "text/html": html, "text/plain": resultsText([this.toJSON()]) },
      { raw: true },
    );
  }
}

function statusText(r: ResultRecord): string {
  if (r.status === "pass") return "pass";
  return r.knownDeviation ? "deviation (explained)" : "deviation";
}

/**
 * The results table as HTML (one row per record).
 * @param files Results of one or more notebooks.
 * @param options `notebookColumn` (default true) adds a first column naming the notebook;
 *   `link(notebook, id)` turns that name into a link target (e.g. the cell recording `id`).
 * @returns A `<table>`.
 */
export function resultsTableHtml(
  files: readonly ResultsFile[],
  options: { notebookColumn?: boolean; link?: (notebook: string, id: string) => string } = {},
): string {
  const nbCol = options.notebookColumn ?? true;
  const head = [
    ...(nbCol ? ["notebook"] : []),
    "quantity",
    "reproduced",
    "paper / seed",
    "tolerance",
    "source",
    "status",
  ];
  const rows: string[] = [];
  for (const f of files) {
    for (const r of f.results) {
      const unit = r.unit ? ` ${escapeHtml(r.unit)}` : "";
      const nb = options.link
        ? `<a href="${escapeHtml(options.link(f.notebook, r.id))}">${escapeHtml(f.notebook)}</a>`
        : escapeHtml(f.notebook);
      const note = r.knownDeviation ? `<br><small>${escapeHtml(r.knownDeviation)}</small>` : "";
      rows.push(
        `<tr class="${r.status}">${nbCol ? `<td>${nb}</td>` : ""}<td>${
          escapeHtml(r.quantity)
        }</td><td>${formatNumber(r.reproduced)}${unit}</td><td>${
          referenceText(r.reference)
        }${unit}</td><td>${escapeHtml(toleranceText(r))}</td><td>${escapeHtml(r.source)}</td><td>${
          statusText(r)
        }${note}</td></tr>`,
      );
    }
  }
  return `<table class="lowbit-results"><thead><tr>${
    head.map((h) => `<th>${h}</th>`).join("")
  }</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/**
 * The results as a Markdown table (for logs and reports).
 * @param files Results of one or more notebooks.
 * @returns Markdown text.
 */
export function resultsText(files: readonly ResultsFile[]): string {
  const lines = [
    "| notebook | quantity | reproduced | paper / seed | tolerance | status |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const f of files) {
    for (const r of f.results) {
      const unit = r.unit ? ` ${r.unit}` : "";
      lines.push(
        `| ${f.notebook} | ${r.quantity} | ${formatNumber(r.reproduced)}${unit} | ${
          referenceText(r.reference)
        }${unit} | ${toleranceText(r)} | ${statusText(r)} |`,
      );
    }
  }
  return lines.join("\n");
}
