/**
 * A stand-in for `Deno.jupyter` outside the kernel (the real one throws there), for the
 * notebooks' fast path: `display` records each bundle; `md`, `html` and `svg` build displayable
 * objects like the real tagged templates.
 *
 * @module
 */

/** One recorded display. */
export interface CapturedDisplay {
  /** MIME bundle (with `raw: true` exactly as given; otherwise built from the object). */
  bundle: Record<string, unknown>;
  /** Index in the notebook's `cells` of the cell that displayed it (when a cell is known). */
  cell?: number;
}

const DISPLAY = Symbol.for("Jupyter.display");

interface Displayable {
  [DISPLAY]: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}

function isDisplayable(x: unknown): x is Displayable {
  return typeof x === "object" && x !== null && DISPLAY in x;
}

function template(mime: string) {
  return (strings: TemplateStringsArray, ...values: unknown[]): Displayable => {
    const text = String.raw({ raw: strings }, ...values);
    return { [DISPLAY]: () => ({ [mime]: text }) };
  };
}

/**
 * Replaces `Deno.jupyter` with a recorder (through its setter; the namespace itself is not
 * replaced).
 * @param currentCell Returns the index (in the notebook's `cells`) of the running cell; each
 *   display is tagged with it. Without it displays carry no cell.
 * @returns The list that receives every display, in order.
 */
export function installFakeJupyter(currentCell?: () => number | undefined): CapturedDisplay[] {
  const captured: CapturedDisplay[] = [];
  const push = (bundle: Record<string, unknown>, cell: number | undefined) => {
    captured.push(cell === undefined ? { bundle } : { bundle, cell });
  };
  const fake = {
    $display: DISPLAY,
    async display(obj: unknown, options?: { raw?: boolean }): Promise<void> {
      const cell = currentCell?.();
      if (isDisplayable(obj)) {
        push(await obj[DISPLAY](), cell);
      } else if (options?.raw !== false && typeof obj === "object" && obj !== null) {
        push(obj as Record<string, unknown>, cell);
      } else {
        push({ "text/plain": String(obj) }, cell);
      }
    },
    md: template("text/markdown"),
    html: template("text/html"),
    svg: template("image/svg+xml"),
    broadcast(): Promise<void> {
      return Promise.resolve();
    },
  };
  if (!Reflect.set(Deno, "jupyter", fake)) {
    throw new Error("cannot replace Deno.jupyter in this Deno version");
  }
  return captured;
}
