// Every .ts file a package publishes (not matched by its deno.json `publish.exclude`) must be
// reachable from its `exports` (imports, type imports, `new URL("./x.ts", import.meta.url)`
// workers). A published file nothing public reaches is a test helper or dead code (issue:
// runtime's test-only `_onnx_proto.ts` was published); exclude it or move it.
import assert from "node:assert/strict";
import { resolveRelative } from "./import_cycles.ts";
import { packageNames, specifiers, splitComments } from "./package_graph.ts";

const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

/** deno.json publish.exclude pattern → RegExp on paths relative to the package directory. */
export function excludeRegExp(pattern: string): RegExp {
  let p = pattern.replace(/^\.\//, "");
  const dir = p.endsWith("/");
  if (dir) p = p.slice(0, -1);
  const body = p.split("/").map((seg) =>
    seg === "**"
      ? "(?:[^/]+/)*"
      : seg.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*") + "/"
  ).join("").replace(/\/$/, "");
  return new RegExp(`^${body}${dir ? "/" : "(?:/|$)"}`);
}

async function* tsFiles(dir: string, rel = ""): AsyncGenerator<string> {
  for await (const e of Deno.readDir(rel === "" ? dir : `${dir}/${rel}`)) {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory && e.name !== "node_modules" && !e.name.startsWith(".")) {
      yield* tsFiles(dir, path);
    } else if (e.isFile && e.name.endsWith(".ts")) yield path;
  }
}

const WORKER_URL = /new URL\(\s*["'](\.\.?\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g;

Deno.test("excludeRegExp: the glob forms the packages use", () => {
  const t = (p: string, path: string) => excludeRegExp(p).test(path);
  assert.ok(t("**/*_test.ts", "a_test.ts") && t("**/*_test.ts", "ops/a_test.ts"));
  assert.ok(!t("**/*_test.ts", "a_test.tsx") && !t("**/*_test.ts", "test.ts"));
  assert.ok(
    t("**/_*test_util.ts", "_qdq_test_util.ts") && !t("**/_*test_util.ts", "qdq_test_util.ts"),
  );
  assert.ok(t("scripts/", "scripts/train.ts") && !t("scripts/", "myscripts/x.ts"));
  assert.ok(t("_gradcheck.ts", "_gradcheck.ts") && !t("_gradcheck.ts", "ops/_gradcheck.ts"));
  assert.ok(!t("_gradcheck.ts", "_gradcheck.tsx"));
});

Deno.test("publish: every published .ts file is reachable from the package's exports", async () => {
  const stray: string[] = [];
  for (const name of await packageNames(root)) {
    const dir = `${root}/packages/${name}`;
    const config = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`)) as {
      exports?: string | Record<string, string>;
      publish?: { exclude?: string[] };
    };
    const excluded = (config.publish?.exclude ?? []).map(excludeRegExp);
    const published = new Set<string>();
    for await (const f of tsFiles(dir)) if (!excluded.some((re) => re.test(f))) published.add(f);
    const exports = typeof config.exports === "string"
      ? [config.exports]
      : Object.values(config.exports ?? {});
    const todo = exports.map((p) => p.replace(/^\.\//, ""));
    const seen = new Set<string>();
    while (todo.length > 0) {
      const f = todo.pop()!;
      if (seen.has(f) || !published.has(f)) continue;
      seen.add(f);
      const text = await Deno.readTextFile(`${dir}/${f}`);
      const { code } = splitComments(text);
      const specs = [...specifiers(code), ...[...code.matchAll(WORKER_URL)].map((m) => m[1])];
      for (const s of specs) {
        const to = resolveRelative(f, s);
        if (to !== undefined) todo.push(to);
      }
    }
    for (const f of [...published].sort()) if (!seen.has(f)) stray.push(`packages/${name}/${f}`);
  }
  assert.deepEqual(stray, []);
});
