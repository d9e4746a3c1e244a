// HTML for the reproduce job: plotly.js embedded into an exported notebook page, and
// out/index.html (links to the notebooks, the results table). Pure functions; reproduce.ts does
// the I/O.
import { escapeHtml } from "../notebooks/_lib/plot.ts";
import { type ResultsFile, resultsTableHtml } from "../notebooks/_lib/results.ts";

/**
 * Puts plotly.js inline at the start of the page's `<head>` (before any other script, so it
 * defines `window.Plotly` before the figures' scripts run), making the page render offline.
 * @param html An exported page.
 * @param plotlyJs The plotly.min.js source.
 * @returns The page with plotly.js embedded (unchanged if it already is).
 * @throws {RangeError} If the page has no `<head>`.
 */
export function embedPlotly(html: string, plotlyJs: string): string {
  if (html.includes('<script id="lowbit-plotly">')) return html;
  const head = /<head[^>]*>/i.exec(html);
  if (!head) throw new RangeError("the page has no <head> element to embed plotly.js into");
  const js = plotlyJs.replace(/<\/script/gi, "<\\/script");
  const at = head.index + head[0].length;
  return `${html.slice(0, at)}\n<script id="lowbit-plotly">${js}</script>\n${html.slice(at)}`;
}

/**
 * The number of figures a page draws (the plotting helper's `<div class="lowbit-plot">`).
 * @param html A page.
 * @returns The count.
 */
export function countFigures(html: string): number {
  return html.split('class="lowbit-plot"').length - 1;
}

/** One notebook on the index page. */
/**
 * Gives every notebook cell of an exported page an anchor: the k-th `jp-Cell` div (1-based, in
 * notebook order, Markdown and code alike) gets `id="cell-k"`. Idempotent.
 * @param html An nbconvert (lab template) HTML export.
 * @returns The page with anchors.
 */
export function anchorCells(html: string): string {
  if (html.includes('id="cell-1"')) return html;
  let k = 0;
  return html.replace(/<div class="jp-Cell /g, () => `<div id="cell-${++k}" class="jp-Cell `);
}

/**
 * The 1-based index of the cell that records a result: the first cell whose source has
 * `id: "<id>"`, or a template literal `id: \`…${…}…\`` matching it.
 * @param cells The notebook's cells.
 * @param id The result's id.
 * @returns The cell index, or undefined when no cell names it.
 */
export function cellOfResult(
  cells: readonly { source: string | string[] }[],
  id: string,
): number | undefined {
  const text = cells.map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source));
  const literal = text.findIndex((t) => t.includes(`id: "${id}"`));
  if (literal >= 0) return literal + 1;
  const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  for (const [i, t] of text.entries()) {
    for (const m of t.matchAll(/id: `([^`]*)`/g)) {
      const pattern = m[1].split(/\$\{[^}]*\}/).map(escape).join(".+");
      if (new RegExp(`^${pattern}$`).test(id)) return i + 1;
    }
  }
  return undefined;
}

export interface IndexEntry {
  /** Notebook name without extension. */
  notebook: string;
  /** Link to its exported page, relative to index.html. */
  href: string;
  /** First Markdown heading of the notebook. */
  title: string;
  /** Figures on the page. */
  figures: number;
  /** The cell (1-based) that records each result id, for links to `href#cell-k`. */
  resultCells?: Record<string, number>;
}

/**
 * The title of a notebook: its first Markdown heading, without the leading `#`s.
 * @param cells The notebook's cells.
 * @param fallback Used when there is no heading.
 * @returns The title.
 */
export function notebookTitle(
  cells: readonly { cell_type: string; source: string | string[] }[],
  fallback: string,
): string {
  for (const c of cells) {
    if (c.cell_type !== "markdown") continue;
    const text = Array.isArray(c.source) ? c.source.join("") : c.source;
    const m = /^#+\s+(.+)$/m.exec(text);
    if (m) return m[1].trim();
  }
  return fallback;
}

/**
 * out/index.html: the notebooks with links and figure counts, then every recorded result
 * (reproduced number beside the paper's/seed's, tolerance, pass/deviation).
 * @param entries The notebooks in order.
 * @param results The results files.
 * @returns The page.
 */
export function indexHtml(entries: readonly IndexEntry[], results: readonly ResultsFile[]): string {
  const counts = { pass: 0, deviation: 0, explained: 0 };
  for (const f of results) {
    for (const r of f.results) {
      if (r.status === "pass") counts.pass++;
      else if (r.knownDeviation) counts.explained++;
      else counts.deviation++;
    }
  }
  const hrefOf = new Map(entries.map((e) => [e.notebook, e.href]));
  const cellsOf = new Map(entries.map((e) => [e.notebook, e.resultCells ?? {}]));
  const perNotebook = results.map((f) => {
    const c = { pass: 0, explained: 0, deviation: 0 };
    for (const r of f.results) {
      if (r.status === "pass") c.pass++;
      else if (r.knownDeviation) c.explained++;
      else c.deviation++;
    }
    return `<tr><td><a href="${
      escapeHtml(hrefOf.get(f.notebook) ?? `notebooks/${f.notebook}.html`)
    }">${
      escapeHtml(f.notebook)
    }</a></td><td>${c.pass}</td><td>${c.explained}</td><td>${c.deviation}</td></tr>`;
  }).join("");
  const link = (notebook: string, id: string) => {
    const href = hrefOf.get(notebook) ?? `notebooks/${notebook}.html`;
    const cell = cellsOf.get(notebook)?.[id];
    return cell === undefined ? href : `${href}#cell-${cell}`;
  };
  const list = entries.map((e) =>
    `<li><a href="${escapeHtml(e.href)}">${escapeHtml(e.notebook)}</a>: ${
      escapeHtml(e.title)
    } <small>(${e.figures} figure${e.figures === 1 ? "" : "s"})</small></li>`
  ).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lowbit: reproduced results</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr.pass td:last-child { color: #1a7f37; }
tr.deviation td:last-child { color: #b35900; }
</style>
</head>
<body>
<h1>lowbit: reproduced results</h1>
<p>Produced by <code>deno task reproduce</code>: every notebook under <code>notebooks/</code>
executed headless in the Deno Jupyter kernel, exported to HTML with plotly.js embedded.</p>
<h2>Summary</h2>
<p>${counts.pass} pass, ${counts.explained} explained deviation${
    counts.explained === 1 ? "" : "s"
  }, ${counts.deviation} unexplained deviation${counts.deviation === 1 ? "" : "s"}.</p>
<table class="lowbit-summary"><thead><tr><th>notebook</th><th>pass</th><th>explained deviation</th><th>unexplained deviation</th></tr></thead><tbody>${perNotebook}</tbody></table>
<h2>Notebooks</h2>
<ul>
${list}
</ul>
<h2>Results</h2>
<p>Each notebook link opens the cell that computed the number.</p>
${resultsTableHtml(results, { link })}
</body>
</html>
`;
}
