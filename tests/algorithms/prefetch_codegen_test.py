#!/usr/bin/python3
"""Codegen guard: the asynchronous solvers' row prefetches must survive
optimisation. GCC treats __builtin_prefetch as free of side effects, so a
prefetch wrapped in a function it does not inline early is dead code to it;
that silently removed every prefetch of hogwild and svrg once (one thread's
hogwild fell to 0.82-0.84x of the plain SGD loop). kernels::PrefetchRow and
RowSchedule::PrefetchAhead are force-inlined; this test checks the objects.

Usage: prefetch_codegen_test.py LIBRARY.a  (x86-64, optimised GCC builds)
"""
import re
import subprocess
import sys


def main():
    lib = sys.argv[1]
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", lib], capture_output=True,
                         text=True, check=True).stdout
    # An archive dump is a sequence of "<member>.o:     file format ..." sections.
    members = re.split(r"^(?=\S+\.o:\s+file format)", out, flags=re.M)
    failures = []
    for name in ("hogwild.cpp.o", "svrg.cpp.o"):
        text = next((m for m in members if m.startswith(name)), None)
        if text is None:
            failures.append("%s: not found in %s" % (name, lib))
            continue
        count = len(re.findall(r"\bprefetcht0\b", text))
        print("%s: %d prefetcht0 instructions" % (name, count))
        if count == 0:
            failures.append("%s has no prefetch instruction: the row prefetch was optimised away"
                            % name)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
