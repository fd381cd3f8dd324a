#!/usr/bin/env python3
"""Executes a notebook headless (nbclient, kernel python3) and checks that it produced its figures.

    python3 notebooks/run_notebook.py [notebooks/analysis.ipynb] --results results/temperature \
        --figures /tmp/figures --executed /tmp/analysis-executed.ipynb --expect-figures 4

--results and --figures set SCATTERBRAIN_RESULTS and SCATTERBRAIN_FIGURES for the kernel. Cells run in the
notebook's folder, as in Jupyter. Exit codes: 0 done; 1 a cell failed, timed out or the kernel died, or fewer than
--expect-figures image/png outputs; 2 bad arguments; 3 Python packages or the python3 kernel missing. On failure the
last line on stderr is a one-line reason.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSTALL_HINT = "run: pip install -r notebooks/requirements.txt"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def fail(code: int, reason: str) -> "None":
    print("error: " + " ".join(ANSI.sub("", reason).split()), file=sys.stderr)
    sys.exit(code)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Execute a notebook headless and check its figures.")
    p.add_argument("notebook", nargs="?", default=str(HERE / "analysis.ipynb"),
                   help="notebook to run (default: analysis.ipynb beside this script)")
    p.add_argument("--results", metavar="DIR", help="results folder: sets SCATTERBRAIN_RESULTS")
    p.add_argument("--figures", metavar="DIR", help="where figures are saved as PNG: sets SCATTERBRAIN_FIGURES")
    p.add_argument("--executed", metavar="PATH", help="write the executed notebook (with outputs) here")
    p.add_argument("--expect-figures", type=int, default=0, metavar="N",
                   help="fail unless at least N image/png outputs are produced (default 0)")
    p.add_argument("--timeout", type=int, default=600, metavar="S", help="timeout per cell in seconds (default 600)")
    p.add_argument("--kernel", default="python3", help="kernel name (default python3)")
    return p.parse_args(argv)


def require_packages():
    missing = []
    for module in ("nbformat", "nbclient", "ipykernel", "jupyter_client", "pandas", "pyarrow", "matplotlib"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        fail(3, f"missing Python packages {', '.join(missing)} for {sys.executable}: {INSTALL_HINT}")


def ensure_kernel(name: str):
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return
    if name != "python3":
        fail(3, f"no Jupyter kernel named {name} (jupyter kernelspec list)")
    # ipykernel normally provides python3 itself; install its spec for this user when it does not
    r = subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"],
                       capture_output=True, text=True)
    if r.returncode != 0 or name not in KernelSpecManager().find_kernel_specs():
        fail(3, f"no python3 Jupyter kernel and '{sys.executable} -m ipykernel install --user' failed: "
                f"{(r.stderr or r.stdout).strip()[-300:]}; {INSTALL_HINT}")


def count_figures(nb) -> int:
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") in ("display_data", "execute_result") and "image/png" in out.get("data", {}):
                n += 1
    return n


def first_error(nb):
    """(code cell number, 1-based among code cells, and 'ename: evalue') of the first error output."""
    k = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        k += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return k, f"{out.get('ename', '')}: {out.get('evalue', '')}"
    return None


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    notebook = Path(args.notebook).resolve()
    if not notebook.is_file():
        fail(2, f"notebook {notebook} does not exist")
    if args.results:
        results = Path(args.results).resolve()
        if not results.is_dir():
            fail(2, f"results folder {results} does not exist")
        os.environ["SCATTERBRAIN_RESULTS"] = str(results)
    if args.figures:
        figures = Path(args.figures).resolve()
        figures.mkdir(parents=True, exist_ok=True)
        os.environ["SCATTERBRAIN_FIGURES"] = str(figures)
    require_packages()
    ensure_kernel(args.kernel)

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=args.timeout, kernel_name=args.kernel,
                            resources={"metadata": {"path": str(notebook.parent)}})
    start = time.monotonic()
    reason = None
    try:
        client.execute()
    except CellTimeoutError as e:
        reason = f"a cell ran longer than {args.timeout} s: {str(e).splitlines()[0] if str(e) else ''}"
    except DeadKernelError as e:
        reason = f"the kernel died: {e}"
    except CellExecutionError as e:
        where = first_error(nb)
        reason = (f"code cell {where[0]} failed: {where[1]}" if where
                  else f"a cell failed: {getattr(e, 'ename', '')}: {getattr(e, 'evalue', '')}")
    except Exception as e:  # kernel start-up and the like
        reason = f"execution failed: {type(e).__name__}: {e}"
    seconds = time.monotonic() - start

    if args.executed:
        out = Path(args.executed)
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
    if reason:
        fail(1, f"{notebook.name}: {reason}")
    figures = count_figures(nb)
    if figures < args.expect_figures:
        fail(1, f"{notebook.name}: {figures} image/png outputs, expected at least {args.expect_figures}")
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    saved = ""
    if args.figures:
        saved = f"; PNGs in {os.environ['SCATTERBRAIN_FIGURES']}: " + ", ".join(
            sorted(p.name for p in Path(os.environ["SCATTERBRAIN_FIGURES"]).glob("*.png")))
    print(f"ok: {notebook.name}: {cells} code cells in {seconds:.1f} s, {figures} figures{saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
