import { equal, throws } from "node:assert/strict";
import { join } from "node:path";
import { npmFile, outDir, repoRoot } from "./repo.ts";

const root = join(import.meta.dirname!, "..", "..");

Deno.test("repoRoot finds the workspace root from the notebooks folder and from the root", () => {
  equal(repoRoot(join(root, "notebooks")), root);
  equal(repoRoot(join(root, "notebooks", "_lib")), root);
  equal(repoRoot(root), root);
});

Deno.test("repoRoot names the start folder when there is no workspace above it", () => {
  const tmp = Deno.makeTempDirSync();
  try {
    throws(() => repoRoot(tmp), (e: Error) => e.message.includes(tmp));
  } finally {
    Deno.removeSync(tmp);
  }
});

Deno.test("outDir honours LOWBIT_OUT", () => {
  const old = Deno.env.get("LOWBIT_OUT");
  try {
    Deno.env.set("LOWBIT_OUT", "/tmp/lowbit-out-test");
    equal(outDir(), "/tmp/lowbit-out-test");
  } finally {
    if (old === undefined) Deno.env.delete("LOWBIT_OUT");
    else Deno.env.set("LOWBIT_OUT", old);
  }
});

Deno.test("npmFile locates package files and explains a missing one", () => {
  equal(
    npmFile("plotly.js-dist-min", "plotly.min.js"),
    join(root, "node_modules", "plotly.js-dist-min", "plotly.min.js"),
  );
  throws(() => npmFile("plotly.js-dist-min", "nope.js"), /scripts\/setup\.sh/);
});
