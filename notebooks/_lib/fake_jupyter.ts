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
 * @returns The list that receives every display, in order.
 */
export function installFakeJupyter(): CapturedDisplay[] {
  const captured: CapturedDisplay[] = [];
  const fake = {
    $display: DISPLAY,
    async display(obj: unknown, options?: { raw?: boolean }): Promise<void> {
      if (isDisplayable(obj)) {
        captured.push({ bundle: await obj[DISPLAY]() });
      } else if (options?.raw !== false && typeof obj === "object" && obj !== null) {
        captured.push({ bundle: obj as Record<string, unknown> });
      } else {
        captured.push({ bundle: { "text/plain": String(obj) } });
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
