/**
 * Runs `deno doc --lint` on every module that a workspace package exports (each package's
 * deno.json `exports` map), so every public symbol must have documentation.
 *
 * Usage: `deno run -A scripts/doc_lint.ts [package...]` (package directory names, e.g.
 * `rounding`; none means every package).
 *
 * @module
 */

const root = new URL("../", import.meta.url);
const only = new Set(Deno.args);
const files: string[] = [];
const seen = new Set<string>();
for await (const entry of Deno.readDir(new URL("packages/", root))) {
  if (!entry.isDirectory || (only.size > 0 && !only.has(entry.name))) continue;
  seen.add(entry.name);
  const dir = new URL(`packages/${entry.name}/`, root);
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", dir))) as {
    exports?: string | Record<string, string>;
  };
  const exports = typeof config.exports === "string"
    ? [config.exports]
    : Object.values(config.exports ?? {});
  if (exports.length === 0) throw new Error(`packages/${entry.name}/deno.json has no exports`);
  for (const path of exports) files.push(new URL(path, dir).pathname);
}
for (const name of only) {
  if (!seen.has(name)) throw new Error(`doc lint: no package packages/${name}`);
}
files.sort();
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", ...files],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (code !== 0) Deno.exit(code);
console.log(`doc lint: ${files.length} exported modules clean`);
