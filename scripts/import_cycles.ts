/**
 * Import cycles between the modules of one package: the relative imports (value and type-only)
 * of every published `.ts` file of `packages/<name>/` (tests, benches, test utilities and
 * scripts left out), grouped into strongly connected components. A component of more than one
 * file, or a file importing itself, is a cycle; shared types belong in a `_types.ts` that both
 * sides import.
 *
 * Usage: `deno run -A scripts/import_cycles.ts [package...]` prints every cycle (exit 1 when
 * there is one).
 *
 * @module
 */

import { isDevFile, packageNames, specifiers, splitComments } from "./package_graph.ts";

async function* tsFiles(dir: string, rel = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(rel === "" ? dir : `${dir}/${rel}`)) {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory && e.name !== "node_modules" && !e.name.startsWith(".")) {
      yield* tsFiles(dir, path);
    } else if (e.isFile && e.name.endsWith(".ts")) yield path;
  }
}

/** Resolves a relative specifier from `file` (both relative to the package directory). */
export function resolveRelative(file: string, spec: string): string | undefined {
  if (!spec.startsWith("./") && !spec.startsWith("../")) return undefined;
  const parts = file.split("/").slice(0, -1);
  for (const seg of spec.split("/")) {
    if (seg === "..") {
      if (parts.length === 0) return undefined; // leaves the package
      parts.pop();
    } else if (seg !== ".") parts.push(seg);
  }
  return parts.join("/");
}

/** The module graph of one package: published file → files of the same package it imports. */
export async function moduleGraph(packageDir: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for await (const file of tsFiles(packageDir)) {
    if (isDevFile(file)) continue;
    const { code } = splitComments(await Deno.readTextFile(`${packageDir}/${file}`));
    const deps = new Set<string>();
    for (const spec of specifiers(code)) {
      const to = resolveRelative(file, spec);
      if (to !== undefined && !isDevFile(to)) deps.add(to);
    }
    graph.set(file, [...deps].sort());
  }
  return graph;
}

/**
 * The cycles of a graph: its strongly connected components of two or more nodes, and nodes with
 * a self-edge (Tarjan's algorithm), each sorted, sorted by first node.
 */
export function cycles(graph: Map<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/** Every package's import cycles, keyed by package directory name (packages without any omitted). */
export async function packageCycles(
  root: string,
  names?: readonly string[],
): Promise<Map<string, string[][]>> {
  const result = new Map<string, string[][]>();
  for (const name of names ?? await packageNames(root)) {
    const found = cycles(await moduleGraph(`${root}/packages/${name}`));
    if (found.length > 0) result.set(name, found);
  }
  return result;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
  const found = await packageCycles(root, Deno.args.length > 0 ? Deno.args : undefined);
  for (const [name, list] of found) {
    for (const c of list) console.error(`import cycle in packages/${name}: ${c.join(" ↔ ")}`);
  }
  if (found.size > 0) Deno.exit(1);
  console.log("import cycles: none");
}
