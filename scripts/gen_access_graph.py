"""Render the demo account's access map (``rafix access --format dot``) to
``screenshots/access-demo.png`` for the README, and print the Mermaid text beside it.

    python scripts/gen_access_graph.py          # needs Graphviz's `dot` (apt-get install graphviz)

The demo account is a fresh sandbox made in a temporary folder, so the picture always shows
what ``rafix access --sandbox DIR`` prints for a new user.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from remediations.render_access import render_access  # noqa: E402
from remediations.session import Session  # noqa: E402
from remediations.source import SandboxSource  # noqa: E402
from remediations.sources.sandbox import init_sandbox  # noqa: E402

OUT = ROOT / "screenshots" / "access-demo.png"


def main() -> int:
    dot = shutil.which("dot")
    if dot is None:
        print(
            "gen_access_graph: Graphviz's `dot` is needed (apt-get install graphviz)",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="rafix-access-") as folder:
        sandbox = Path(folder) / "demo"
        init_sandbox(sandbox)
        access = Session(SandboxSource(sandbox)).access()
    subprocess.run(
        [dot, "-Tpng", "-Gdpi=110", "-o", str(OUT)],
        input=render_access(access, "dot").encode(),
        check=True,
    )
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
