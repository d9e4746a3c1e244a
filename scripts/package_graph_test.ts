import assert from "node:assert/strict";
import {
  declaredGraph,
  derivedGraph,
  findCycle,
  graphProblems,
  isDevFile,
  KNOWN_EXCEPTIONS,
  type PackageImports,
  packageImports,
  packageNames,
  parseFloors,
  specifiers,
  splitComments,
  targetPackage,
  testInputs,
} from "./package_graph.ts";

const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const NX = `${root}/tools/node_modules/.bin/nx`;

Deno.test("workspace: project.json graph = imports, acyclic, within docs/architecture.md's floors", async () => {
  const imports = await packageImports(root);
  const floors = parseFloors(await Deno.readTextFile(`${root}/docs/architecture.md`));
  const problems = graphProblems(imports, await declaredGraph(root), floors);
  assert.deepEqual(problems, []);
  // Every package has a row, and every declared edge goes strictly down the rows.
  const level = new Map(floors.map((f) => [f.name, f.level]));
  for (const [from, deps] of await declaredGraph(root)) {
    for (const to of deps) assert.ok(level.get(to)! < level.get(from)!, `${from} → ${to}`);
  }
});

Deno.test("workspace: Nx's project graph is exactly the declared graph", async () => {
  const out = await new Deno.Command(NX, {
    args: ["graph", "--print"],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NX_DAEMON: "false", NX_NO_CLOUD: "true", NX_TUI: "false" },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const text = new TextDecoder().decode(out.stdout);
  const graph = JSON.parse(text.slice(text.indexOf("{"))) as {
    graph: { nodes: Record<string, unknown>; dependencies: Record<string, { target: string }[]> };
  };
  const names = await packageNames(root);
  assert.deepEqual(Object.keys(graph.graph.nodes).sort(), names);
  const nx = new Map(
    Object.entries(graph.graph.dependencies).map(([k, v]) => [k, v.map((d) => d.target).sort()]),
  );
  assert.deepEqual(nx, await declaredGraph(root));
  assert.equal(findCycle(nx), undefined);
});

Deno.test("workspace: every package's project.json runs the pinned deno on that package only", async () => {
  const targets = ["test", "check", "lint", "doc-lint", "bench", "publish-dry-run"];
  for (const name of await packageNames(root)) {
    const project = JSON.parse(
      await Deno.readTextFile(`${root}/packages/${name}/project.json`),
    ) as { name: string; targets: Record<string, { command: string; options?: { cwd?: string } }> };
    assert.equal(project.name, name);
    // Packages whose tests import a higher floor hash those packages' files into the test cache.
    assert.deepEqual(
      (project.targets.test as { inputs?: unknown[] }).inputs,
      testInputs(name),
      `${name}: test inputs (deno run -A scripts/package_graph.ts --write)`,
    );
    const config = JSON.parse(await Deno.readTextFile(`${root}/packages/${name}/deno.json`)) as {
      publish?: { exclude?: string[] };
    };
    assert.ok(config.publish?.exclude?.includes("project.json"), `${name}: publish project.json`);
    for (const t of targets) {
      const target = project.targets[t];
      assert.ok(target, `${name}: target ${t}`);
      assert.match(target.command, /^(\.\.\/\.\.\/)?tools\/node_modules\/\.bin\/deno /);
      const scoped = target.command.endsWith(` packages/${name}`) ||
        target.command.endsWith(`doc_lint.ts ${name}`) ||
        target.options?.cwd === `packages/${name}`;
      assert.ok(scoped, `${name}:${t} is not scoped to packages/${name}: ${target.command}`);
      // No other package is named.
      for (const other of await packageNames(root)) {
        if (other !== name) assert.ok(!target.command.includes(`packages/${other}`));
      }
    }
  }
  const nx = JSON.parse(await Deno.readTextFile(`${root}/nx.json`)) as {
    neverConnectToCloud: boolean;
    analytics: boolean;
    targetDefaults: Record<string, { cache: boolean }>;
  };
  assert.equal(nx.neverConnectToCloud, true);
  assert.equal(nx.analytics, false);
  for (const t of ["test", "check", "lint", "doc-lint", "publish-dry-run"]) {
    assert.equal(nx.targetDefaults[t].cache, true, t);
  }
  assert.equal(nx.targetDefaults.bench.cache, false);
});

Deno.test("specifiers: code imports, re-exports, dynamic imports; comments apart", () => {
  const text = [
    `import { a } from "@lowbit/rounding";`,
    `import type { B } from '../nn/_gradcheck.ts';`,
    `export * from "./mod.ts";`,
    `export { c } from "@lowbit/kernels/requantize";`,
    `import "@lowbit/tensor";`,
    `const m = await import("@lowbit/graph/executor");`,
    `// import { x } from "@lowbit/cli";`,
    `const url = "https://example.org/a"; // from "@lowbit/onnx"`,
    `/**`,
    ` * @example`,
    ` * \`\`\`ts`,
    ` * import { q } from "@lowbit/quantize";`,
    ` * \`\`\``,
    ` */`,
    `const s = "/* not a comment */ from";`,
  ].join("\n");
  const { code, comments } = splitComments(text);
  assert.deepEqual(specifiers(code), [
    "@lowbit/rounding",
    "../nn/_gradcheck.ts",
    "./mod.ts",
    "@lowbit/kernels/requantize",
    "@lowbit/tensor",
    "@lowbit/graph/executor",
  ]);
  assert.ok(comments.includes(`import { q } from "@lowbit/quantize";`));
  assert.ok(!comments.includes("@lowbit/cli"));
  assert.ok(code.includes(`"/* not a comment */ from"`));
});

Deno.test("targetPackage: names, sub-paths and relative paths that leave the package", () => {
  const f = "packages/distill/kd_test.ts";
  assert.equal(targetPackage(f, "@lowbit/nn", "distill"), "nn");
  assert.equal(targetPackage(f, "@lowbit/nn/train", "distill"), "nn");
  assert.equal(targetPackage(f, "@lowbit/distill/kd", "distill"), undefined);
  assert.equal(targetPackage(f, "../nn/_gradcheck.ts", "distill"), "nn");
  assert.equal(targetPackage(f, "./kd.ts", "distill"), undefined);
  assert.equal(targetPackage(f, "../../scripts/build_wasm.ts", "distill"), undefined);
  assert.equal(targetPackage("packages/graph/ops/x.ts", "../executor.ts", "graph"), undefined);
  assert.equal(targetPackage(f, "npm:fast-check", "distill"), undefined);
  assert.equal(targetPackage(f, "@lowbit/nn-extra", "distill"), "nn-extra");
});

Deno.test("isDevFile: tests, benches, test utilities, scripts and Markdown are not published", () => {
  for (
    const p of ["a_test.ts", "ops/b_test.ts", "c_bench.ts", "_test_util.ts", "_qdq_test_util.ts"]
  ) {
    assert.equal(isDevFile(p), true, p);
  }
  for (const p of ["scripts/train.ts", "README.md", "_test_models.ts"]) {
    assert.equal(isDevFile(p), true, p);
  }
  for (const p of ["mod.ts", "_nearest.ts", "ops/nn_conv.ts", "test.ts", "contest_util.ts"]) {
    assert.equal(isDevFile(p), false, p);
  }
});

const TABLE = `
| package            | holds | may import |
| ------------------ | ----- | ---------- |
| \`@lowbit/rounding\` | r     | —          |
| \`@lowbit/tensor\`   | t     | rounding   |
| \`@lowbit/kernels\`  | k     | tensor     |
| \`@lowbit/nn\`       | n     | kernels (tensor later) |
| \`@lowbit/ptq\`      | p     | nn and below |
| \`@lowbit/cli\`      | c     | everything above |
`;

Deno.test("parseFloors: rows give levels; —, 'and below', 'everything above', (later), rounding", () => {
  const floors = parseFloors(TABLE);
  const by = new Map(floors.map((f) => [f.name, [...f.mayImport].sort()]));
  assert.deepEqual(floors.map((f) => [f.name, f.level]), [
    ["rounding", 0],
    ["tensor", 1],
    ["kernels", 2],
    ["nn", 3],
    ["ptq", 4],
    ["cli", 5],
  ]);
  assert.deepEqual(by.get("rounding"), []);
  assert.deepEqual(by.get("kernels"), ["rounding", "tensor"]);
  assert.deepEqual(by.get("nn"), ["kernels", "rounding"]);
  assert.deepEqual(by.get("ptq"), ["kernels", "nn", "rounding", "tensor"]);
  assert.deepEqual(by.get("cli"), ["kernels", "nn", "ptq", "rounding", "tensor"]);
  assert.throws(() => parseFloors("| `@lowbit/a` | x | zzz |"), /unknown package "zzz"/);
});

Deno.test("findCycle: a DAG has none; a 3-cycle and a self-loop are found", () => {
  assert.equal(findCycle(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), undefined);
  const c = findCycle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]));
  assert.deepEqual(c, ["a", "b", "c", "a"]);
  assert.deepEqual(findCycle(new Map([["a", ["a"]]])), ["a", "a"]);
});

function pkg(name: string, source: string[], dev: string[] = []): PackageImports {
  return {
    name,
    source: new Map(source.map((d) => [d, [`packages/${name}/x.ts`]])),
    dev: new Map(dev.map((d) => [d, [`packages/${name}/x_test.ts`]])),
  };
}

Deno.test("graphProblems: undeclared, stale, upward, not-allowed and cyclic edges are reported", () => {
  const floors = parseFloors(TABLE);
  // The known exceptions must exist in the imports, else they are reported as stale.
  const exceptions = KNOWN_EXCEPTIONS.map((e) => pkg(e.from, [], [e.to]));
  const withExceptions = (ps: PackageImports[]) => {
    const all = [...ps];
    for (const e of exceptions) {
      const same = all.find((p) => p.name === e.name);
      if (same) { for (const [k, v] of e.dev) same.dev.set(k, v); }
      else all.push(e);
    }
    return all;
  };
  const fullFloors = parseFloors(
    TABLE + KNOWN_EXCEPTIONS.flatMap((e) => [e.from, e.to])
      .filter((n, i, a) => a.indexOf(n) === i && !floors.some((f) => f.name === n))
      .map((n) => `| \`@lowbit/${n}\` | x | everything above |`).join("\n"),
  );
  const good = withExceptions([
    pkg("rounding", []),
    pkg("tensor", ["rounding"]),
    pkg("kernels", ["tensor"], ["rounding"]),
    pkg("nn", ["kernels"], ["tensor"]),
  ]);
  const declared = derivedGraph(good);
  assert.deepEqual(graphProblems(good, declared, fullFloors), []);

  const missing = new Map(declared);
  missing.set("nn", ["kernels"]);
  assert.deepEqual(graphProblems(good, missing, fullFloors), [
    "nn: imports tensor but project.json does not declare it",
  ]);
  const extra = new Map(declared);
  extra.set("tensor", ["kernels", "rounding"]);
  const p = graphProblems(good, extra, fullFloors);
  assert.ok(p.includes("tensor: project.json declares kernels but nothing imports it"), p.join());
  assert.ok(p.some((s) => s.startsWith("declared graph has a cycle: kernels → tensor → kernels")));

  const upward = withExceptions([
    pkg("rounding", []),
    pkg("tensor", ["rounding"], ["nn"]),
    pkg("kernels", ["tensor"]),
    pkg("nn", ["kernels"]),
  ]);
  const up = graphProblems(upward, derivedGraph(upward), fullFloors);
  assert.ok(up.some((s) => s.startsWith("tensor → nn (packages/tensor/x_test.ts): points up")));
  assert.ok(up.some((s) => s.startsWith("declared graph has a cycle")));

  // nn may import kernels only ("tensor later"): a source import of tensor is flagged.
  const notAllowed = withExceptions([pkg("tensor", []), pkg("kernels", []), pkg("nn", ["tensor"])]);
  assert.deepEqual(graphProblems(notAllowed, derivedGraph(notAllowed), fullFloors), [
    `nn → tensor (packages/nn/x.ts): not in nn's "may import" in docs/architecture.md`,
  ]);

  // A listed exception that no longer occurs must be removed from the list.
  const gone = [pkg("rounding", [])];
  const stale = graphProblems(gone, derivedGraph(gone), fullFloors);
  assert.equal(
    stale.filter((s) => s.startsWith("known exception")).length,
    KNOWN_EXCEPTIONS.length,
  );
});

Deno.test("packageImports: scans .ts code, JSDoc examples and Markdown of each package", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const write = async (path: string, text: string) => {
      await Deno.mkdir(`${dir}/${path.split("/").slice(0, -1).join("/")}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${path}`, text);
    };
    await write("packages/a/deno.json", "{}");
    await write("packages/a/mod.ts", "export const a = 1;\n");
    await write("packages/b/deno.json", "{}");
    await write(
      "packages/b/mod.ts",
      `/**\n * @example\n * \`\`\`ts\n * import { c } from "@lowbit/c";\n * \`\`\`\n */\n` +
        `import { a } from "@lowbit/a/mod";\n// import "@lowbit/d";\nexport const b = a;\n`,
    );
    await write("packages/b/ops/x_test.ts", `import { y } from "../../e/y.ts";\n`);
    await write("packages/b/README.md", '```ts\nimport { f } from "@lowbit/f";\n```\n');
    await write("packages/not-a-package/mod.ts", `import "@lowbit/a";\n`);
    const imports = await packageImports(dir);
    assert.deepEqual(imports.map((p) => p.name), ["a", "b"]);
    const b = imports[1];
    assert.deepEqual([...b.source.entries()], [["a", ["packages/b/mod.ts"]]]);
    assert.deepEqual([...b.dev.keys()].sort(), ["c", "e", "f"]);
    assert.deepEqual(b.dev.get("e"), ["packages/b/ops/x_test.ts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
