/**
 * Plotly figures for the notebooks: small builders for the traces the notebooks draw (lines,
 * markers, bars, heat maps), a histogram helper, and `show`, which displays a figure in Jupyter
 * with the Plotly MIME type (rendered by JupyterLab) and an HTML fallback (a `<div>` plus a
 * `Plotly.newPlot` call) that the HTML export renders once plotly.js is embedded in the page
 * (`deno task reproduce` does that; see scripts/reproduce.ts).
 *
 * Figures are plain JSON (Plotly's figure schema: `{ data, layout }`); typed arrays are copied
 * into plain arrays, non-finite numbers become `null` (a gap in the line).
 *
 * @module
 */

/** The MIME type of a Plotly figure in a Jupyter display bundle. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** One Plotly trace (a JSON object with a `type`). */
export interface Trace {
  /** Plotly trace type: `"scatter"`, `"bar"`, `"heatmap"`. */
  type: string;
  /** Any other Plotly trace attribute. */
  [key: string]: unknown;
}

/** A Plotly figure. */
export interface Figure {
  /** The traces. */
  data: Trace[];
  /** Plotly layout (title, axes, size). */
  layout: Record<string, unknown>;
}

/** Values of an axis: numbers (typed arrays allowed) or category names. */
export type AxisValues = ArrayLike<number> | readonly string[];

/** Common trace options. */
export interface TraceOptions {
  /** Legend name. */
  name?: string;
  /** Line/marker colour (any CSS colour). */
  color?: string;
  /** Plot on the secondary y axis. */
  secondaryY?: boolean;
  /** Extra Plotly attributes merged into the trace. */
  extra?: Record<string, unknown>;
}

/** Options of {@linkcode lineTrace}. */
export interface LineOptions extends TraceOptions {
  /** `"lines"` (default), `"markers"` or `"lines+markers"`. */
  mode?: "lines" | "markers" | "lines+markers";
  /** Dash style: `"solid"`, `"dash"`, `"dot"`, `"dashdot"`. */
  dash?: string;
  /** Step shape: `"linear"` (default) or `"hv"` (staircase). */
  shape?: "linear" | "hv" | "vh";
  /** Hover text per point. */
  text?: readonly string[];
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * Copies axis values into a JSON-ready array (numbers → numbers or null, strings kept).
 * @param v Values.
 * @returns A plain array.
 */
export function toJsonArray(v: AxisValues): (number | string | null)[] {
  const out: (number | string | null)[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    out[i] = typeof x === "number" ? finite(x) : x;
  }
  return out;
}

function checkLengths(x: AxisValues, y: AxisValues, what: string): void {
  if (x.length !== y.length) {
    throw new RangeError(
      `${what}: x and y must have the same length; got ${x.length} and ${y.length}`,
    );
  }
}

function common(t: Trace, o: TraceOptions | undefined): Trace {
  if (o?.name !== undefined) t.name = o.name;
  if (o?.secondaryY) t.yaxis = "y2";
  return o?.extra ? { ...t, ...o.extra } : t;
}

/**
 * A line (or marker) trace.
 * @param x Abscissae.
 * @param y Ordinates (same length).
 * @param options Name, colour, mode, dash.
 * @returns A `scatter` trace.
 * @throws {RangeError} If the lengths differ.
 */
export function lineTrace(x: AxisValues, y: AxisValues, options?: LineOptions): Trace {
  checkLengths(x, y, "lineTrace");
  const mode = options?.mode ?? "lines";
  const t: Trace = { type: "scatter", mode, x: toJsonArray(x), y: toJsonArray(y) };
  if (mode !== "markers") {
    const line: Record<string, unknown> = {};
    if (options?.color) line.color = options.color;
    if (options?.dash) line.dash = options.dash;
    if (options?.shape) line.shape = options.shape;
    t.line = line;
  }
  if (mode !== "lines" && options?.color) t.marker = { color: options.color };
  if (options?.text) t.text = [...options.text];
  return common(t, options);
}

/**
 * A bar trace.
 * @param x Categories or positions.
 * @param y Heights (same length).
 * @param options Name, colour.
 * @returns A `bar` trace.
 * @throws {RangeError} If the lengths differ.
 */
export function barTrace(x: AxisValues, y: AxisValues, options?: TraceOptions): Trace {
  checkLengths(x, y, "barTrace");
  const t: Trace = { type: "bar", x: toJsonArray(x), y: toJsonArray(y) };
  if (options?.color) t.marker = { color: options.color };
  return common(t, options);
}

/** Options of {@linkcode heatmapTrace}. */
export interface HeatmapOptions extends TraceOptions {
  /** Column labels. */
  x?: AxisValues;
  /** Row labels. */
  y?: AxisValues;
  /** Plotly colour scale name (default `"Viridis"`). */
  colorscale?: string;
  /** Colour bar title. */
  colorbarTitle?: string;
}

/**
 * A heat map trace of a row-major matrix.
 * @param z Rows of values (all rows the same length).
 * @param options Labels, colour scale.
 * @returns A `heatmap` trace.
 * @throws {RangeError} If rows have different lengths.
 */
export function heatmapTrace(z: readonly ArrayLike<number>[], options?: HeatmapOptions): Trace {
  const width = z[0]?.length ?? 0;
  z.forEach((row, i) => {
    if (row.length !== width) {
      throw new RangeError(`heatmapTrace: row ${i} has ${row.length} values, row 0 has ${width}`);
    }
  });
  const t: Trace = {
    type: "heatmap",
    z: z.map((row) => toJsonArray(row)),
    colorscale: options?.colorscale ?? "Viridis",
  };
  if (options?.x) t.x = toJsonArray(options.x);
  if (options?.y) t.y = toJsonArray(options.y);
  if (options?.colorbarTitle) t.colorbar = { title: { text: options.colorbarTitle } };
  return common(t, options);
}

/** Options of {@linkcode figure}. */
export interface FigureOptions {
  /** Title above the plot. */
  title?: string;
  /** x axis title. */
  xTitle?: string;
  /** y axis title. */
  yTitle?: string;
  /** Secondary y axis title (traces with `secondaryY`). */
  y2Title?: string;
  /** Logarithmic x axis. */
  xLog?: boolean;
  /** Logarithmic y axis. */
  yLog?: boolean;
  /** Height in pixels (default 420). */
  height?: number;
  /** Bar mode: `"group"` (default), `"overlay"`, `"stack"`. */
  barmode?: "group" | "overlay" | "stack";
  /**
   * Draw the `secondaryY` traces in their own panel above the others (stacked, sharing x) instead
   * of on a right axis over them: for two quantities whose bars would otherwise overlap.
   */
  y2Panel?: boolean;
  /** Extra layout attributes merged last (`xaxis`, `yaxis`, `yaxis2` merge into the axes). */
  extra?: Record<string, unknown>;
}

const SUPERSCRIPT: Record<string, string> = {
  "-": "⁻",
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
};

/** 10^k as text: plain for |k| ≤ 3 (0.001 … 1000), else 10 with a superscript exponent. */
function powerText(k: number): string {
  if (k >= 0 && k <= 3) return String(10 ** k);
  if (k < 0 && k >= -3) return (10 ** k).toFixed(-k);
  return `10${String(k).split("").map((c) => SUPERSCRIPT[c]).join("")}`;
}

/**
 * Tick positions and labels for a log axis over [lo, hi] (lo > 0): 1-2-5 steps when the range
 * spans at most three decades, every power of ten up to 12 decades, every second or more beyond.
 * Labels carry their magnitude ("0.02", "500", "10⁻⁶"), never a bare digit.
 *
 * @param lo Smallest positive value shown.
 * @param hi Largest value shown.
 * @returns `tickvals` and `ticktext` for a Plotly axis with `tickmode: "array"`.
 */
export function logTicks(lo: number, hi: number): { tickvals: number[]; ticktext: string[] } {
  if (!(lo > 0) || !(hi >= lo) || !Number.isFinite(hi)) {
    throw new RangeError(`log ticks need 0 < lo ≤ hi < ∞; got ${lo}, ${hi}`);
  }
  const k0 = Math.floor(Math.log10(lo) + 1e-9), k1 = Math.ceil(Math.log10(hi) - 1e-9);
  const decades = Math.max(1, k1 - k0);
  const tickvals: number[] = [], ticktext: string[] = [];
  if (decades <= 3) {
    // 1-2-5 steps near the data; a wider window when that leaves fewer than two ticks.
    for (const widen of [1.5, 3]) {
      tickvals.length = 0;
      ticktext.length = 0;
      for (let k = k0 - 1; k <= k1; k++) {
        for (const m of [1, 2, 5]) {
          const v = m * 10 ** k;
          if (v < lo / widen || v > hi * widen) continue;
          tickvals.push(v);
          ticktext.push(k >= 0 ? String(v) : v.toFixed(-k));
        }
      }
      if (tickvals.length >= 2) break;
    }
    return { tickvals, ticktext };
  }
  const step = Math.max(1, Math.ceil(decades / 12));
  for (let k = Math.floor(k0 / step) * step; k <= k1; k += step) {
    tickvals.push(10 ** k);
    ticktext.push(powerText(k));
  }
  return { tickvals, ticktext };
}

/** The positive finite numbers of the traces' `key` coordinates (for log ticks). */
function positive(data: Trace[], key: "x" | "y", axis?: string): number[] {
  const out: number[] = [];
  for (const t of data) {
    if (axis !== undefined && (t.yaxis ?? "y") !== axis) continue;
    const v = t[key];
    if (!Array.isArray(v)) continue;
    for (const x of v) if (typeof x === "number" && x > 0 && Number.isFinite(x)) out.push(x);
  }
  return out;
}

function logAxis(values: number[]): Record<string, unknown> {
  if (values.length === 0) return { type: "log" };
  const { tickvals, ticktext } = logTicks(Math.min(...values), Math.max(...values));
  return { type: "log", tickmode: "array", tickvals, ticktext };
}

/**
 * A figure from traces and axis options.
 * @param data Traces.
 * @param options Titles, log axes, height.
 * @returns The figure.
 */
export function figure(data: Trace[], options: FigureOptions = {}): Figure {
  const extra = options.extra ?? {};
  const axisExtra = (k: string) => (extra[k] ?? {}) as Record<string, unknown>;
  const hasY2 = data.some((t) => t.yaxis === "y2");
  const xaxis: Record<string, unknown> = options.xLog ? logAxis(positive(data, "x")) : {};
  const yaxis: Record<string, unknown> = options.yLog
    ? logAxis(positive(data, "y", hasY2 && options.y2Panel ? "y" : undefined))
    : {};
  if (options.xTitle) xaxis.title = { text: options.xTitle };
  if (options.yTitle) yaxis.title = { text: options.yTitle };
  const layout: Record<string, unknown> = {
    height: options.height ?? 420,
    margin: { l: 70, r: 30, t: options.title ? 60 : 20, b: 60 },
  };
  if (options.title) layout.title = { text: options.title };
  if (options.barmode) layout.barmode = options.barmode;
  let yaxis2: Record<string, unknown> | undefined;
  if (hasY2) {
    const title = options.y2Title ? { title: { text: options.y2Title } } : {};
    if (options.y2Panel) {
      // Two stacked panels sharing the x axis: the y2 traces on top.
      yaxis.domain = [0, 0.46];
      yaxis2 = {
        ...(options.yLog ? logAxis(positive(data, "y", "y2")) : {}),
        domain: [0.54, 1],
        anchor: "x",
        ...title,
      };
    } else {
      yaxis2 = { overlaying: "y", side: "right", ...title };
      // A legend at the right would sit on the right axis' labels: put it under the plot.
      layout.legend = { orientation: "h", x: 0, y: -0.22, yanchor: "top" };
      layout.margin = { l: 70, r: 70, t: options.title ? 60 : 20, b: 110 };
    }
  }
  const merged: Record<string, unknown> = { ...layout, ...extra };
  merged.xaxis = { ...xaxis, ...axisExtra("xaxis") };
  merged.yaxis = { ...yaxis, ...axisExtra("yaxis") };
  if (yaxis2 !== undefined || extra.yaxis2 !== undefined) {
    merged.yaxis2 = { ...yaxis2, ...axisExtra("yaxis2") };
  }
  return { data, layout: merged };
}

/**
 * Equal-width histogram counts.
 * @param values Samples (non-finite ones are skipped).
 * @param bins Number of bins (integer ≥ 1).
 * @param range `[lo, hi]` (default the samples' min and max); samples outside are skipped.
 * @returns Bin centres and counts.
 * @throws {RangeError} If `bins` is not a positive integer or the range is empty.
 */
export function histogram(
  values: ArrayLike<number>,
  bins: number,
  range?: readonly [number, number],
): { centers: Float64Array; counts: Float64Array; width: number } {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`bins must be a positive integer; got ${bins}`);
  }
  let lo = range?.[0] ?? Infinity, hi = range?.[1] ?? -Infinity;
  if (!range) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!(hi > lo)) throw new RangeError(`histogram range must satisfy lo < hi; got [${lo}, ${hi}]`);
  const width = (hi - lo) / bins;
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= lo && v <= hi)) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
  }
  const centers = Float64Array.from({ length: bins }, (_, i) => lo + (i + 0.5) * width);
  return { centers, counts, width };
}

/** FNV-1a 32-bit hash of a string, as 8 hex digits (stable element ids). */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** JSON safe to embed in a `<script>` element (no `</script>`, no line separators). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const seen = new Map<string, number>();

/**
 * The HTML fallback of a figure: a `<div class="lowbit-plot">` and a script that draws it with
 * `window.Plotly` (which the exported page embeds), or says why it cannot.
 * @param fig The figure.
 * @returns HTML text; the element id is derived from the figure's content (deterministic).
 */
export function plotlyHtml(fig: Figure): string {
  const json = scriptJson(fig);
  const hash = fnv1a(json);
  const n = (seen.get(hash) ?? 0) + 1;
  seen.set(hash, n);
  const id = `lowbit-plot-${hash}-${n}`;
  const height = typeof fig.layout.height === "number" ? fig.layout.height : 420;
  return `<div id="${id}" class="lowbit-plot" style="width:100%;min-height:${height}px"></div>\n` +
    `<script>(function () {\n` +
    `  var el = document.getElementById("${id}"), fig = ${json};\n` +
    `  if (window.Plotly) window.Plotly.newPlot(el, fig.data, fig.layout, {responsive: true});\n` +
    `  else el.textContent = "plotly.js is not loaded: open the page exported by deno task reproduce";\n` +
    `})();</script>`;
}

/** A plain-text summary of a figure (the `text/plain` entry of its bundle). */
export function figureSummary(fig: Figure): string {
  const title = (fig.layout.title as { text?: string } | undefined)?.text ?? "figure";
  const traces = fig.data.map((t) =>
    `${t.type}${typeof t.name === "string" ? ` "${t.name}"` : ""}`
  );
  return `${title} [${traces.join(", ")}]`;
}

/**
 * The Jupyter display bundle of a figure: Plotly JSON, the HTML fallback and a text summary.
 * @param fig The figure.
 * @returns The MIME bundle.
 */
export function plotlyBundle(fig: Figure): Record<string, string | object> {
  return {
    [PLOTLY_MIME]: fig,
    "text/html": plotlyHtml(fig),
    "text/plain": figureSummary(fig),
  };
}

/**
 * Displays a figure in the notebook (`Deno.jupyter.display` with `raw: true`).
 * @param fig The figure.
 */
export async function show(fig: Figure): Promise<void> {
  await Deno.jupyter.display(plotlyBundle(fig), { raw: true });
}

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** A table cell: text or a number (shown with `digits` significant digits). */
export type Cell = string | number;

function cellText(c: Cell, digits: number): string {
  if (typeof c === "string") return c;
  if (Number.isInteger(c) && Math.abs(c) < 1e15) return String(c);
  return Number.isFinite(c) ? c.toPrecision(digits) : String(c);
}

/**
 * An HTML table (and its Markdown twin) of rows of cells.
 * @param headers Column headers.
 * @param rows Rows (each as long as `headers`).
 * @param digits Significant digits of non-integer numbers (default 4).
 * @returns `{ html, markdown }`.
 * @throws {RangeError} If a row has the wrong length.
 */
export function tableText(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  digits = 4,
): { html: string; markdown: string } {
  rows.forEach((r, i) => {
    if (r.length !== headers.length) {
      throw new RangeError(`row ${i} has ${r.length} cells; headers has ${headers.length}`);
    }
  });
  const text = rows.map((r) => r.map((c) => cellText(c, digits)));
  const html = `<table class="lowbit-table"><thead><tr>${
    headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("")
  }</tr></thead><tbody>${
    text.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
  const md = [
    `| ${headers.join(" | ")} |`,
    `| ${headers.map(() => "---").join(" | ")} |`,
    ...text.map((r) => `| ${r.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`),
  ].join("\n");
  return { html, markdown: md };
}

/**
 * Displays a table (HTML with a Markdown/plain-text twin).
 * @param headers Column headers.
 * @param rows Rows of cells.
 * @param digits Significant digits of non-integer numbers (default 4).
 */
export async function showTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  digits = 4,
): Promise<void> {
  const { html, markdown } = tableText(headers, rows, digits);
  await Deno.jupyter.display(
    { "text/html": html, "text/markdown": markdown, "text/plain": markdown },
    { raw: true },
  );
}

/**
 * Displays Markdown text (a conclusion with computed numbers).
 * @param text Markdown.
 */
export async function showMarkdown(text: string): Promise<void> {
  await Deno.jupyter.display({ "text/markdown": text, "text/plain": text }, { raw: true });
}
