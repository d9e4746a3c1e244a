// The interactive front end (`deno task notebooks`: Debian's `jupyter notebook` with the
// committed Deno kernelspec) checked headless: start the server on a free port with a token,
// start a `deno` kernel through the REST API, execute a cell over the kernel's WebSocket channel
// (Jupyter messaging protocol 5.3) and check its display and result, then shut everything down.
//
//     deno run -A scripts/notebook_server.ts        # prints what it did; exit 1 on failure
//
// `deno task reproduce` runs this check after the notebooks.
import { join } from "node:path";
import { repoRoot } from "../notebooks/_lib/repo.ts";

const ESC = String.fromCharCode(27);

/** A running notebook server. */
export interface NotebookServer {
  /** Base URL, e.g. `http://127.0.0.1:8890`. */
  url: string;
  /** The access token. */
  token: string;
  /** Stops the server (and its kernels). */
  stop(): Promise<void>;
}

/** Starts `jupyter notebook` headless with the repository's kernelspec; resolves when it answers. */
export async function startNotebookServer(root = repoRoot()): Promise<NotebookServer> {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const token = crypto.randomUUID().replaceAll("-", "");
  const child = new Deno.Command("jupyter", {
    args: [
      "notebook",
      "--no-browser",
      `--port=${port}`,
      "--ip=127.0.0.1",
      `--NotebookApp.token=${token}`,
      `--notebook-dir=${join(root, "notebooks")}`,
      "--allow-root",
    ],
    env: { JUPYTER_PATH: join(root, "jupyter") },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.stderr.cancel().catch(() => {});
    await child.status;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/api/kernelspecs?token=${token}`);
      if (r.ok) {
        const specs = await r.json() as { kernelspecs: Record<string, unknown> };
        if (!("deno" in specs.kernelspecs)) {
          await stop();
          throw new Error(
            `notebook server: kernelspec "deno" not offered (have ${
              Object.keys(specs.kernelspecs)
            })`,
          );
        }
        return { url, token, stop };
      }
      await r.body?.cancel();
    } catch (e) {
      if (e instanceof Error && e.message.startsWith("notebook server:")) throw e;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error("notebook server: no answer within 30 s");
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What a cell executed through the server produced. */
export interface CellOutputs {
  /** `text/plain` of every display_data and execute_result, in order. */
  texts: string[];
  /** The execute_reply status (`"ok"` or `"error"`). */
  status: string;
}

/** Starts a `deno` kernel on the server, runs `code` in it over the WebSocket, stops the kernel. */
export async function executeCell(server: NotebookServer, code: string): Promise<CellOutputs> {
  const { url, token } = server;
  const kr = await fetch(`${url}/api/kernels?token=${token}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "deno" }),
  });
  if (!kr.ok) throw new Error(`notebook server: starting a kernel failed (${kr.status})`);
  const { id } = await kr.json() as { id: string };
  const session = crypto.randomUUID();
  const msgId = crypto.randomUUID();
  const ws = new WebSocket(
    `${url.replace("http", "ws")}/api/kernels/${id}/channels?session_id=${session}&token=${token}`,
  );
  try {
    return await new Promise<CellOutputs>((resolve, reject) => {
      const texts: string[] = [];
      let status: string | undefined;
      let idle = false;
      const timer = setTimeout(
        () => reject(new Error("notebook server: no reply in 60 s")),
        60_000,
      );
      const finish = () => {
        if (status !== undefined && idle) {
          clearTimeout(timer);
          // The Deno kernel can report idle before its last output (README): wait a moment.
          setTimeout(() => resolve({ texts, status: status as string }), 500);
        }
      };
      ws.onerror = () => reject(new Error("notebook server: WebSocket error"));
      ws.onopen = () =>
        ws.send(JSON.stringify({
          header: {
            msg_id: msgId,
            msg_type: "execute_request",
            username: "lowbit",
            session,
            date: new Date().toISOString(),
            version: "5.3",
          },
          parent_header: {},
          metadata: {},
          content: {
            code,
            silent: false,
            store_history: true,
            user_expressions: {},
            allow_stdin: false,
            stop_on_error: true,
          },
          channel: "shell",
          buffers: [],
        }));
      ws.onmessage = (ev) => {
        const m = JSON.parse(String(ev.data)) as {
          channel: string;
          header: { msg_type: string };
          parent_header: { msg_id?: string };
          content: { data?: Record<string, string>; execution_state?: string; status?: string };
        };
        if (m.parent_header.msg_id !== msgId) return;
        const t = m.header.msg_type;
        if ((t === "display_data" || t === "execute_result") && m.content.data?.["text/plain"]) {
          // deno's inspect colours plain-text results; compare the text without ANSI codes.
          texts.push(
            m.content.data["text/plain"].replace(new RegExp(`${ESC}\\[[0-9;]*m`, "g"), ""),
          );
        } else if (t === "status" && m.content.execution_state === "idle") {
          idle = true;
          finish();
        } else if (t === "execute_reply") {
          status = m.content.status ?? "unknown";
          finish();
        }
      };
    });
  } finally {
    ws.close();
    await fetch(`${url}/api/kernels/${id}?token=${token}`, { method: "DELETE" })
      .then((r) => r.body?.cancel());
  }
}

if (import.meta.main) {
  const t0 = performance.now();
  const server = await startNotebookServer();
  try {
    const code = 'await Deno.jupyter.display({ "text/plain": "lowbit" }, { raw: true });\n6 * 7';
    const r = await executeCell(server, code);
    const ok = r.status === "ok" && r.texts.includes("lowbit") && r.texts.includes("42");
    console.log(
      `notebook server: ${ok ? "executed" : "FAILED to execute"} a cell through the API` +
        ` (status ${r.status}, outputs ${JSON.stringify(r.texts)}) in ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s`,
    );
    if (!ok) Deno.exitCode = 1;
  } finally {
    await server.stop();
  }
}
