"""The fault suite's invariant checks can fail: each is fed a registry (an SQLite file with the
tables they read) or a log that breaks it, and one that keeps it. No broker, no database."""

import json
import os
import sqlite3
import tempfile
import unittest

import faultlib as fl

TABLES = """
CREATE TABLE namespaces (n INTEGER, account_id TEXT, client_ref TEXT, state TEXT);
CREATE TABLE free_ranges (lo INTEGER, hi INTEGER);
CREATE TABLE quarantine (n INTEGER);
CREATE TABLE events (id INTEGER PRIMARY KEY, at INTEGER, n INTEGER, type TEXT, detail TEXT,
                     request_id TEXT);
"""


class FakeLoad:
    def __init__(self, acked=None, ops=()):
        self.acked = acked or {}
        self.ops = list(ops)


def op(status, start, kind="register", body=""):
    o = fl.Op(kind, "b1", "gen-001", "r")
    o.status, o.start, o.end, o.body = status, start, start + 0.1, body
    return o


class FakeBroker:
    def __init__(self, name, lines):
        self.name, self.lines = name, lines


def pass_line(epoch, s, e, outcome="ok"):
    return (f"2026-12-06T09:00:00Z info reconcile: pass epoch={epoch} started_ms={s} "
            f"ended_ms={e} outcome={outcome}\n")


class Checks(unittest.TestCase):
    def setUp(self):
        fd, self.path = tempfile.mkstemp(suffix=".db")
        os.close(fd)
        self.addCleanup(os.unlink, self.path)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(TABLES)
        self.view = fl.SqliteView(self.path)

    def rows(self, table, *rows):
        q = ",".join("?" * len(rows[0]))
        self.db.executemany(f"INSERT INTO {table} VALUES ({q})", rows)
        self.db.commit()

    def verdict(self, fn, *args):
        v = fl.Verdict()
        fn(v, *args)
        self.assertEqual(len(v.items), 1, v.items)
        return v.items[0][1], v.items[0][2]

    def test_cover(self):
        self.rows("namespaces", (1, "a", "r1", "active"), (3, "a", "r3", "released"))
        self.rows("quarantine", (2,))
        self.rows("free_ranges", (3, fl.FREE_TOP))
        self.assertEqual(self.verdict(fl.check_cover, self.view)[0], True)
        self.rows("namespaces", (3, "a", "r4", "pending"))          # held and free
        ok, why = self.verdict(fl.check_cover, self.view)
        self.assertFalse(ok)
        self.assertIn("overlaps", why)

    def test_cover_gap(self):
        self.rows("free_ranges", (1, 4), (6, fl.FREE_TOP))          # 5 lost
        ok, why = self.verdict(fl.check_cover, self.view)
        self.assertFalse(ok)
        self.assertIn("gap 5..5", why)

    def test_unique_n(self):
        self.rows("namespaces", (1, "a", "r1", "active"), (1, "b", "r2", "released"))
        self.assertTrue(self.verdict(fl.check_unique_n, self.view)[0])
        self.rows("namespaces", (1, "b", "r3", "pending"))
        self.assertFalse(self.verdict(fl.check_unique_n, self.view)[0])

    def test_acked(self):
        self.rows("namespaces", (1, "500000000001", "r1", "active"),
                  (2, "500000000001", "r2", "released"))
        ids = {"gen-001": "500000000001"}
        self.assertTrue(self.verdict(fl.check_acked, self.view,
                                     FakeLoad({("gen-001", "r1"): 1}), ids)[0])
        for acked in ({("gen-001", "r1"): 3}, {("gen-001", "r2"): 2}):   # moved; released
            self.assertFalse(self.verdict(fl.check_acked, self.view, FakeLoad(acked), ids)[0])

    def test_passes(self):
        ok, why = self.verdict(fl.check_passes, [FakeBroker("b1", ["serving on ...\n"])])
        self.assertFalse(ok)
        self.assertIn("no pass log lines", why)
        good = [FakeBroker("b1", [pass_line(1, 100, 200), pass_line(2, 300, 400, "fenced")]),
                FakeBroker("b2", [pass_line(2, 250, 500)])]
        self.assertTrue(self.verdict(fl.check_passes, good)[0])
        bad = [FakeBroker("b1", [pass_line(1, 100, 200)]),
               FakeBroker("b2", [pass_line(2, 150, 250)])]
        ok, why = self.verdict(fl.check_passes, bad)
        self.assertFalse(ok)
        self.assertIn("overlapping", why)
        split = [FakeBroker("b1", [pass_line(3, 100, 200)]),
                 FakeBroker("b2", [pass_line(3, 300, 400)])]
        self.assertFalse(self.verdict(fl.check_passes, split)[0])

    def test_5xx_after(self):
        windows = [(10.0, 12.0), (20.0, 22.0)]
        quiet = FakeLoad(ops=[op(503, 11.0), op(503, 21.5), op(201, 13.0), op(409, 14.0)])
        self.assertTrue(self.verdict(fl.check_no_5xx_after, quiet, windows)[0])
        late = FakeLoad(ops=[op(503, 12.5)])
        self.assertFalse(self.verdict(fl.check_no_5xx_after, late, windows)[0])
        # started after the first fault, still running when the second began: excused
        overlapping = op(503, 19.5)
        overlapping.end = 20.5
        self.assertTrue(self.verdict(fl.check_no_5xx_after, FakeLoad(ops=[overlapping]),
                                     windows)[0])
        lasting = FakeLoad(ops=[op(500, 30.0)])
        self.assertFalse(self.verdict(fl.check_no_5xx_after, lasting, [(5.0, 5.0)])[0])

    def test_db_address(self):
        clean = FakeLoad(ops=[op(503, 1, body='{"error":{"code":"internal","message":'
                                                '"registry unavailable (request id x)"}}')])
        self.assertTrue(self.verdict(fl.check_no_db_address, clean)[0])
        for leak in ("postgresql:///db?host=/tmp/vpcpeer-pg.abc", "host=10.0.0.5 port=5432",
                     "sqlite:/var/lib/vpcpeer/registry.db: disk full"):
            self.assertFalse(self.verdict(fl.check_no_db_address,
                                          FakeLoad(ops=[op(503, 1, body=leak)]))[0], leak)

    def test_reconciler_released_live(self):
        d = lambda frm: json.dumps({"from": frm, "to": "releasing"})  # noqa: E731
        self.rows("events",
                  (1, 100, 5, "allocated", "{}", "req-1"),
                  (2, 103, 5, "releasing", d("pending"), "reconcile"),   # expired: fine
                  (3, 104, 5, "allocated", "{}", "req-2"),
                  (4, 105, 5, "releasing", d("pending"), "reconcile"),   # fresh: bad
                  (5, 106, 6, "releasing", d("active"), "reconcile"),    # active: bad
                  (6, 106, 7, "releasing", d("active"), "req-3"))        # the client's own
        bad, count = fl.reconciler_released_live(self.view, 2)
        self.assertEqual(count, 3)
        self.assertEqual([(b[0], b[1]) for b in bad], [(5, "pending"), (6, "active")])

    def test_lease(self):
        self.db.executescript("CREATE TABLE leader_lease (name TEXT, holder TEXT, "
                              "epoch INTEGER, expires_ms INTEGER);")
        past = int((fl.now() - 5) * 1000)
        self.rows("leader_lease", ("reconciler", "b1", 3, past))
        self.assertTrue(self.verdict(fl.check_lease, self.view)[0])
        self.db.execute("UPDATE leader_lease SET expires_ms = ?", (int((fl.now() + 60) * 1000),))
        self.db.commit()
        self.assertFalse(self.verdict(fl.check_lease, self.view)[0])


if __name__ == "__main__":
    unittest.main()
