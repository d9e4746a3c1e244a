import { equal, ok } from "node:assert/strict";
import { generate, listTargets } from "./build_wasm.ts";

Deno.test("every embedded WebAssembly module is up to date with its WAT source", async () => {
  const targets = await listTargets();
  ok(targets.length > 0, "no wasm/*.wat sources found");
  for (const t of targets) {
    equal(
      await Deno.readTextFile(t.out),
      await generate(t),
      `${t.out} is stale: deno task build:wasm`,
    );
  }
});

Deno.test("generated modules decode to valid WebAssembly", async () => {
  for (const t of await listTargets()) {
    const text = await generate(t);
    const b64 = /"([A-Za-z0-9+/=]+)"/.exec(text)?.[1] ?? "";
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    ok(WebAssembly.validate(bytes), t.wat);
  }
});
