/**
 * Where things are, for notebooks and the scripts that run them: the repository root (found by
 * walking up to the workspace `deno.json`, so it works from the Jupyter kernel, whose working
 * directory is `notebooks/`, and from the repository root alike), the output folder and files
 * inside npm packages under `node_modules` (whose `exports` maps block subpath imports).
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";

function isWorkspaceRoot(dir: string): boolean {
  try {
    const config = JSON.parse(Deno.readTextFileSync(join(dir, "deno.json"))) as unknown;
    return typeof config === "object" && config !== null && "workspace" in config;
  } catch {
    return false;
  }
}

/**
 * The repository root: the nearest folder at or above `start` whose `deno.json` declares a
 * workspace.
 *
 * @param start Folder to start from (default the working directory).
 * @returns The absolute path of the root.
 * @throws {Error} If no such folder exists above `start`.
 */
export function repoRoot(start: string = Deno.cwd()): string {
  let dir = resolve(start);
  for (;;) {
    if (isWorkspaceRoot(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) {
      throw new Error(`no workspace deno.json at or above ${start}: run from the lowbit checkout`);
    }
    dir = up;
  }
}

/**
 * The output folder of the reproduce job: `$LOWBIT_OUT` when set, else `<root>/out`.
 *
 * @returns An absolute path (not created here).
 */
export function outDir(): string {
  const env = Deno.env.get("LOWBIT_OUT");
  return env ? resolve(env) : join(repoRoot(), "out");
}

/**
 * The path of a file inside an installed npm package (`node_modules/<pkg>/<path>`).
 *
 * @param pkg Package name, e.g. `"@vladmandic/human"`.
 * @param path Path inside the package, e.g. `"models/movenet-lightning.json"`.
 * @returns The absolute path.
 * @throws {Error} If the file is missing (the message says how to install it).
 */
export function npmFile(pkg: string, path: string): string {
  const file = join(repoRoot(), "node_modules", pkg, path);
  try {
    Deno.statSync(file);
  } catch {
    throw new Error(
      `${file} is missing: run bash scripts/setup.sh (installs ${pkg} from deno.lock)`,
    );
  }
  return file;
}
