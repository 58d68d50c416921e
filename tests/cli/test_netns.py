"""Multi-host on one machine (issue 15, section 4): the MPI ranks of
`asyncopt train --transport mpi` in two network namespaces joined by a veth
pair, so every worker<->master byte crosses a network interface.

Namespace A holds mpirun and rank 0 (the master), namespace B ranks 1..2
(the workers). Open MPI's TCP BTL and its rsh launcher carry the job: the
launcher's "ssh" is a two-line script that runs the remote command under
`ip netns exec B`, and the hostfile names the two veth addresses. The
transport's own counts (summary bytes_sent, bytes_returned) are compared
with the veth's tx/rx byte counters read inside A before and after.

Needs root (or CAP_SYS_ADMIN + CAP_NET_ADMIN): skipped, with the reason,
when `ip netns add` is refused. Only names and a subnet the test picks
(random suffix, an unused 10.213.x.0/24) are created, and they are deleted
at the end, also after a failure or a partial setup.
"""
import ipaddress
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

BIN = os.environ.get("ASYNCOPT_BIN", "asyncopt")
MPIEXEC = os.environ.get("ASYNCOPT_MPIEXEC", "mpirun")
MPIEXEC_FLAGS = os.environ.get("ASYNCOPT_MPIEXEC_FLAGS",
                               "--allow-run-as-root --oversubscribe --bind-to none").split()
IP = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin:/usr/bin:/bin")
NETNS_DIR = os.path.realpath("/var/run/netns")  # where iproute2 keeps named namespaces

COMMAND_TIMEOUT = 15  # seconds, any one `ip` command
RUN_TIMEOUT = 60      # seconds, one mpirun

# What the interface may carry beyond the transport's bytes, per direction.
# Measured (soda and dave-pg, 30 epochs, traced at the start and the end
# only): 1.5-7 % more, i.e. 15-38 KB on 0.55-1.45 MB; a 1-epoch run carries
# ~12 KB each way with almost no transport bytes (launch, modex, the setup
# collectives, TCP/IP headers and ACKs). The bound leaves ~2x headroom on
# the overhead while a doubled or a quarter-missing count still fails.
# Traced every epoch, the A->B direction carries ~2x bytes_returned: each
# trace point sends w to every worker (a kEvaluate control packet, not
# counted in bytes_returned), so the runs here trace only twice.
RATIO_BOUND = 1.15
SLACK_BYTES = 96 * 1024


def run(command, check=True, timeout=COMMAND_TIMEOUT):
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (" ".join(command), proc.returncode,
                                                  proc.stderr.strip()))
    return proc


def used_networks():
    """The IPv4 addresses and routes of the root namespace and of every named
    one: a subnet overlapping none of them collides with nothing here."""
    nets = []
    names = [line.split()[0] for line in run([IP, "netns", "list"]).stdout.splitlines()
             if line.strip()]
    for name in [None] + names:
        prefix = [IP] + (["-n", name] if name else [])
        addrs = run(prefix + ["-j", "-4", "addr", "show"], check=False).stdout
        for link in json.loads(addrs or "[]"):
            for a in link.get("addr_info", []):
                nets.append(ipaddress.ip_network("%s/%s" % (a["local"], a["prefixlen"]),
                                                 strict=False))
        routes = run(prefix + ["-j", "-4", "route", "show", "table", "all"], check=False).stdout
        for r in json.loads(routes or "[]"):
            dst = r.get("dst")
            if dst and dst != "default":
                try:
                    nets.append(ipaddress.ip_network(dst, strict=False))
                except ValueError:
                    pass
    return nets


def pick_subnet():
    used = used_networks()
    candidates = list(range(1, 255))
    random.shuffle(candidates)
    for x in candidates[:64]:
        net = ipaddress.ip_network("10.213.%d.0/24" % x)
        if not any(net.overlaps(u) for u in used):
            return net
    return None


class NetnsTest(unittest.TestCase):
    """Two namespaces, one veth pair, ranks split across it."""

    def setUp(self):
        if os.environ.get("ASYNCOPT_SANITIZER"):
            self.skipTest("sanitizer build: Open MPI is not instrumented (no MPI there)")
        if not IP:
            self.skipTest("no `ip` (iproute2) on PATH")
        try:
            version = run([MPIEXEC, "--version"], check=False).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            self.skipTest("%s --version: %s" % (MPIEXEC, e))
        if "Open MPI" not in version and "OpenRTE" not in version:
            self.skipTest("the launch options here are Open MPI's; %s is not Open MPI" % MPIEXEC)

        self.folder = tempfile.mkdtemp(prefix="asyncopt-netns-")
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
        self.netns_dir_existed = os.path.isdir(NETNS_DIR)
        self.namespaces = []  # the ones created, for the cleanup
        self.addCleanup(self.tear_down_network)

        suffix = secrets.token_hex(4)
        self.ns_a, self.ns_b = "aoA" + suffix, "aoB" + suffix
        self.if_a, self.if_b = "aoa" + suffix, "aob" + suffix  # 11 characters (< IFNAMSIZ)
        net = pick_subnet()
        if net is None:
            self.skipTest("no unused 10.213.x.0/24 subnet found")
        self.subnet = str(net)
        self.addr_a, self.addr_b = str(net[1]), str(net[2])

        probe = run([IP, "netns", "add", self.ns_a], check=False)
        if probe.returncode != 0:
            self.skipTest("`ip netns add` refused (needs root or CAP_SYS_ADMIN): " +
                          probe.stderr.strip())
        self.namespaces.append(self.ns_a)
        run([IP, "netns", "add", self.ns_b])
        self.namespaces.append(self.ns_b)
        # Created straight into the namespaces: the root namespace never sees it.
        run([IP, "link", "add", self.if_a, "netns", self.ns_a, "type", "veth",
             "peer", "name", self.if_b, "netns", self.ns_b])
        for ns, link, addr in ((self.ns_a, self.if_a, self.addr_a),
                               (self.ns_b, self.if_b, self.addr_b)):
            # No IPv6 link-local address: no neighbour discovery on the wire.
            run([IP, "-n", ns, "link", "set", "dev", link, "addrgenmode", "none"])
            run([IP, "-n", ns, "addr", "add", addr + "/24", "dev", link])
            run([IP, "-n", ns, "link", "set", "dev", "lo", "up"])
            run([IP, "-n", ns, "link", "set", "dev", link, "up"])

        self.agent = os.path.join(self.folder, "netns-rsh")
        with open(self.agent, "w") as f:
            f.write('#!/bin/sh\nshift; exec %s netns exec %s /bin/sh -c "$*"\n' % (IP, self.ns_b))
        os.chmod(self.agent, 0o755)
        self.hostfile = os.path.join(self.folder, "hosts")
        with open(self.hostfile, "w") as f:
            f.write("%s slots=1\n%s slots=2\n" % (self.addr_a, self.addr_b))
        self.data = os.path.join(self.folder, "x.svm")
        run([BIN, "generate", "--kind", "powerlaw", "--rows", "5000", "--dim", "2000",
             "--nnz-per-row", "20", "--out", self.data], timeout=60)

    def kill_namespace_processes(self):
        for ns in self.namespaces:
            pids = run([IP, "netns", "pids", ns], check=False).stdout.split()
            for pid in pids:  # only ever processes this test started there
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ValueError, ProcessLookupError):
                    pass

    def tear_down_network(self):
        """Deletes whatever of the setup exists; tolerates a partial one."""
        problems = []
        try:
            self.kill_namespace_processes()
        except Exception as e:  # the deletions below still run
            problems.append("killing the namespaces' processes: %s" % e)
        if self.namespaces:
            run([IP, "-n", self.ns_a, "link", "del", self.if_a], check=False)
        for ns in reversed(self.namespaces):
            proc = run([IP, "netns", "del", ns], check=False)
            if proc.returncode != 0:
                problems.append("ip netns del %s: %s" % (ns, proc.stderr.strip()))
        left = [line.split()[0] for line in run([IP, "netns", "list"], check=False)
                .stdout.splitlines() if line.strip()]
        problems += ["namespace %s still exists" % ns for ns in self.namespaces if ns in left]
        # `ip netns add` made NETNS_DIR (a bind mount of itself) if it was not
        # there: undone when no namespace is left in it. A busy or non-empty
        # one (another user's namespaces) is left alone.
        if not self.netns_dir_existed and os.path.isdir(NETNS_DIR) and not os.listdir(NETNS_DIR):
            run(["umount", NETNS_DIR], check=False)
            try:
                os.rmdir(NETNS_DIR)
            except OSError:
                pass
        if problems:
            raise AssertionError("cleanup: " + "; ".join(problems))

    def counters(self, ns, link):
        base = "/sys/class/net/%s/statistics/" % link
        out = run([IP, "netns", "exec", ns, "cat", base + "tx_bytes", base + "rx_bytes"]).stdout
        tx, rx = (int(v) for v in out.split())
        return tx, rx

    def mpirun(self, solver, summary):
        command = [IP, "netns", "exec", self.ns_a, MPIEXEC] + MPIEXEC_FLAGS + [
            "-np", "3", "--hostfile", self.hostfile,
            "--mca", "plm_rsh_agent", self.agent,
            "--mca", "btl", "tcp,self",
            "--mca", "oob_tcp_if_include", self.subnet,
            "--mca", "btl_tcp_if_include", self.subnet,
            BIN, "train", "--transport", "mpi", "--solver", solver, "--data", self.data,
            "--l1", "1e-4", "--l2", "1e-3", "--max-epochs", "30", "--trace-every", "30",
            "--f-star", "skip", "--peer-timeout", "20", "--quiet", "--summary", summary]
        env = dict(os.environ, TMPDIR=self.folder)  # Open MPI's session files go here
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            self.kill_namespace_processes()
            out, err = proc.communicate(timeout=COMMAND_TIMEOUT)
            self.fail("mpirun across namespaces did not end in %d s: %s\n%s\n%s" %
                      (RUN_TIMEOUT, " ".join(command), out, err))
        return command, proc.returncode, out, err

    def test_transport_bytes_cross_the_veth(self):
        for solver in ("soda", "dave-pg"):
            with self.subTest(solver=solver):
                summary = os.path.join(self.folder, solver + ".json")
                a_before = self.counters(self.ns_a, self.if_a)
                b_before = self.counters(self.ns_b, self.if_b)
                start = time.monotonic()
                command, code, out, err = self.mpirun(solver, summary)
                seconds = time.monotonic() - start
                a_after = self.counters(self.ns_a, self.if_a)
                b_after = self.counters(self.ns_b, self.if_b)
                self.assertEqual(code, 0, "%s\n%s\n%s" % (" ".join(command), out, err))
                with open(summary) as f:
                    s = json.load(f)
                self.assertEqual(s["status"], "max_epochs")
                self.assertEqual(s["transport"], "mpi")
                self.assertEqual(s["ranks"], 3)
                a_to_b = a_after[0] - a_before[0]  # master -> workers on the wire
                b_to_a = a_after[1] - a_before[1]  # workers -> master
                sys.stderr.write(
                    "\n%s: %.2f s; workers->master: transport %d, veth %d (B tx %d), x%.3f; "
                    "master->workers: transport %d, veth %d (B rx %d), x%.3f\n" %
                    (solver, seconds, s["bytes_sent"], b_to_a, b_after[0] - b_before[0],
                     b_to_a / max(1, s["bytes_sent"]), s["bytes_returned"], a_to_b,
                     b_after[1] - b_before[1], a_to_b / max(1, s["bytes_returned"])))
                # The run did exchange: 30 epochs of 5000 rows move hundreds of KB.
                self.assertGreater(s["bytes_sent"], 100_000)
                self.assertGreater(s["bytes_returned"], 100_000)
                # Every counted byte went over the veth (so the workers really
                # ran in B), and the wire carried little beyond it.
                for what, wire, counted in (("workers->master", b_to_a, s["bytes_sent"]),
                                            ("master->workers", a_to_b, s["bytes_returned"])):
                    self.assertGreaterEqual(wire, counted, "%s: the veth carried fewer bytes "
                                            "than the transport counted" % what)
                    self.assertLess(wire, RATIO_BOUND * counted + SLACK_BYTES,
                                    "%s: the veth carried %d bytes for %d counted" %
                                    (what, wire, counted))


if __name__ == "__main__":
    unittest.main()
