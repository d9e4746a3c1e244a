// Renders exported notebook pages in headless Debian chromium and checks that every figure was
// drawn by plotly.js (the figure's div became a `js-plotly-plot` holding `main-svg` elements).
//
//   tools/node_modules/.bin/deno run -A scripts/browser_check.ts out/notebooks/01-number-formats.html
//
// (`deno task reproduce` runs it on every exported page.) Exit code 1 if a page fails.
import { basename, resolve } from "node:path";
import { countFigures } from "./report.ts";
import { expectedFigures, freshExpected } from "./notebook_outputs.ts";

/** The chromium flags of DESIGN.md §4 plus the DOM dump. */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--virtual-time-budget=20000",
  "--dump-dom",
];

/** What one page showed. */
export interface PageCheck {
  /** Figures the page defines (`class="lowbit-plot"` divs in the source). */
  figures: number;
  /** Figures plotly.js drew (`js-plotly-plot` divs in the rendered DOM). */
  drawn: number;
  /** `main-svg` elements in the rendered DOM (two or more per drawn figure). */
  mainSvgs: number;
}

/**
 * Counts figures in a page's source and, in its rendered DOM, the figures plotly.js drew.
 * @param source The page as written.
 * @param dom The DOM chromium dumped after running the page's scripts.
 * @returns The counts.
 */
export function inspectDom(source: string, dom: string): PageCheck {
  return {
    figures: countFigures(source),
    drawn: (dom.match(/class="lowbit-plot[^"]*\bjs-plotly-plot\b/g) ?? []).length,
    mainSvgs: (dom.match(/class="main-svg"/g) ?? []).length,
  };
}

/**
 * Renders a page in headless chromium and inspects it.
 * @param path The HTML file.
 * @param chromium The browser binary (default `chromium`).
 * @returns The counts.
 * @throws {Error} If chromium cannot be run (the message says how to install it).
 */
export async function checkPage(path: string, chromium = "chromium"): Promise<PageCheck> {
  const file = resolve(path);
  let out;
  try {
    out = await new Deno.Command(chromium, {
      args: [...CHROMIUM_FLAGS, `file://${file}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new Error(
      `cannot run ${chromium} (${(e as Error).message}): run bash scripts/setup_notebooks.sh`,
    );
  }
  if (!out.success) {
    throw new Error(
      `${chromium} failed on ${file}:\n${new TextDecoder().decode(out.stderr).slice(-2000)}`,
    );
  }
  return inspectDom(await Deno.readTextFile(file), new TextDecoder().decode(out.stdout));
}

/**
 * Whether every figure was drawn.
 * @param c A page check.
 * @param expected How many figures the notebook makes (the fast path's count); without it the
 *   page's own figure count is the target, which cannot see a figure that never reached the page.
 * @returns True when there is at least one figure, the page defines exactly the expected number
 *   and plotly.js drew each one.
 */
export function allDrawn(c: PageCheck, expected?: number): boolean {
  const want = expected ?? c.figures;
  return want > 0 && c.figures === want && c.drawn === want && c.mainSvgs >= 2 * want;
}

if (import.meta.main) {
  if (Deno.args.length === 0) {
    console.error("usage: deno run -A scripts/browser_check.ts <page.html>...");
    Deno.exit(2);
  }
  let failed = 0;
  for (const page of Deno.args) {
    const c = await checkPage(page);
    // The target: the figures the fast path displayed (out/fastpath/<name>/).
    const name = basename(page).replace(/\.html$/, "");
    const expected = await freshExpected(name).catch(() => undefined);
    const want = expected ? expectedFigures(expected) : undefined;
    const ok = allDrawn(c, want);
    if (!ok) failed++;
    console.log(
      `${ok ? "ok  " : "FAIL"} ${page}: ${c.drawn}/${
        want ?? `${c.figures} (no fresh fast-path record: page's own count)`
      } figures drawn by plotly.js, ${c.figures} on the page, ${c.mainSvgs} main-svg elements`,
    );
  }
  Deno.exit(failed ? 1 : 0);
}
