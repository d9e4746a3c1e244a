// Private: the messages between the batch runner (batch_runner.ts) and its workers
// (_batch_worker.ts). Graphs, inputs and outputs are plain data (Maps, typed arrays), so they
// cross by structured clone.

import type { TensorInput } from "@lowbit/graph/executor";
import type { Graph, GraphTensor } from "@lowbit/graph/ir";
import type { CompileQuantizedOptions } from "./qdq_run.ts";

/** Runner → worker, once, as the worker's first message: the graph and the reply port. */
export interface BatchInit {
  id: number;
  graph: Graph;
  compile: CompileQuantizedOptions;
  port: MessagePort;
}

/** Runner → worker on the port: one chunk to run. */
export interface BatchRequest {
  id: number;
  inputs: Record<string, TensorInput>;
}

/** Worker → runner on the port. */
export type BatchReply =
  | { kind: "ready"; id: number }
  | { kind: "outputs"; id: number; outputs: Record<string, GraphTensor> }
  | { kind: "error"; id: number; name: string; message: string };
