"""The ``nnbook`` command: ``release``, ``grade`` and ``merge``.

::

    nnbook release OUT/ [--book book/]
    nnbook release ASSIGNMENT.ipynb OUT/          (or: nnbook release OUT/ --assignment ASSIGNMENT/)
    nnbook grade SUBMISSIONS/ --out RESULTS/ [--jobs N] [--shard K/N] [--cpu S] [--timeout S]
                 [--mem MB] [--sandbox bwrap|process] [--seed SECRET] [--chapters neuron,...]
                 [--only STUDENT,...] [--partial-credit] [--assignment ASSIGNMENT/]
    nnbook merge PART1.csv PART2.csv ... --out gradebook.csv
    nnbook export RESULTS/ --lms canvas|moodle [--roster roster.csv] [--out FILE]
    nnbook report RESULTS/ [--out report.html]
"""
from __future__ import annotations

import argparse
import os
import sys

from .sandbox import SANDBOXES

__all__ = ["main"]


def _shard(text: str):
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard must look like K/N (e.g. 1/4), got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"--shard K/N needs 1 <= K <= N, got {text!r}")
    return k, n


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nnbook", description="Release and grade the book's exercises and assignments.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("release", help="student copies of the chapter notebooks (or of an assignment) + manifest.json")
    r.add_argument("paths", nargs="+", metavar="[ASSIGNMENT.ipynb] OUT",
                   help="the output folder, after the assignment's notebook when releasing one")
    r.add_argument("--book", help="folder of the chapter notebooks (default: book)")
    r.add_argument("--assignment", help="release this assignment (its folder or its notebook) instead of the book")
    g = sub.add_parser("grade", help="grade a folder of submissions")
    g.add_argument("submissions", help="SUBMISSIONS/<student>/*.ipynb or SUBMISSIONS/<student>.ipynb")
    g.add_argument("--out", required=True, help="results folder (gradebook.csv, feedback/)")
    g.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    g.add_argument("--shard", type=_shard, help="grade only shard K of N (by sha256 of the student id)")
    g.add_argument("--cpu", type=float, default=30.0,
                   help="CPU seconds for each notebook cell and for each exercise's evaluation (default 30)")
    g.add_argument("--timeout", type=float, default=900.0,
                   help="wall-clock backstop per submission, in seconds (default 900)")
    g.add_argument("--mem", type=int, default=2048, help="memory cap in MB per process (address space)")
    g.add_argument("--sandbox", choices=SANDBOXES, default="bwrap",
                   help="bwrap (default): an operating-system sandbox per submission; process: a limited process "
                        "only, which cannot hide the solutions or other submissions (see the README)")
    g.add_argument("--cells", choices=("needed", "all", "starters"), default="needed",
                   help="run the code cells the exercises' answers can depend on (default: the starter cells "
                        "and every cell that defines a name they read), every code cell, or only the starter cells")
    g.add_argument("--only", help="comma-separated students to grade again; their rows in OUT/gradebook.csv are replaced")
    g.add_argument("--seed", default=os.environ.get("NNBOOK_SEED", "nnbook"),
                   help="secret seed of the hidden cases (default: $NNBOOK_SEED)")
    g.add_argument("--chapters", help="comma-separated chapters to grade for everyone (default: every chapter that any submitted notebook belongs to)")
    g.add_argument("--assignment", help="grade this assignment (its folder: the instructor's notebook and hidden.py) "
                                        "instead of the book's exercises")
    g.add_argument("--partial-credit", action="store_true",
                   help="the book's exercises earn points x passed weight / total weight of their cases "
                        "(default: all or nothing; assignments always give partial credit)")
    x = sub.add_parser("export", help="a gradebook for an LMS (Canvas or Moodle) from a results folder")
    x.add_argument("results", help="the --out folder of nnbook grade")
    x.add_argument("--lms", choices=("canvas", "moodle"), required=True)
    x.add_argument("--roster", help="CSV with a 'student' column and LMS ids (see the README)")
    x.add_argument("--out", help="output file (default: RESULTS/<lms>.csv)")
    c = sub.add_parser("report", help="a one-page HTML class report from a results folder")
    c.add_argument("results")
    c.add_argument("--out", help="output file (default: RESULTS/report.html)")
    m = sub.add_parser("merge", help="merge partial gradebooks (shards) into one")
    m.add_argument("parts", nargs="+")
    m.add_argument("--out", required=True)
    return p


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "release":
        return _release(parser, args)
    elif args.command == "grade":
        from .grade import grade
        from .sandbox import Limits, bwrap_problem
        if args.jobs < 1 or args.timeout <= 0 or args.cpu <= 0 or args.mem < 256:
            print("nnbook grade: --jobs must be >= 1, --timeout and --cpu > 0 and --mem >= 256", file=sys.stderr)
            return 2
        if args.sandbox == "bwrap":
            problem = bwrap_problem()
            if problem:
                print(f"nnbook grade: refusing to grade: {problem}; install bubblewrap, or pass --sandbox process "
                      "to accept a sandbox that cannot hide the solutions or other submissions", file=sys.stderr)
                return 2
        limits = Limits(cpu_s=args.cpu, wall_s=args.timeout, mem_mb=args.mem, cells=args.cells)
        chapters = tuple(args.chapters.split(",")) if args.chapters else None
        assignment = None
        if args.assignment:
            from .assignment import load_assignment
            if chapters:
                print("nnbook grade: --chapters and --assignment exclude each other", file=sys.stderr)
                return 2
            try:
                assignment = load_assignment(args.assignment)
            except (FileNotFoundError, ValueError) as exc:
                print(f"nnbook grade: {exc}", file=sys.stderr)
                return 2
        drawn = assignment is None or any(callable(q.hidden) for q in assignment.questions)
        if args.seed == "nnbook" and drawn:
            print("nnbook grade: using the default seed for hidden cases; pass --seed or set NNBOOK_SEED "
                  "to keep them secret", file=sys.stderr)
        grade(args.submissions, args.out, jobs=args.jobs, shard=args.shard, limits=limits, secret=args.seed,
              chapters=chapters, sandbox=args.sandbox, only=tuple(args.only.split(",")) if args.only else None,
              assignment=assignment, partial_credit=args.partial_credit)
    elif args.command in ("export", "report"):
        from pathlib import Path

        from . import export
        try:
            data = export.read_details(args.results)
            if args.command == "export":
                roster = export.read_roster(args.roster) if args.roster else None
                text = (export.canvas_csv if args.lms == "canvas" else export.moodle_csv)(data, roster)
                out = Path(args.out or Path(args.results) / f"{args.lms}.csv")
            else:
                text, out = export.class_report_html(data), Path(args.out or Path(args.results) / "report.html")
        except (FileNotFoundError, ValueError) as exc:
            print(f"nnbook {args.command}: {exc}", file=sys.stderr)
            return 2
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out} ({len(data['students'])} students)")
    else:
        from .report import merge_gradebooks
        from .export import merge_details
        rows = merge_gradebooks(args.parts, args.out)
        print(f"merged {len(args.parts)} gradebook(s): {len(rows)} row(s) -> {args.out}")
        merged = merge_details(args.parts, args.out)
        if merged:
            print(f"merged the details beside them -> {merged}")
    return 0


def _release(parser, args) -> int:
    """``nnbook release OUT [--book B]``, ``nnbook release ASSIGNMENT.ipynb OUT`` or ``... OUT --assignment A``."""
    if len(args.paths) > 2 or (len(args.paths) == 2 and args.assignment):
        parser.error("release takes OUT, or ASSIGNMENT.ipynb OUT, or OUT --assignment ASSIGNMENT")
    assignment = args.paths[0] if len(args.paths) == 2 else args.assignment
    out = args.paths[-1]
    if out.endswith(".ipynb"):
        parser.error(f"the output folder comes last: nnbook release {out} OUT/")
    if assignment is None:
        from .release import release
        manifest = release(out, book=args.book or "book")
        n = sum(len(c["exercises"]) for c in manifest["chapters"].values())
        print(f"released {len(manifest['chapters'])} notebook(s) with {n} exercise(s) to {out}")
        return 0
    if args.book:
        parser.error("--book releases the book; an assignment is released from its own notebook")
    from .assignment import release_assignment
    try:
        manifest = release_assignment(assignment, out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"nnbook release: {exc}", file=sys.stderr)
        return 2
    print(f"released assignment {manifest['assignment']} ({len(manifest['questions'])} question(s), "
          f"{manifest['total_points']:g} points) to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
