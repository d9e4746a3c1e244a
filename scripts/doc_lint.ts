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
  if (!entry.isDirectory) continue;
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
if (only.size === 0) {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...files],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) Deno.exit(code);
  console.log(`doc lint: ${files.length} exported modules clean`);
} else {
  // Every package's exports are linted together (a type another package exports is public,
  // exactly as in the full run), and only the errors located in the named packages count.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...files],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const dirs = [...only].map((name) => new URL(`packages/${name}/`, root).pathname);
  const blocks = text.split(/\n(?=error\[)/).filter((b) => b.startsWith("error["));
  const mine = blocks.map((b) =>
    b.replace(/\nerror: Found \d+ documentation lint errors?\.[\s\S]*$/, "")
  )
    .filter((b) => dirs.some((d) => b.includes(`--> ${d}`)));
  for (const b of mine) console.error(b.trimEnd() + "\n");
  if (mine.length > 0) {
    console.error(`doc lint: ${mine.length} error(s) in packages/{${[...only].join(",")}}`);
    Deno.exit(1);
  }
  if (out.code !== 0 && blocks.length === 0) {
    console.error(text);
    Deno.exit(out.code);
  }
  const count = files.filter((f) => dirs.some((d) => f.startsWith(d))).length;
  console.log(`doc lint: ${count} exported modules of ${[...only].join(", ")} clean`);
}
