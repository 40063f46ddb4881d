#!/usr/bin/env python3
"""The Debian package (make deb) and what systemd sees of the master.

The package is built once with CPack from the release tree (build/release,
which make test builds first) into a temporary folder, then: lintian finds
no error and no warning; its contents and control files are the ones
docs/operations.md describes; its units pass systemd-analyze verify and
score OK or better in systemd-analyze security; unpacked with dpkg -x, its
master runs with its own configuration (only paths and ports overridden)
against evgroup-sim, and the nightly backup's command copies its database. The master under a fake systemd: READY=1 once the web
UI listens, WATCHDOG=1 while it runs and not while it is stopped, a restart
(reloading, then ready again), journal priorities on its own stream only. No systemd is needed; loopback only."""

import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_api as ta  # noqa: E402

DEB = None          # the package, built once for every test
PKGDIR = None       # its temporary folder
RELEASE = None      # the release build tree

PROGRAMS = ("evgroup-master", "evgroup-slave", "evgroup-tui", "evgroup-sim")
EXPECTED = {
    "./usr/bin/evgroup-master", "./usr/bin/evgroup-slave",
    "./usr/bin/evgroup-tui", "./usr/bin/evgroup-sim",
    "./usr/share/man/man8/evgroup-master.8.gz",
    "./usr/share/man/man8/evgroup-slave.8.gz",
    "./usr/share/man/man1/evgroup-tui.1.gz",
    "./usr/share/man/man1/evgroup-sim.1.gz",
    "./etc/evgroup/master.ini",
    "./lib/systemd/system/evgroup-master.service",
    "./lib/systemd/system/evgroup-backup.service",
    "./lib/systemd/system/evgroup-backup.timer",
    "./usr/share/doc/evgroup/copyright",
    "./usr/share/doc/evgroup/changelog.gz",
    "./usr/share/doc/evgroup/operations.md",
}


def build_package():
    global DEB, PKGDIR, RELEASE
    if DEB is not None:
        return
    RELEASE = os.path.join(tl.SRC, "build", "release")
    conf = os.path.join(RELEASE, "CPackConfig.cmake")
    if not os.path.exists(conf):
        raise unittest.SkipTest("no release build tree at %s (make test "
                                "builds it first)" % RELEASE)
    PKGDIR = tempfile.mkdtemp(prefix="evg-deb-")
    r = subprocess.run(["cpack", "-G", "DEB", "--config", conf, "-B", PKGDIR],
                       capture_output=True, text=True, timeout=300)
    debs = glob.glob(os.path.join(PKGDIR, "evgroup_*.deb"))
    if r.returncode != 0 or len(debs) != 1:
        raise AssertionError("cpack failed:\n" + r.stdout + r.stderr)
    DEB = debs[0]


def tearDownModule():
    if PKGDIR is not None:
        subprocess.run(["rm", "-rf", PKGDIR])


def run(*argv, **kw):
    return subprocess.run(list(argv), capture_output=True, text=True,
                          timeout=kw.pop("timeout", 120), **kw)


def project_version():
    with open(os.path.join(tl.SRC, "CMakeLists.txt")) as f:
        return re.search(r"project\(evgroup VERSION ([0-9.]+)",
                         f.read()).group(1)


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        build_package()

    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="evg-pkg-")
        self.tmp = self.tmpdir.name

    def tearDown(self):
        self.tmpdir.cleanup()

    def unpack(self):
        root = os.path.join(self.tmp, "root")
        r = run("dpkg", "-x", DEB, root)
        self.assertEqual(r.returncode, 0, r.stderr)
        return root

    def test_name_version_and_lintian(self):
        arch = run("dpkg", "--print-architecture").stdout.strip()
        self.assertEqual(os.path.basename(DEB), "evgroup_%s_%s.deb" % (
            project_version(), arch))
        r = run("lintian", "--fail-on", "error,warning", DEB, timeout=240)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotRegex(r.stdout, r"(?m)^[EW]: ")

    def test_contents_and_control(self):
        r = run("dpkg", "-c", DEB)
        self.assertEqual(r.returncode, 0, r.stderr)
        files = {}
        for line in r.stdout.splitlines():
            mode, owner, _, _, _, path = line.split(None, 5)
            files[path] = (mode, owner)
        self.assertEqual(EXPECTED - set(files), set())
        for p in PROGRAMS:
            self.assertEqual(files["./usr/bin/" + p][0], "-rwxr-xr-x")
        for path, (mode, owner) in files.items():
            self.assertEqual(owner, "root/root", path)
            # nothing in /var: the database is made by the service
            self.assertFalse(path.startswith("./var/"), path)
        fields = run("dpkg-deb", "-f", DEB).stdout
        self.assertRegex(fields, r"(?m)^Package: evgroup$")
        self.assertRegex(fields, r"(?m)^Depends: .*\badduser\b")
        self.assertRegex(fields, r"(?m)^Depends: .*\blibsystemd0\b")
        ctl = os.path.join(self.tmp, "control")
        self.assertEqual(run("dpkg-deb", "-e", DEB, ctl).returncode, 0)
        with open(os.path.join(ctl, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/evgroup/master.ini"])
        for s in ("postinst", "prerm", "postrm"):
            self.assertTrue(os.access(os.path.join(ctl, s), os.X_OK), s)
            self.assertEqual(run("sh", "-n", os.path.join(ctl, s))
                             .returncode, 0, s)
        with open(os.path.join(ctl, "postrm")) as f:
            postrm = f.read()
        # remove keeps the data; purge deletes it and the user
        self.assertRegex(postrm, r'"\$1" = purge \]; then(.|\n)*rm -rf '
                         r'/var/lib/evgroup /etc/evgroup')
        self.assertIn("deluser --system", postrm)

    def test_conffile_every_key_commented(self):
        root = self.unpack()
        ini = os.path.join(root, "etc/evgroup/master.ini")
        with open(ini) as f:
            text = f.read()
        live = [ln for ln in text.splitlines()
                if ln.strip() and not ln.startswith(";")]
        self.assertEqual([ln for ln in live if not ln.startswith("[")],
                         ["database = /var/lib/evgroup/evgroup.db"])
        # the same table as the program's own template
        master = os.path.join(root, "usr/bin/evgroup-master")
        r = run(master, "--print-config", "--set",
                "site.database=/var/lib/evgroup/evgroup.db")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, text)
        for key in ("poll_period", "site_limit", "listen", "ct_rating",
                    "host", "max_current1"):
            self.assertRegex(text, r"(?m)^;%s =" % key)
        r = run(master, "--config", ini, "--check-config")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("configuration OK", r.stdout)
        # a bad --set is refused, nothing printed
        r = run(master, "--print-config", "--set", "site.poll_period=5")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertIn("site.poll_period", r.stderr)

    def test_man_pages(self):
        root = self.unpack()
        env = dict(os.environ, MANPATH=os.path.join(root, "usr/share/man"),
                   MANWIDTH="80", LC_ALL="C.UTF-8")
        for p in PROGRAMS:
            r = run("man", "--warnings", "-E", "UTF-8", p, env=env)
            self.assertEqual(r.returncode, 0, p + r.stderr)
            self.assertEqual(r.stderr, "", p)
            self.assertIn(p.upper(), r.stdout)
            self.assertIn("SYNOPSIS", r.stdout)

    def test_unit_verify_and_security(self):
        root = self.unpack()
        unit = os.path.join(root, "lib/systemd/system/evgroup-master.service")
        with open(unit) as f:
            text = f.read()
        for want in ("Type=notify", "User=evgroup", "WatchdogSec=",
                     "Restart=on-failure", "StateDirectory=evgroup",
                     "ConfigurationDirectory=evgroup",
                     "SupplementaryGroups=dialout", "ProtectSystem=strict",
                     "ProtectHome=yes", "PrivateTmp=yes",
                     "NoNewPrivileges=yes",
                     "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                     "\nCapabilityBoundingSet=\n",
                     "SystemCallFilter=@system-service",
                     "MemoryDenyWriteExecute=yes"):
            self.assertIn(want, text)
        # verify checks the programs exist: the unpacked ones' paths
        os.makedirs(os.path.join(self.tmp, "units"))
        units = ("evgroup-master.service", "evgroup-backup.service",
                 "evgroup-backup.timer")
        here = [os.path.join(self.tmp, "units", u) for u in units]
        for u, path in zip(units, here):
            with open(os.path.join(root, "lib/systemd/system", u)) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace(" /usr/bin/", " %s/usr/bin/" % root)
                        .replace("=/usr/bin/", "=%s/usr/bin/" % root))
        env = dict(os.environ, MANPATH=os.path.join(root, "usr/share/man"))
        r = run("systemd-analyze", "verify", *here, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stderr.strip(), "")
        for u in units[:2]:
            r = run("systemd-analyze", "security", "--offline=yes",
                    "--no-pager", os.path.join(root, "lib/systemd/system", u))
            m = re.search(r"Overall exposure level for %s: ([0-9.]+) (\w+)"
                          % re.escape(u), r.stdout)
            self.assertIsNotNone(m, r.stdout[-2000:] + r.stderr)
            print("\nsystemd-analyze security %s: %s %s" % ((u,) +
                  m.groups()), file=sys.stderr)
            self.assertIn(m.group(2), ("OK", "SAFE", "PERFECT"))

    def test_unpacked_master_runs_the_site(self):
        root = self.unpack()
        procs = []
        try:
            base = tl.free_ports(3)
            simsock = os.path.join(self.tmp, "sim.sock")
            procs.append(tl.Proc(self.tmp, "sim", [
                os.path.join(RELEASE, "sim/evgroup-sim"), "--slaves", "2",
                "--base-port", str(base),
                "--control", simsock]))
            tl.wait_control(simsock)
            port = base + 2
            sets = ["site.database=%s/evgroup.db" % self.tmp,
                    "web.port=%d" % port]
            for i in range(2):
                sets += ["charger%d.host=127.0.0.1" % (i + 1),
                         "charger%d.port=%d" % (i + 1, base + i)]
            argv = [os.path.join(root, "usr/bin/evgroup-master"),
                    "--config", os.path.join(root, "etc/evgroup/master.ini")]
            for s in sets:
                argv += ["--set", s]
            m = tl.Proc(self.tmp, "master", argv)
            procs.append(m)
            m.wait_for(r"web UI on http://127.0.0.1:%d/" % port, 30)
            c = ta.Client(port)
            st, j = c.login("installer", "installer")
            self.assertEqual(st, 200, j)
            st, j, _ = c.call("POST", "/api/password",
                              {"old": "installer", "new": ta.PASSWORD})
            self.assertEqual(st, 200, j)
            deadline = time.monotonic() + 30
            while True:
                st, j, _ = c.call("GET", "/api/status")
                self.assertEqual(st, 200, j)
                online = [ch.get("online") for ch in j["chargers"]]
                if len(online) == 2 and all(online):
                    break
                self.assertLess(time.monotonic(), deadline, json.dumps(j)[:2000])
                time.sleep(0.2)
            self.assertEqual(sorted(ch["name"] for ch in j["chargers"]),
                             ["charger1", "charger2"])
            self.assertTrue(os.path.exists(os.path.join(self.tmp,
                                                        "evgroup.db")))
            # the nightly backup's command, on this database
            with open(os.path.join(root, "lib/systemd/system",
                                   "evgroup-backup.service")) as f:
                cmd = re.search(r"(?m)^ExecStart=/bin/sh -c '(.*)'$",
                                f.read()).group(1)
            os.makedirs(os.path.join(self.tmp, "backups"))
            cmd = cmd.replace("%%", "%").replace("/usr/bin/", root +
                                                 "/usr/bin/")
            cmd = cmd.replace("/etc/evgroup/master.ini", "%s/etc/evgroup/"
                              "master.ini --set site.database=%s/evgroup.db"
                              % (root, self.tmp))
            cmd = cmd.replace("/var/lib/evgroup/backups",
                              os.path.join(self.tmp, "backups"))
            r = run("/bin/sh", "-c", cmd)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("backup of %s/evgroup.db written to" % self.tmp,
                          r.stdout)
            self.assertEqual(len(os.listdir(os.path.join(self.tmp,
                                                         "backups"))), 1)
        finally:
            for p in reversed(procs):
                p.stop()


class NotifyTest(tl.Base):
    """The master under a fake systemd: a datagram socket for its
    notifications, its stderr a file named by JOURNAL_STREAM."""

    def notify_socket(self):
        path = os.path.join(self.tmp, "notify")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        self.addCleanup(s.close)
        return s, path

    def messages(self, s, until, want=None):
        """Datagrams until the monotonic time until (or want is seen)."""
        got = []
        while time.monotonic() < until:
            s.settimeout(max(0.01, until - time.monotonic()))
            try:
                got.append(s.recv(4096).decode())
            except socket.timeout:
                break
            if want is not None and want in got[-1]:
                break
        return got

    def start_master(self, env):
        port = tl.free_port()
        cfg = self.master_config([], poll_period=200)
        log = open(os.path.join(self.tmp, "master.log"), "w")
        self.addCleanup(log.close)
        st = os.fstat(log.fileno())
        env = dict(os.environ, **env)
        env = {k: v.replace("@STDERR@", "%d:%d" % (st.st_dev, st.st_ino))
               for k, v in env.items()}
        p = subprocess.Popen(
            [os.path.join(tl.BIN, "master/evgroup-master"), "--config", cfg,
             "--set", "site.database=" + os.path.join(self.tmp, "e.db"),
             "--set", "web.port=%d" % port], stdout=log, stderr=log,
            env=env)
        self.addCleanup(self.stop, p)
        return p, port

    def stop(self, p):
        if p.poll() is None:
            os.kill(p.pid, signal.SIGCONT)
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)

    def log_text(self):
        with open(os.path.join(self.tmp, "master.log")) as f:
            return f.read()

    def test_ready_watchdog_and_journal_priorities(self):
        s, path = self.notify_socket()
        p, port = self.start_master({"NOTIFY_SOCKET": path,
                                     "WATCHDOG_USEC": "1000000",
                                     "JOURNAL_STREAM": "@STDERR@"})
        got = self.messages(s, time.monotonic() + 60, want="READY=1")
        self.assertTrue(got and "READY=1" in got[-1], got)
        self.assertIn("STATUS=site 'test'", got[-1])
        # ready means the web UI listens
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        # fed four times a watchdog period (1 s) while the loop runs
        got = self.messages(s, time.monotonic() + 3)
        self.assertGreaterEqual(got.count("WATCHDOG=1"), 4, got)
        # a loop that does not run feeds nothing
        os.kill(p.pid, signal.SIGSTOP)
        self.messages(s, time.monotonic() + 0.3)     # what was under way
        got = self.messages(s, time.monotonic() + 2)
        self.assertEqual(got, [])
        os.kill(p.pid, signal.SIGCONT)
        got = self.messages(s, time.monotonic() + 10, want="WATCHDOG=1")
        self.assertIn("WATCHDOG=1", got)
        # a restart from the web UI (execv): reloading, with the watchdog
        # as long as a start may take, then ready with it as it was
        c = ta.Client(port)
        self.assertEqual(c.login("installer", "installer")[0], 200)
        st, j, _ = c.call("POST", "/api/password",
                          {"old": "installer", "new": ta.PASSWORD})
        self.assertEqual(st, 200, j)
        st, j, _ = c.call("POST", "/api/restart")
        self.assertEqual(st, 202, j)
        got = self.messages(s, time.monotonic() + 20, want="RELOADING=1")
        self.assertEqual(got[-1], "RELOADING=1\nWATCHDOG_USEC=300000000")
        got = self.messages(s, time.monotonic() + 60, want="READY=1")
        self.assertTrue(got[-1].startswith(
            "READY=1\nWATCHDOG_USEC=1000000\n"), got)
        got = self.messages(s, time.monotonic() + 10, want="WATCHDOG=1")
        self.assertIn("WATCHDOG=1", got)
        p.terminate()
        got = self.messages(s, time.monotonic() + 20, want="STOPPING=1")
        self.assertIn("STOPPING=1", got)
        self.assertEqual(p.wait(timeout=20), 0)
        text = self.log_text()
        self.assertRegex(text, r"(?m)^<6>[0-9.]+ evgroup-master: info: ")
        self.assertRegex(text, r"(?m)^<4>[0-9.]+ evgroup-master: warning: ")
        self.assertNotRegex(text, r"(?m)^[0-9]")
        self.assertEqual(tl.sanitizer_reports(text), [])

    def test_not_under_systemd_nothing_changes(self):
        s, path = self.notify_socket()
        # a JOURNAL_STREAM inherited from a parent names another stream
        p, port = self.start_master({"JOURNAL_STREAM": "1:2"})
        deadline = time.monotonic() + 60
        while "web UI on" not in self.log_text():
            self.assertLess(time.monotonic(), deadline, self.log_text())
            time.sleep(0.1)
        self.assertEqual(self.messages(s, time.monotonic() + 1), [])
        p.terminate()
        self.assertEqual(p.wait(timeout=20), 0)
        text = self.log_text()
        self.assertRegex(text, r"(?m)^[0-9.]+ evgroup-master: info: ")
        self.assertNotIn("<6>", text)
        self.assertNotIn("systemd", text)
        self.assertEqual(tl.sanitizer_reports(text), [])


class UnitSecurityTest(unittest.TestCase):
    """The exposure levels docs/operations.md gives are measured, not
    copied: systemd-analyze security on the units as packaged (no
    package needed: the files are installed as they are)."""

    def test_figures_in_the_docs_are_measured(self):
        with open(os.path.join(tl.SRC, "docs/operations.md")) as f:
            doc = " ".join(f.read().split())
        said = re.search(r"rates it \*\*([0-9.]+) (\w+)\*\* \(measured with "
                         r"`systemd-analyze security --offline=yes "
                         r"/lib/systemd/system/evgroup-master\.service`, "
                         r"systemd (\d+), on [0-9-]+; `evgroup-backup\.service`: "
                         r"\*\*([0-9.]+) (\w+)\*\*\)", doc)
        self.assertIsNotNone(said, "docs/operations.md: the figure's "
                             "sentence changed")
        r = run("systemd-analyze", "--version")
        version = r.stdout.split()[1] if r.returncode == 0 else "none"
        if version != said.group(3):
            self.skipTest("systemd %s here, the figures are for %s"
                          % (version, said.group(3)))
        for unit, level, word in (
                ("evgroup-master.service", said.group(1), said.group(2)),
                ("evgroup-backup.service", said.group(4), said.group(5))):
            r = run("systemd-analyze", "security", "--offline=yes",
                    "--no-pager", os.path.join(tl.SRC, "config/systemd",
                                               unit))
            m = re.search(r"Overall exposure level for %s: ([0-9.]+) (\w+)"
                          % re.escape(unit), r.stdout)
            self.assertIsNotNone(m, r.stdout[-2000:] + r.stderr)
            self.assertEqual(m.groups(), (level, word), unit)
            self.assertIn(m.group(2), ("OK", "SAFE", "PERFECT"))


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
