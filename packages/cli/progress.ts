/**
 * Progress bars for long CLI work (calibration, comparison) on standard error, with npm
 * `cli-progress`; silent when disabled so tests and pipes stay clean.
 *
 * @example
 * ```ts
 * import { progress } from "@lowbit/cli/progress";
 * import { equal } from "node:assert/strict";
 * const p = progress("calibrating", 3, { enabled: false });
 * p.tick(); p.tick(); p.tick();
 * equal(p.done, 3);
 * p.stop();
 * ```
 *
 * @module
 */

import cliProgress from "cli-progress";

interface SingleBarLike {
  start(total: number, value: number, payload?: Record<string, unknown>): void;
  update(value: number, payload?: Record<string, unknown>): void;
  setTotal(total: number): void;
  stop(): void;
}

interface CliProgressModule {
  SingleBar: new (options: Record<string, unknown>, preset?: unknown) => SingleBarLike;
  Presets: { shades_classic: unknown };
}

/** A running progress display. */
export interface Progress {
  /** Items done so far. */
  readonly done: number;
  /** Marks one more item done (and updates the total when it becomes known). */
  tick(total?: number): void;
  /** Ends the display. */
  stop(): void;
}

/** Options of {@linkcode progress}. */
export interface ProgressOptions {
  /** Draw the bar (default: when standard error is a terminal). */
  enabled?: boolean;
}

/**
 * Starts a progress bar on standard error.
 *
 * @param label What is being done.
 * @param total Number of items, when known.
 * @param options Whether to draw.
 * @returns The progress handle.
 */
export function progress(
  label: string,
  total: number | undefined,
  options: ProgressOptions = {},
): Progress {
  const enabled = options.enabled ?? Deno.stderr.isTerminal();
  let done = 0;
  let bar: SingleBarLike | undefined;
  if (enabled) {
    const mod = cliProgress as unknown as CliProgressModule;
    bar = new mod.SingleBar({
      format: `${label} [{bar}] {value}/{total} {duration_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
    }, mod.Presets.shades_classic);
    bar.start(total ?? 0, 0);
  }
  return {
    get done() {
      return done;
    },
    tick(newTotal?: number) {
      done++;
      if (bar) {
        if (newTotal !== undefined) bar.setTotal(newTotal);
        else if (total === undefined) bar.setTotal(done);
        bar.update(done);
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
