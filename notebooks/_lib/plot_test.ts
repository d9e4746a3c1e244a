import { deepEqual, equal, ok, throws } from "node:assert/strict";
import {
  barTrace,
  figure,
  histogram,
  lineTrace,
  logTicks,
  PLOTLY_MIME,
  plotlyBundle,
  plotlyHtml,
  scriptJson,
  show,
  tableText,
  toJsonArray,
} from "./plot.ts";
import { installFakeJupyter } from "./fake_jupyter.ts";

Deno.test("traces copy typed arrays into JSON arrays; non-finite values become null", () => {
  const t = lineTrace(new Float32Array([1, 2, 3]), [0.5, NaN, Infinity], {
    name: "a",
    dash: "dot",
  });
  deepEqual(t, {
    type: "scatter",
    mode: "lines",
    x: [1, 2, 3],
    y: [0.5, null, null],
    line: { dash: "dot" },
    name: "a",
  });
  equal(JSON.stringify(toJsonArray(new Float64Array([0.25]))), "[0.25]");
  throws(() => barTrace(["a"], [1, 2]), /same length; got 1 and 2/);
});

Deno.test("figure sets axis titles, log axes and a secondary axis when a trace asks for one", () => {
  const f = figure([lineTrace([1], [1]), lineTrace([1], [2], { secondaryY: true })], {
    title: "T",
    xTitle: "x",
    yLog: true,
    y2Title: "right",
  });
  deepEqual(f.layout.xaxis, { title: { text: "x" } });
  deepEqual(f.layout.yaxis, {
    type: "log",
    tickmode: "array",
    tickvals: [1, 2],
    ticktext: ["1", "2"],
  });
  deepEqual(f.layout.yaxis2, { overlaying: "y", side: "right", title: { text: "right" } });
  equal(f.data[1].yaxis, "y2");
});

Deno.test("log ticks carry their magnitude: 1-2-5 within three decades, powers beyond", () => {
  deepEqual(logTicks(0.01, 1), {
    tickvals: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
    ticktext: ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"],
  });
  deepEqual(logTicks(30, 700).ticktext, ["20", "50", "100", "200", "500", "1000"]);
  deepEqual(logTicks(1e-9, 1).ticktext, [
    "10⁻⁹",
    "10⁻⁸",
    "10⁻⁷",
    "10⁻⁶",
    "10⁻⁵",
    "10⁻⁴",
    "0.001",
    "0.01",
    "0.1",
    "1",
  ]);
  // 30 decades: every third power, so at most about a dozen labels.
  deepEqual(logTicks(1, 1e30).ticktext.slice(0, 3), ["1", "1000", "10⁶"]);
  equal(logTicks(1, 1e30).tickvals.length, 11);
  throws(() => logTicks(0, 1), /0 < lo/);
});

Deno.test("y2Panel stacks the secondary traces in their own panel; extra merges into axes", () => {
  const f = figure([barTrace(["a"], [3]), barTrace(["a"], [4000], { secondaryY: true })], {
    yLog: true,
    y2Panel: true,
    y2Title: "µm²",
    extra: { yaxis2: { dtick: 1 }, yaxis: { title: { text: "pJ" } } },
  });
  deepEqual(f.layout.yaxis, {
    type: "log",
    tickmode: "array",
    tickvals: [1, 2, 5],
    ticktext: ["1", "2", "5"],
    domain: [0, 0.46],
    title: { text: "pJ" },
  });
  const y2 = f.layout.yaxis2 as Record<string, unknown>;
  deepEqual([y2.domain, y2.anchor, y2.dtick, y2.overlaying], [[0.54, 1], "x", 1, undefined]);
  deepEqual(y2.ticktext, ["2000", "5000", "10000"]);
});

Deno.test("histogram: hand-counted bins, the top edge in the last bin, outside values skipped", () => {
  const h = histogram([0, 0.1, 0.2, 0.5, 0.99, 1, -3, NaN], 4, [0, 1]);
  deepEqual([...h.counts], [3, 0, 1, 2]);
  deepEqual([...h.centers], [0.125, 0.375, 0.625, 0.875]);
  equal(h.width, 0.25);
  deepEqual([...histogram([2, 4, 4, 6], 2).counts], [1, 3]); // range from the data: [2, 6]
  throws(() => histogram([1, 1], 3), /lo < hi/);
  throws(() => histogram([1, 2], 0), /bins must be a positive integer/);
});

Deno.test("the HTML fallback draws the figure with Plotly and cannot be broken out of", () => {
  const fig = figure([lineTrace([1, 2], [3, 4], { name: "</script><b>" })], { title: "a & b" });
  const html = plotlyHtml(fig);
  ok(html.includes("Plotly.newPlot"));
  equal(html.split("</script>").length, 2, "only the closing tag of the script itself");
  const id = /id="([^"]+)"/.exec(html)![1];
  ok(html.includes(`getElementById("${id}")`));
  // the embedded JSON parses back to the figure
  const json = /fig = (.*);\n/.exec(html)![1];
  deepEqual(JSON.parse(json), fig);
  equal(JSON.parse(scriptJson("\u2028<&>")), "\u2028<&>");
  // ids are deterministic per content and distinct for repeated figures
  const again = /id="([^"]+)"/.exec(plotlyHtml(fig))![1];
  equal(again, id.replace(/-1$/, "-2"));
  ok(id.endsWith("-1"));
});

Deno.test("show displays the Plotly MIME bundle through Deno.jupyter", async () => {
  const captured = installFakeJupyter();
  const fig = figure([barTrace(["a", "b"], [1, 2])]);
  await show(fig);
  equal(captured.length, 1);
  deepEqual(captured[0].bundle[PLOTLY_MIME], fig);
  deepEqual(Object.keys(plotlyBundle(fig)).sort(), [PLOTLY_MIME, "text/html", "text/plain"].sort());
});

Deno.test("tableText escapes HTML and pipes, formats numbers", () => {
  const t = tableText(["a", "b"], [["x|y", 1 / 3], ["<i>", 42]], 3);
  equal(t.markdown, "| a | b |\n| --- | --- |\n| x\\|y | 0.333 |\n| <i> | 42 |");
  ok(t.html.includes("<td>&lt;i&gt;</td>"));
  throws(() => tableText(["a"], [[1, 2]]), /row 0 has 2 cells/);
});
