"""The one module the benchmark scripts share: grid -> runs -> records -> reports.

A benchmark script describes its grid (the cells it measures), runs each cell
through `run_cli` (or `run` for other programs) in `interleaved` rounds, keeps
one record (a dict) per run, and writes them with `write_csv`, `write_json`,
`write_markdown` and a matplotlib figure from `pyplot`. Every record of an
`asyncopt` run carries its provenance (`provenance`): the commit and version
the binary reports in its summary JSON, the CPU model, the core count and the
date. No script imports another script; what two of them need lives here.

Sections: machine and provenance; data (files in /work/shared/data, the numpy
view of a problem); running programs; grids and rounds; traces and time to
target; reports.
"""

import csv
import datetime
import itertools
import json
import lzma
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = "/work/shared/data"
# A cache-line round trip between the two cores above this (ns) means the host
# placed the vCPUs far apart (47-74 ns near, 398-483 ns far in the 3b27dcd
# contention sweep, 2026-11-22): a description of a run, never a filter on it.
FAR_ROUND_TRIP_NS = 200


def log(*a):
    """Progress on stderr, flushed (the scripts' stdout may be a file)."""
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- machine and provenance
def cpu_model():
    """The CPU model name from /proc/cpuinfo (platform.processor() elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def machine(with_sklearn=False):
    """CPU model, core count, kernel, Python (and numpy / scikit-learn) versions, UTC date."""
    out = dict(cpu=cpu_model(), cores=os.cpu_count(), kernel=platform.release(),
               python=platform.python_version(), date=utc_now())
    if with_sklearn:
        import numpy
        import sklearn
        out.update(numpy=numpy.__version__, sklearn=sklearn.__version__)
    return out


def loadavg():
    """The 1, 5 and 15 minute load averages."""
    try:
        return list(os.getloadavg())
    except OSError:
        return [float("nan")] * 3


def git_commit():
    """Short HEAD of this checkout, marked when the working tree has uncommitted changes."""
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "--no-optional-locks", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
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


def provenance(summary=None):
    """Where a run's numbers come from: the binary's commit and version (from
    its summary JSON, when there is one), CPU model, core count, UTC date."""
    s = summary or {}
    version = " ".join(str(s[k]) for k in ("version", "compiler", "build_type") if s.get(k)) or None
    return dict(commit=s.get("git_commit"), binary_version=version, cpu=s.get("cpu") or cpu_model(),
                cores=os.cpu_count(), date=utc_now())


# --------------------------------------------------------------------------- data
def read_ini(path):
    """An asyncopt config file as {key: value} (comments and blank lines skipped)."""
    out = {}
    with open(path) as f:
        for line in f:
            t = line.strip()
            if not t or t[0] in "#;":
                continue
            k, v = t.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def truthy(v):
    return str(v).lower() in ("1", "true", "yes", "on")


def problem_args_from_config(config, name, work):
    """The CLI's problem flags from an asyncopt config file's problem keys (loss, l1, l2,
    scale, normalize-rows, positive-labels), on dataset `name` decompressed into `work`."""
    cfg = read_ini(config)
    args = ["--data", plain_copy(name, work), "--loss", cfg.get("loss", "logistic"), "--l1", cfg["l1"],
            "--l2", cfg["l2"]]
    if cfg.get("scale", "none") != "none":
        args += ["--scale", cfg["scale"]]
    if truthy(cfg.get("normalize-rows", "false")):
        args += ["--normalize-rows"]
    if cfg.get("positive-labels"):
        args += ["--positive-labels", cfg["positive-labels"]]
    return args


def cmake_cache_value(build, key):
    """A CMakeCache.txt entry of the build dir, or None."""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def mpi_launcher(build, mpiexec=None, flags=None):
    """(mpiexec, [flags]): the given ones, else the build's MPIEXEC_EXECUTABLE and
    ASYNCOPT_MPIEXEC_FLAGS (a CMake list or a shell string). mpiexec is None without MPI."""
    mpiexec = mpiexec or cmake_cache_value(build, "MPIEXEC_EXECUTABLE")
    if flags is None:
        flags = cmake_cache_value(build, "ASYNCOPT_MPIEXEC_FLAGS") or ""
    return mpiexec, [f for f in (flags.split(";") if ";" in flags else shlex.split(flags)) if f]


# The SODA benchmark's problems by dataset (configs/soda-*.ini; only the
# problem keys are read) and a per-run --max-seconds cap, for the scripts
# that run soda and dave-pg on them (runs took 0.3-4 s on this machine).
SODA_DATASETS = {
    "madelon": dict(config="configs/soda-madelon.ini", cap=30.0),
    "rcv1-vw-small": dict(config="configs/soda-rcv1.ini", cap=60.0),
}


def soda_problem_args(name, work):
    """The CLI's problem flags for a SODA_DATASETS entry, on its file decompressed into work."""
    return problem_args_from_config(os.path.join(ROOT, SODA_DATASETS[name]["config"]), name, work)


def data_file(name, data_dir=DATA_DIR):
    """The xz file of a dataset of /work/shared/data by its name (`madelon`, `rcv1-vw-small`)."""
    path = os.path.join(data_dir, name + ".xz")
    if not os.path.exists(path):
        sys.exit("dataset %r not found: no %s (see %s/README.md)" % (name, path, data_dir))
    return path


def plain_copy(name, work, drop_blank_lines=True, data_dir=DATA_DIR):
    """WORK/NAME.svm, the decompressed dataset, made once. Blank lines are
    dropped by default (liblinear-train rejects w8a's trailing empty line)."""
    path = os.path.join(work, name + ".svm")
    if not os.path.exists(path):
        os.makedirs(work, exist_ok=True)
        with lzma.open(data_file(name, data_dir), "rb") as fi, open(path + ".tmp", "wb") as fo:
            if drop_blank_lines:
                for line in fi:
                    if line.strip():
                        fo.write(line)
            else:
                shutil.copyfileobj(fi, fo, 1 << 20)
        os.replace(path + ".tmp", path)
    return path


def load_xy(path, n_features=None, positive=None, scale=None, normalize_rows=False, zero_based="auto",
            eliminate_zeros=False):
    """A LIBSVM file as asyncopt sees it, in numpy: CSR float64 with sorted
    indices, labels in {-1, +1} (the values in `positive` are +1, else the
    largest label), optional max-abs column scaling, then optional unit rows."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.datasets import load_svmlight_file
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rb") as f:
        X, y = load_svmlight_file(f, n_features=n_features, zero_based=zero_based, dtype=np.float64)
    y = np.where(np.isin(y, positive) if positive is not None else y == y.max(), 1.0, -1.0)
    X = sp.csr_matrix(X)
    X.sort_indices()
    if eliminate_zeros:
        X.eliminate_zeros()
    if scale == "maxabs":
        s = np.asarray(abs(X).max(axis=0).todense()).ravel()
        s[s == 0] = 1.0
        X = sp.csr_matrix(X @ sp.diags(1.0 / s))
    if normalize_rows:
        n = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        n[n == 0] = 1.0
        X = sp.csr_matrix(sp.diags(1.0 / n) @ X)
    X.sort_indices()
    return X, y


def objective(X, y, w, loss="logistic", l1=0.0, l2=0.0):
    """F(w) = (1/m) sum loss(y, x.w) + l2/2 ||w||^2 + l1 ||w||_1, in numpy;
    w is padded or cut to X's columns."""
    import numpy as np
    w = np.asarray(w, dtype=np.float64).ravel()
    d = X.shape[1]
    w = np.concatenate([w, np.zeros(d - w.shape[0])]) if w.shape[0] < d else w[:d]
    yz = y * (X @ w)
    if loss == "logistic":
        data = np.mean(np.logaddexp(0.0, -yz))
    elif loss == "hinge":
        data = np.mean(np.maximum(0.0, 1.0 - yz))
    else:
        raise ValueError("objective: loss %r" % loss)
    return float(data + 0.5 * l2 * w.dot(w) + l1 * np.abs(w).sum())


def fit_timed(factory, X, y):
    """Fits factory() on (X, y), warnings silenced: (fit seconds, a copy of coef_)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = factory()
        t0 = time.perf_counter()
        est.fit(X, y)
        secs = time.perf_counter() - t0
    return secs, est.coef_.ravel().copy()


# --------------------------------------------------------------------------- running programs
def run(cmd, env=None, check=True, cwd=None, timeout=None, echo=False):
    """Runs cmd: (CompletedProcess with text stdout/stderr, wall seconds).
    Retries for a minute while the binary cannot be executed (being relinked by
    a concurrent build). check: raise RuntimeError on a non-zero exit. timeout:
    kill the program after this many seconds and raise RuntimeError."""
    if echo:
        log("+ " + " ".join(cmd))
    for attempt in range(30):
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                               timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            raise RuntimeError("%s: killed after %g s" % (" ".join(cmd), timeout))
        except OSError as e:  # EACCES / ETXTBSY / ENOENT during a relink
            if attempt == 29 or (attempt == 0 and not os.path.exists(cmd[0]) and os.sep in cmd[0]):
                raise  # a binary that is not there at all is a wrong path, not a relink
            log("   cannot run %s (%s); retrying in 2 s" % (cmd[0], e))
            time.sleep(2.0)
    wall = time.perf_counter() - t0
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr[-2000:]))
    return p, wall


def run_cli(binary, args, keep=None, trace=True, summary=True, env=None, cwd=None, timeout=None, ok=(0, 3)):
    """One `asyncopt` run with --summary and --trace (each can be left off): a
    record with the parsed summary (None if the run wrote none), the trace
    (read_trace; None without), wall seconds, exit code, stderr tail, the
    command and its provenance. keep=BASE keeps BASE.json and BASE.csv; else
    they go to a temporary folder removed afterwards. An exit code outside `ok`
    raises RuntimeError (asyncopt exits 3 when a run diverged, which is a
    result); ok=None accepts any."""
    tmp = None
    if keep is None:
        tmp = tempfile.mkdtemp(prefix="asyncopt-run-")
        keep = os.path.join(tmp, "run")
    else:
        os.makedirs(os.path.dirname(os.path.abspath(keep)), exist_ok=True)
    summary_path, trace_path = keep + ".json", keep + ".csv"
    for path, wanted in ((summary_path, summary), (trace_path, trace)):
        if wanted and os.path.exists(path):
            os.remove(path)
    cmd = [binary] + list(args) + (["--summary", summary_path] if summary else []) + (
        ["--trace", trace_path] if trace else [])
    try:
        p, wall = run(cmd, env=env, check=False, cwd=cwd, timeout=timeout)
        if ok is not None and p.returncode not in ok:
            raise RuntimeError("asyncopt failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
        summ = None
        if summary:
            try:
                with open(summary_path) as f:
                    summ = json.load(f)
            except (OSError, ValueError):
                pass
        tr = read_trace(trace_path) if trace else None
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return dict(summary=summ, trace=tr, wall=wall, rc=p.returncode, stderr=p.stderr[-1500:], command=cmd,
                summary_path=None if tmp or not summary else summary_path,
                trace_path=None if tmp or not trace else trace_path, provenance=provenance(summ))


def timed_median(fn, repeats, under=2.0):
    """fn() -> (seconds, payload), repeated up to `repeats` times in all when
    the first run took under `under` seconds: (median seconds, last payload, all seconds)."""
    secs, payload = fn()
    times = [secs]
    if secs < under:
        for _ in range(repeats - 1):
            s, payload = fn()
            times.append(s)
    return statistics.median(times), payload, times


# --------------------------------------------------------------------------- grids and rounds
def core_round_trip(probe_bin):
    """The cores' cache-line round trip now in ns (`asyncopt contention --probe`;
    probe_bin is the asyncopt CLI), or None when it is missing."""
    if not probe_bin or not os.path.exists(probe_bin):
        return None
    p = subprocess.run([probe_bin, "contention", "--probe"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("failed (%d): %s contention --probe\n%s" % (p.returncode, probe_bin, p.stderr[-2000:]))
    return json.loads(p.stdout)["round_trip_ns"]


def optimum_via_cache(binary, problem, cache, timeout=None):
    """`asyncopt optimum` through a shared f* cache dir: (f*, wall seconds)."""
    r = run_cli(binary, ["optimum"] + problem + ["--cache-dir", cache, "--quiet"], trace=False, ok=(0,),
                timeout=timeout)
    s = r["summary"] or {}
    return s.get("f_star", s.get("objective")), r["wall"]


def grid(**axes):
    """The cells of a grid, one dict per combination, the last axis varying fastest:
    grid(solver=["a", "b"], threads=[1, 2]) -> [{solver: a, threads: 1}, {a, 2}, {b, 1}, {b, 2}]."""
    keys = list(axes)
    return [dict(zip(keys, values)) for values in itertools.product(*(axes[k] for k in keys))]


def interleaved(cells, repeats, run_one, before_round=None):
    """Runs every cell once per round for `repeats` rounds, every other round in
    reverse order, so drift in the machine's load meets all cells alike and
    neighbouring cells swap places. run_one(cell, round) -> dict (or None to
    skip); before_round(round) -> dict of facts about the round (e.g. the
    cores' round trip) or None. Returns one record per run: the cell's keys,
    `round`, the round's facts and run_one's fields, in time order."""
    records = []
    for r in range(repeats):
        facts = before_round(r) if before_round else None
        for cell in (cells if r % 2 == 0 else cells[::-1]):
            out = run_one(cell, r)
            if out is None:
                continue
            rec = dict(cell, round=r)
            rec.update(facts or {})
            rec.update(out)
            records.append(rec)
    return records


def median(xs):
    """statistics.median of the known values; None when there are none."""
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


# --------------------------------------------------------------------------- traces
def read_trace(path, skip_start=False):
    """The CLI's --trace CSV as {column: numpy array} (empty or "null" cells
    are NaN); None when the file is missing, unreadable or has no rows.
    skip_start drops the points before the first update (w = 0 at t = 0),
    which must not count as reaching a target or as a best objective."""
    import numpy as np
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError:
        return None
    if len(rows) < 2:
        return None
    header = rows[0]

    def num(v):
        try:
            return float(v)
        except ValueError:
            return float("nan")
    cols = {k: np.array([num(r[i]) if i < len(r) else float("nan") for r in rows[1:]])
            for i, k in enumerate(header)}
    if skip_start and "updates" in cols:
        keep = cols["updates"] > 0
        cols = {k: v[keep] for k, v in cols.items()}
    return cols


def time_to_target(trace, target, column="suboptimality", skip_start=False):
    """The first trace point at which `column` <= target: dict(index, seconds,
    epoch) (solver seconds and epochs at that point), or None when never
    reached. trace: a read_trace dict or a path. skip_start ignores the points
    at epoch 0."""
    import numpy as np
    t = read_trace(trace) if isinstance(trace, str) else trace
    if t is None or column not in t:
        return None
    hit = t[column] <= target
    if skip_start and "epoch" in t:
        hit &= t["epoch"] > 0
    idx = np.nonzero(hit)[0]
    if len(idx) == 0:
        return None
    i = int(idx[0])
    return dict(index=i, seconds=float(t["seconds"][i]), epoch=float(t["epoch"][i]) if "epoch" in t else None)


# --------------------------------------------------------------------------- reports
def fmt(v, spec="%.3g"):
    """A number for a table: `spec`, or "-" for None."""
    return "-" if v is None else spec % v


def span(xs, spec):
    """The range of the values that are not None: "a-b", "a" for one, "-" for none."""
    xs = [x for x in xs if x is not None]
    return "-" if not xs else (spec % xs[0] if len(xs) == 1 else (spec + "-" + spec) % (min(xs), max(xs)))


def replot(a, write_outputs):
    """--replot: redo the outputs from OUT/PREFIX.json (no runs); returns what
    write_outputs returns."""
    base = os.path.join(a.out, a.prefix)
    with open(base + ".json") as f:
        old = json.load(f)
    return write_outputs(base, a.prefix, old["meta"], old["runs"])


def check_binary(ap, a):
    """Makes a.binary absolute; an error naming it when it is not an executable file."""
    a.binary = os.path.abspath(a.binary)
    if not os.access(a.binary, os.X_OK):
        ap.error("--binary %s: not an executable file" % a.binary)
def listed(ap, flag, text, known):
    """A comma-separated option as a list, every item one of `known`; ap.error
    naming the option, the item and what is known otherwise."""
    items = [x for x in text.split(",") if x]
    for x in items:
        if x not in known:
            ap.error("%s: unknown %r (have %s)" % (flag, x, ",".join(known)))
    return items


def per_key(ap, flag, text, keys, defaults, cast, what):
    """An option "V" (every key) or "key=V,..." (per key) over `keys`, on top of `defaults`
    (key -> value): the dict; ap.error naming the item for a value `cast` refuses or an unknown
    key. `what` names the values in messages ("a number", "an integer")."""
    out = dict(defaults)
    for item in (text or "").split(","):
        if not item:
            continue
        k, _, v = item.rpartition("=")
        try:
            x = cast(v)
        except ValueError:
            ap.error("%s: %r is not %s (V or key=V)" % (flag, item, what))
        if k and k not in keys:
            ap.error("%s: unknown %r (have %s)" % (flag, k, ",".join(keys)))
        for key in ([k] if k else keys):
            out[key] = x
    return out


def csv_cell(v, float_format="%.10g"):
    """One CSV cell: '' for None, lists joined by ';', floats in float_format."""
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        return ";".join(str(csv_cell(x, "%.6g")) for x in v)
    if isinstance(v, float):
        return float_format % v
    return v


def write_csv(path, rows, cols=None, float_format="%.10g"):
    """Rows (dicts) as CSV; cols defaults to the keys of the first row."""
    cols = cols or (list(rows[0]) if rows else [])
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for r in rows:
            w.writerow([csv_cell(r.get(c), float_format) for c in cols])


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, default=str)
        f.write("\n")


def write_markdown(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def md_table(header, rows):
    """A markdown table: header (list of str), rows (lists of cells, str() each)."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join("-" if c is None else str(c) for c in r) + " |" for r in rows]
    return out


def machine_text(m):
    """'CPU, N cores, Linux K, Python P (numpy, scikit-learn); date' for a markdown header."""
    extra = "".join(", %s %s" % (k, m[k]) for k in ("numpy", "sklearn") if m.get(k))
    return "%s, %s cores, Linux %s, Python %s%s; %s" % (m["cpu"], m["cores"], m.get("kernel", "?"),
                                                         m.get("python", "?"), extra, m["date"])


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def panels(n, ncol, width, height):
    """A figure of n panels in rows of ncol, unused panels hidden: (fig, list of n axes)."""
    plt = pyplot()
    ncol = max(1, min(n, ncol))
    nrow = (n + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(width * ncol, height * nrow), squeeze=False)
    flat = [a for row in axes for a in row]
    for ax in flat[n:]:
        ax.axis("off")
    return fig, flat[:n]


def save_figure(fig, path, dpi=100):
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)


def write_report(base, md_lines, goals):
    """Writes BASE.md and prints the goal lines and what was written."""
    write_markdown(base + ".md", md_lines)
    print("\n".join(goals))
    print("wrote %s.{csv,json,md,png}" % base)
