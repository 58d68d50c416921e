"""Helpers shared by the Python benchmark drivers: the machine they ran on and
the commit they measured."""

import datetime
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(*a):
    """Progress on stderr, flushed (the drivers' stdout may be a file)."""
    print(*a, file=sys.stderr, flush=True)


def machine(with_sklearn=False):
    """CPU model, core count, kernel, Python (and numpy / scikit-learn) versions, UTC date."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    out = dict(cpu=cpu, cores=os.cpu_count(), kernel=platform.release(),
               python=platform.python_version(),
               date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    if with_sklearn:
        import numpy
        import sklearn
        out.update(numpy=numpy.__version__, sklearn=sklearn.__version__)
    return out


def git_commit():
    """Short HEAD, marked when the working tree has uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + (" (+ uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def binary_version(binary):
    """What an asyncopt binary says it was built from (`asyncopt version`):
    the repository's HEAD can differ from the commit of a binary built earlier."""
    try:
        out = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_report(base, md_lines, goals):
    """Writes BASE.md and prints the goal lines and what was written."""
    with open(base + ".md", "w") as f:
        f.write("\n".join(md_lines) + "\n")
    print("\n".join(goals))
    print("wrote %s.{csv,json,md,png}" % base)
