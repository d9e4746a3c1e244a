/**
 * The dependency graph between the workspace packages, derived from their imports, checked
 * against what Nx is told (each `packages/<name>/project.json`'s `implicitDependencies`) and
 * against the floors of docs/architecture.md (lower rows never import higher rows).
 *
 * An edge `a → b` exists when any `.ts` file of `packages/a/` imports `@lowbit/b` (or a
 * sub-path of it) or reaches into `packages/b/` by a relative path, or when a code example in a
 * JSDoc comment or a Markdown file of `packages/a/` does (`deno test --doc` runs those). Edges
 * from files that are not published (tests, benches, test utilities, scripts, examples) are
 * "dev" edges; the rest are "source" edges. Nx needs both, so that `nx affected -t test` reruns
 * a package's tests when a package they import changes.
 *
 * Usage:
 * - `deno run -A scripts/package_graph.ts` prints the derived graph and every mismatch (exit 1
 *   when there is one);
 * - `deno run -A scripts/package_graph.ts --write` rewrites each project.json's
 *   `implicitDependencies` to the derived graph (known exceptions left out).
 *
 * @module
 */

/** Where an edge comes from: a published module ("source") or a test, bench, script or example. */
export type EdgeKind = "source" | "dev";

/** One package's imports of other workspace packages, with the files that make each edge. */
export interface PackageImports {
  /** Package directory name (`rounding` for `@lowbit/rounding`). */
  name: string;
  /** Imported package → files (relative to the repository root) of this package that import it. */
  source: Map<string, string[]>;
  /** Same for files that are not published (tests, benches, test utilities, scripts, Markdown). */
  dev: Map<string, string[]>;
}

/**
 * An edge left out of the Nx graph on purpose because it points up the floors (it would make a
 * cycle). Each one is a test or bench file in the wrong package; moving the file to the higher
 * package removes the exception (the checks fail when a listed exception no longer occurs).
 */
export interface KnownException {
  /** Importing package. */
  from: string;
  /** Imported package (a higher floor). */
  to: string;
  /** Why it exists and how it goes away. */
  reason: string;
}

/** Upward dev imports tolerated for now (see {@link KnownException}). */
export const KNOWN_EXCEPTIONS: readonly KnownException[] = [
  {
    from: "runtime",
    to: "onnx",
    reason: "runtime's ONNX test-vector and onnxruntime tests (onnx_testdata_test.ts, " +
      "_onnx_test_util.ts) and qdq_run_bench.ts read/write .onnx files with @lowbit/onnx; " +
      "they belong in packages/onnx, which may import runtime",
  },
  {
    from: "runtime",
    to: "ptq",
    reason: "runtime's qdq_run_bench.ts quantizes a model with @lowbit/ptq's quantizeStatic; " +
      "it belongs beside ptq or onnx",
  },
];

/**
 * The `inputs` of the `test` target of a package with known exceptions: the usual ones (see
 * nx.json's targetDefaults) plus the files of the packages its tests import upwards and their
 * dependencies, so that a cached test result is not replayed after those change (`nx affected`
 * still does not select the package for such a change; the graph has no such edge).
 */
export function testInputs(name: string): unknown[] | undefined {
  const up = KNOWN_EXCEPTIONS.filter((e) => e.from === name).map((e) => e.to).sort();
  if (up.length === 0) return undefined;
  return [
    "default",
    "^default",
    "testData",
    { input: "default", projects: up },
    { input: "default", projects: up, dependencies: true },
  ];
}

/** One row of docs/architecture.md's package table. */
export interface FloorRow {
  /** Package directory name. */
  name: string;
  /** 0 for the floor (`rounding`), increasing upwards. */
  level: number;
  /** Packages it may import (rounding always; "X and below" and "everything above" expanded). */
  mayImport: Set<string>;
}

const NOT_PUBLISHED = [
  /_test\.ts$/,
  /_bench\.ts$/,
  /(^|\/)_[^/]*test_util\.ts$/,
  /(^|\/)_test_models\.ts$/,
  /(^|\/)(scripts|testdata|examples)\//,
  /\.md$/,
];

/** Whether a path inside a package (relative to the package directory) is a non-published file. */
export function isDevFile(pathInPackage: string): boolean {
  return NOT_PUBLISHED.some((re) => re.test(pathInPackage));
}

async function* walk(dir: string, rel = ""): AsyncGenerator<string> {
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(`${dir}/${rel}`)) entries.push(e);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      yield* walk(dir, path);
    } else if (e.isFile && (e.name.endsWith(".ts") || e.name.endsWith(".md"))) {
      yield path;
    }
  }
}

const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|^\s*export\s+\*\s+from\s*)["']([^"']+)["']/gm;

/** Module specifiers in a piece of code: `from "x"`, `import "x"`, `import("x")`. */
export function specifiers(code: string): string[] {
  return [...code.matchAll(SPECIFIER)].map((m) => m[1]);
}

/**
 * Splits a TypeScript file into code (comments blanked) and the text of its block comments
 * (where JSDoc examples live). Strings and template literals are kept intact in the code.
 */
export function splitComments(text: string): { code: string; comments: string } {
  let code = "";
  let comments = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      const body = text.slice(i, stop);
      comments += body + "\n";
      code += body.replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      code += " ".repeat(stop - i);
      i = stop;
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      code += text.slice(i, j + 1);
      i = j + 1;
    } else {
      code += c;
      i++;
    }
  }
  return { code, comments };
}

/** Strips JSDoc line prefixes (` * `) so example code inside a block comment can be scanned. */
function commentCode(comments: string): string {
  return comments.split("\n").map((l) => l.replace(/^\s*\/?\*+\/?\s?/, "")).join("\n");
}

/**
 * The workspace package a specifier points at, seen from `file` (relative to the repository
 * root), or undefined when it is another kind of import or stays inside the same package.
 */
export function targetPackage(file: string, spec: string, own: string): string | undefined {
  const named = /^@lowbit\/([a-z0-9-]+)(?:\/|$)/.exec(spec);
  if (named) return named[1] === own ? undefined : named[1];
  if (!spec.startsWith(".")) return undefined;
  const parts = file.split("/").slice(0, -1);
  for (const seg of spec.split("/")) {
    if (seg === "..") parts.pop();
    else if (seg !== ".") parts.push(seg);
  }
  if (parts[0] !== "packages" || parts.length < 2) return undefined;
  return parts[1] === own ? undefined : parts[1];
}

function add(map: Map<string, string[]>, key: string, file: string): void {
  const files = map.get(key) ?? [];
  if (!files.includes(file)) files.push(file);
  map.set(key, files);
}

/** Every package directory under `packages/` (one with a deno.json), sorted. */
export async function packageNames(root: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(`${root}/packages`)) {
    if (!e.isDirectory) continue;
    try {
      await Deno.stat(`${root}/packages/${e.name}/deno.json`);
      names.push(e.name);
    } catch {
      // not a package
    }
  }
  return names.sort();
}

/** Reads every package's imports of other workspace packages (see the module doc). */
export async function packageImports(root: string): Promise<PackageImports[]> {
  const result: PackageImports[] = [];
  for (const name of await packageNames(root)) {
    const imports: PackageImports = { name, source: new Map(), dev: new Map() };
    const dir = `${root}/packages/${name}`;
    for await (const path of walk(dir)) {
      const file = `packages/${name}/${path}`;
      const text = await Deno.readTextFile(`${dir}/${path}`);
      const dev = isDevFile(path);
      if (path.endsWith(".md")) {
        for (const spec of specifiers(text)) {
          const to = targetPackage(file, spec, name);
          if (to !== undefined) add(imports.dev, to, file);
        }
        continue;
      }
      const { code, comments } = splitComments(text);
      for (const spec of specifiers(code)) {
        const to = targetPackage(file, spec, name);
        if (to !== undefined) add(dev ? imports.dev : imports.source, to, file);
      }
      // JSDoc examples run under `deno test --doc`: a test-time dependency.
      for (const spec of specifiers(commentCode(comments))) {
        const to = targetPackage(file, spec, name);
        if (to !== undefined) add(imports.dev, to, file);
      }
    }
    result.push(imports);
  }
  return result;
}

/** The dependencies each package's project.json declares to Nx (`implicitDependencies`). */
export async function declaredGraph(root: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const name of await packageNames(root)) {
    const project = JSON.parse(
      await Deno.readTextFile(`${root}/packages/${name}/project.json`),
    ) as { name?: string; implicitDependencies?: string[] };
    graph.set(name, [...(project.implicitDependencies ?? [])].sort());
  }
  return graph;
}

/** The edges Nx should know: source and dev edges, minus {@link KNOWN_EXCEPTIONS}. */
export function derivedGraph(imports: PackageImports[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const p of imports) {
    const deps = new Set([...p.source.keys(), ...p.dev.keys()]);
    for (const e of KNOWN_EXCEPTIONS) if (e.from === p.name) deps.delete(e.to);
    graph.set(p.name, [...deps].sort());
  }
  return graph;
}

/**
 * Parses docs/architecture.md's package table: row order gives the floors (first row lowest),
 * the "may import" column the allowed imports. "—" is none, "X and below" adds every row under
 * X, "everything above" every earlier row, parentheses (planned imports) are ignored, and
 * `rounding` is allowed everywhere ("every package may import it").
 */
export function parseFloors(markdown: string): FloorRow[] {
  const rows: { name: string; may: string }[] = [];
  for (const line of markdown.split("\n")) {
    const m = /^\|\s*`@lowbit\/([a-z0-9-]+)`\s*\|[^|]*\|([^|]*)\|\s*$/.exec(line);
    if (m) rows.push({ name: m[1], may: m[2].trim() });
  }
  const level = new Map(rows.map((r, i) => [r.name, i]));
  return rows.map((r, i) => {
    const may = new Set<string>(r.name === "rounding" ? [] : ["rounding"]);
    const text = r.may.replace(/\([^)]*\)/g, "").trim();
    if (/everything above/.test(text)) {
      for (const below of rows.slice(0, i)) may.add(below.name);
    } else if (text !== "—" && text !== "") {
      for (let item of text.split(",")) {
        item = item.trim();
        const andBelow = /^(\S+) and below$/.exec(item);
        const name = andBelow ? andBelow[1] : item;
        const at = level.get(name);
        if (at === undefined) throw new Error(`architecture.md: unknown package "${name}"`);
        may.add(name);
        if (andBelow) { for (const below of rows.slice(0, at)) may.add(below.name); }
      }
    }
    return { name: r.name, level: i, mayImport: may };
  });
}

/** A cycle in a graph (as a path that returns to its start), or undefined when acyclic. */
export function findCycle(graph: Map<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === "done") return undefined;
    if (state.get(n) === "open") return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, "open");
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    stack.pop();
    state.set(n, "done");
    return undefined;
  };
  for (const n of [...graph.keys()].sort()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/**
 * Every disagreement between the imports, the Nx declaration and the floors, as sentences
 * (empty when all agree).
 */
export function graphProblems(
  imports: PackageImports[],
  declared: Map<string, string[]>,
  floors: FloorRow[],
): string[] {
  const problems: string[] = [];
  const derived = derivedGraph(imports);
  const row = new Map(floors.map((f) => [f.name, f]));
  for (const p of imports) {
    if (!row.has(p.name)) problems.push(`${p.name}: no row in docs/architecture.md's table`);
  }
  for (const [name, deps] of derived) {
    const have = declared.get(name) ?? [];
    const missing = deps.filter((d) => !have.includes(d));
    const extra = have.filter((d) => !deps.includes(d));
    if (missing.length > 0) {
      problems.push(`${name}: imports ${missing.join(", ")} but project.json does not declare it`);
    }
    if (extra.length > 0) {
      problems.push(`${name}: project.json declares ${extra.join(", ")} but nothing imports it`);
    }
  }
  for (const p of imports) {
    const from = row.get(p.name);
    if (!from) continue;
    for (const [to, files] of p.source) {
      if (!from.mayImport.has(to)) {
        problems.push(
          `${p.name} → ${to} (${files.join(", ")}): not in ${p.name}'s "may import" in ` +
            `docs/architecture.md`,
        );
      }
    }
    for (const [to, files] of [...p.source, ...p.dev]) {
      const target = row.get(to);
      if (!target || target.level < from.level) continue;
      if (KNOWN_EXCEPTIONS.some((e) => e.from === p.name && e.to === to)) continue;
      problems.push(`${p.name} → ${to} (${files.join(", ")}): points up the floors`);
    }
  }
  for (const e of KNOWN_EXCEPTIONS) {
    const p = imports.find((i) => i.name === e.from);
    if (!p || !p.dev.has(e.to) || p.source.has(e.to)) {
      problems.push(
        `known exception ${e.from} → ${e.to} is gone or became a source import: update ` +
          `KNOWN_EXCEPTIONS in scripts/package_graph.ts`,
      );
    }
  }
  const cycle = findCycle(declared);
  if (cycle) problems.push(`declared graph has a cycle: ${cycle.join(" → ")}`);
  return problems;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
  const imports = await packageImports(root);
  const derived = derivedGraph(imports);
  if (Deno.args.includes("--write")) {
    for (const [name, deps] of derived) {
      const path = `${root}/packages/${name}/project.json`;
      const project = JSON.parse(await Deno.readTextFile(path)) as Record<string, unknown>;
      project.implicitDependencies = deps;
      const inputs = testInputs(name);
      const targets = project.targets as Record<string, Record<string, unknown>>;
      if (inputs) targets.test.inputs = inputs;
      else delete targets.test.inputs;
      await Deno.writeTextFile(path, JSON.stringify(project, null, 2) + "\n");
    }
  }
  for (const [name, deps] of derived) console.log(`${name} → ${deps.join(", ") || "—"}`);
  const floors = parseFloors(await Deno.readTextFile(`${root}/docs/architecture.md`));
  const problems = graphProblems(imports, await declaredGraph(root), floors);
  for (const p of problems) console.error(`package graph: ${p}`);
  if (problems.length > 0) Deno.exit(1);
  console.log(`package graph: ${derived.size} packages agree with project.json and the floors`);
}
