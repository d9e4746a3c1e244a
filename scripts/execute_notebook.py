"""Executes one notebook in the Deno kernel and writes the executed .ipynb and its HTML export.

Used by scripts/reproduce.ts instead of `jupyter nbconvert --execute`, because of a race in the
Deno kernel (Deno 2.8+ rewrote the kernel in JS, cli/js/jupyter_kernel.js): every output a cell
makes (`Deno.jupyter.display`, `console.log`, the Out[] value) is put on a channel from the REPL
thread and published on IOPub by a separate drainer task, while the execute_reply and the
`status: idle` message are published directly when evaluation returns. The idle status can
therefore overtake the cell's last outputs. nbclient (like every Jupyter client) stops reading
a cell's outputs at idle, so the overtaken outputs were dropped. `await Deno.jupyter.display`
does not help: the op only enqueues the message.

The fix here: after each code cell, the client sends a silent flush request whose code puts a
marker message on the same channel. The drainer publishes in FIFO order, so when the marker
arrives every output of the cell has been published; outputs that arrive between the cell's idle
and the marker are added to the cell (the drainer may tag them with the flush request's header,
since it reads the kernel's current parent header when it publishes). Each recovered output is
reported on stderr as one `late-output {json}` line.

usage: python3 scripts/execute_notebook.py NOTEBOOK.ipynb OUT_DIR [--kernel deno] [--timeout 1800]
Writes OUT_DIR/<name>.ipynb (executed) and OUT_DIR/<name>.html. Exit 1 on a cell error.
"""

import argparse
import asyncio
import json
import os
import sys
import uuid
from queue import Empty
from time import monotonic

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbclient.util import ensure_async
from nbconvert import HTMLExporter

FLUSH_MSG_TYPE = "lowbit_flush"
OUTPUT_TYPES = {"display_data", "execute_result", "stream", "error", "update_display_data",
                "clear_output"}


class FlushingClient(NotebookClient):
    """nbclient's NotebookClient plus a flush after every code cell (see the module doc)."""

    flush_timeout = 60.0

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        sent = []
        kc = self.kc
        original = kc.execute

        def execute(*args, **kwargs):
            msg_id = original(*args, **kwargs)
            sent.append(msg_id)
            return msg_id

        kc.execute = execute
        try:
            try:
                result = await super().async_execute_cell(cell, cell_index, execution_count,
                                                          store_history)
            except CellExecutionError:
                if sent:
                    await self._flush(cell, cell_index, sent[0])
                raise
        finally:
            kc.execute = original
        if sent:
            await self._flush(cell, cell_index, sent[0])
        return result

    async def _flush(self, cell, cell_index, cell_msg_id):
        token = uuid.uuid4().hex
        code = f'Deno.jupyter.broadcast("{FLUSH_MSG_TYPE}", {{ token: "{token}" }});'
        flush_id = self.kc.execute(code, silent=True, store_history=False, stop_on_error=False)
        idle = cell.get("metadata", {}).get("execution", {}).get("iopub.status.idle")
        deadline = monotonic() + self.flush_timeout
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise RuntimeError(
                    f"cell {cell_index}: no flush marker from the kernel in {self.flush_timeout} s")
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=remaining))
            except Empty:
                continue
            msg_type = msg["msg_type"]
            parent = msg["parent_header"].get("msg_id")
            if msg_type == FLUSH_MSG_TYPE and msg["content"].get("token") == token:
                break
            if msg_type in OUTPUT_TYPES and parent in (cell_msg_id, flush_id):
                self.process_message(msg, cell, cell_index)
                print("late-output " + json.dumps({
                    "cell": cell_index,
                    "msg_type": msg_type,
                    "parent": "cell" if parent == cell_msg_id else "flush request",
                    "sent": str(msg["header"].get("date")),
                    "cell_idle": idle,
                }), file=sys.stderr, flush=True)
        # The flush request's reply (its idle status is skipped by the next cell's reader).
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0:
                break
            try:
                reply = await ensure_async(self.kc.shell_channel.get_msg(timeout=remaining))
            except Empty:
                break
            if reply["parent_header"].get("msg_id") == flush_id:
                break


def main():
    p = argparse.ArgumentParser()
    p.add_argument("notebook")
    p.add_argument("out_dir")
    p.add_argument("--kernel", default="deno")
    p.add_argument("--timeout", type=int, default=1800)
    a = p.parse_args()
    name = os.path.splitext(os.path.basename(a.notebook))[0]
    nb = nbformat.read(a.notebook, as_version=4)
    client = FlushingClient(
        nb,
        kernel_name=a.kernel,
        timeout=a.timeout,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(a.notebook))}},
    )
    failed = None
    try:
        client.execute()
    except CellExecutionError as e:
        failed = e
    os.makedirs(a.out_dir, exist_ok=True)
    nbformat.write(nb, os.path.join(a.out_dir, name + ".ipynb"))
    body, _ = HTMLExporter().from_notebook_node(nb, resources={"metadata": {"name": name}})
    with open(os.path.join(a.out_dir, name + ".html"), "w", encoding="utf-8") as f:
        f.write(body)
    if failed is not None:
        print(str(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
