#!/usr/bin/env bash
# What `deno task reproduce` needs beyond scripts/setup.sh: the Debian Jupyter packages that run
# notebooks headless (nbconvert + nbclient + jupyter-client + ipykernel + jupyter-core) and
# chromium for the browser check, and the classic Jupyter Notebook front end (jupyter-notebook,
# Debian's notebook 6) for interactive use with `deno task notebooks`. Installed only when missing (a second run only asks dpkg,
# well under a second). CI's `deno task test` does not need any of this.
set -euo pipefail
cd "$(dirname "$0")/.."

want=(jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel jupyter-core chromium
  jupyter-notebook)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup_notebooks: installing ${missing[*]} from Debian apt" >&2
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -qq && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# The committed kernelspec must be visible with JUPYTER_PATH=$PWD/jupyter.
specs=$(JUPYTER_PATH="$PWD/jupyter" jupyter kernelspec list 2>/dev/null || true)
grep -q "^ *deno " <<<"$specs" ||
  { echo "setup_notebooks: kernelspec jupyter/kernels/deno not found" >&2; exit 1; }
echo "setup_notebooks: ready (jupyter nbconvert $(jupyter nbconvert --version), $(chromium --version 2>/dev/null | head -n 1))" >&2
