// Private: a worker of the batch runner (batch_runner.ts). The first message brings the graph
// and a MessagePort; the worker compiles the graph once, then runs each chunk that arrives on
// the port and posts the outputs back on it (copied, not transferred: an output may share its
// buffer with an initializer or a value the next run reads). Errors go back with the id of
// the request that caused them.
//
// Replies use the port, not the worker's own postMessage, and the first message is taken with
// addEventListener on `globalThis`: once onnxruntime-web has run in the parent, Deno (2.9)
// starts workers without `self` whose postMessage never reaches the parent.

import type { GraphTensor } from "@lowbit/graph/ir";
import { type CompiledQuantized, compileQuantized } from "./qdq_run.ts";
import type { BatchInit, BatchReply, BatchRequest } from "./_batch_protocol.ts";

const scope = globalThis as unknown as {
  addEventListener(type: "message", f: (e: MessageEvent<BatchInit>) => void): void;
};

scope.addEventListener("message", (e: MessageEvent<BatchInit>) => {
  const port = e.data.port;
  const reply = (m: BatchReply) => port.postMessage(m);
  const failed = (id: number, err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    reply({ kind: "error", id, name: error.name, message: error.message });
  };
  let compiled: CompiledQuantized;
  try {
    compiled = compileQuantized(e.data.graph, e.data.compile);
    reply({ kind: "ready", id: e.data.id });
  } catch (err) {
    failed(e.data.id, err);
    return;
  }
  port.onmessage = (m: MessageEvent<BatchRequest>) => {
    try {
      const outputs: Record<string, GraphTensor> = compiled.run(m.data.inputs).outputs;
      reply({ kind: "outputs", id: m.data.id, outputs });
    } catch (err) {
      failed(m.data.id, err);
    }
  };
});
