import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { join } from "node:path";
import { judge, Results, resultsTableHtml, resultsText } from "./results.ts";

const base = { id: "x", quantity: "q", source: "s" };

Deno.test("judge: exact, absolute and relative tolerances, ranges", () => {
  deepEqual(judge({ ...base, reproduced: 256, reference: 256 }), { status: "pass", error: 0 });
  deepEqual(judge({ ...base, reproduced: 257, reference: 256 }), { status: "deviation", error: 1 });
  equal(judge({ ...base, reproduced: 257, reference: 256, abs: 1 }).status, "pass");
  equal(judge({ ...base, reproduced: 1.07, reference: 1.0667, rel: 0.01 }).status, "pass");
  equal(judge({ ...base, reproduced: 1.2, reference: 1.0667, rel: 0.01 }).status, "deviation");
  deepEqual(judge({ ...base, reproduced: 12, reference: [10, 25] }), { status: "pass", error: 0 });
  deepEqual(judge({ ...base, reproduced: 8, reference: [10, 25] }), {
    status: "deviation",
    error: 2,
  });
  equal(judge({ ...base, reproduced: 8, reference: [10, 25], abs: 2 }).status, "pass");
  throws(() => judge({ ...base, reproduced: NaN, reference: 1 }), /must be finite/);
  throws(() => judge({ ...base, reproduced: 1, reference: [2, 1] }), /lo <= hi/);
  throws(() => judge({ ...base, reproduced: 1, reference: 1, abs: -1 }), /abs and rel/);
});

Deno.test("Results saves JSON under LOWBIT_OUT and rejects duplicate ids", async () => {
  const dir = await Deno.makeTempDir();
  const old = Deno.env.get("LOWBIT_OUT");
  Deno.env.set("LOWBIT_OUT", dir);
  try {
    const r = new Results("99-test");
    // Nothing printable: a cell ending in record(...) shows no Out[] value in Jupyter.
    equal(r.record({ ...base, reproduced: 1, reference: 1 }), undefined);
    r.record({
      ...base,
      id: "y",
      reproduced: 3,
      reference: [1, 2],
      unit: "dB",
      knownDeviation: "why",
    });
    throws(() => r.record({ ...base, reproduced: 1, reference: 1 }), /recorded twice/);
    const path = await r.save();
    equal(path, join(dir, "results", "99-test.json"));
    const file = JSON.parse(await Deno.readTextFile(path));
    deepEqual(file.results.map((x: { status: string }) => x.status), ["pass", "deviation"]);
    deepEqual(file.results[1].reference, [1, 2]);
    const html = resultsTableHtml([file], { link: (n) => `notebooks/${n}.html` });
    ok(html.includes('<a href="notebooks/99-test.html">99-test</a>'));
    ok(html.includes("3 dB</td><td>1–2 dB"));
    ok(html.includes("deviation (explained)"));
    ok(resultsText([file]).includes("| 99-test | q | 1 | 1 | exact | pass |"));
  } finally {
    if (old === undefined) Deno.env.delete("LOWBIT_OUT");
    else Deno.env.set("LOWBIT_OUT", old);
    await Deno.remove(dir, { recursive: true });
  }
  throws(() => new Results("../evil"), /plain file name/);
});
