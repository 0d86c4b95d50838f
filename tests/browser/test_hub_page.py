"""The hub page (issue 17) in a real browser: Debian's headless Chromium loads /admin/ from
a broker against awsenv (tests/e2e/broker_harness.py) and the test reads what a person
would see (the DOM after the page's scripts ran): the table's rows, a gauge's value, an
event, the last reconciler pass, the picture. A screenshot of each page is kept as a test
artifact in $VPCPEER_ARTIFACTS (ctest: the build directory's browser-artifacts/).

No WebDriver and nothing from npm: `chromium --headless --dump-dom` with a virtual-time
budget runs the page's fetches and timers, and the page marks itself ready
(<body data-ready="N"> after its N-th complete refresh). Without chromium the test is
skipped with the reason, and fails under CI=true.
"""

import html.parser
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from broker_harness import CLIENTS, HUB_CIDR, E2ECase, plan_of  # noqa: E402

HOSTILE_REF = "<script>alert('ref')</script>"
HOSTILE_LABEL = '"><img src=x onerror=alert(1)>'


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI") == "true":
        raise AssertionError("chromium is missing (scripts/setup installs Debian's chromium)")
    raise unittest.SkipTest("no chromium on PATH (apt-get install chromium)")


def artifacts_dir():
    d = os.environ.get("VPCPEER_ARTIFACTS") or os.path.join(ROOT, "build", "browser-artifacts")
    os.makedirs(d, exist_ok=True)
    return d


class Dom(html.parser.HTMLParser):
    """What the page shows, from the DOM Chromium dumps: every element's text by id, the
    rows of the two tables, the gauges, the picture's shapes."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.stack = []        # open elements: (tag, attrs)
        self.ready = 0
        self.mode = None
        self.rows = {"ns-rows": [], "event-rows": []}
        self.gauges = {}       # name -> its figure text
        self.text_of = {}      # id -> text
        self.shapes = {"ns": 0, "account": 0}
        self.scripts = []      # the src of every <script>
        self._row = None
        self._cell = None
        self._gauge = None
        self._figure = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.ready = int(a.get("data-ready") or 0)
        if tag == "svg" and a.get("id") == "picture":
            self.mode = a.get("data-mode")
        if tag == "g" and a.get("class") in self.shapes:
            self.shapes[a["class"]] += 1
        if tag == "script":
            self.scripts.append(a.get("src"))
        if tag == "tr" and self.stack and self.stack[-1][1].get("id") in self.rows:
            self._row = (self.stack[-1][1]["id"], [])
        if tag == "td" and self._row is not None:
            self._cell = []
        if tag == "div" and "gauge" in (a.get("class") or "").split():
            self._gauge = a.get("data-gauge")
        if tag == "span" and a.get("class") == "figure":
            self._figure = True
        if tag not in ("meta", "link", "input", "br", "img"):
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row[1].append("".join(self._cell))
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows[self._row[0]].append(self._row[1])
            self._row = None
        if tag == "span":
            self._figure = False
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._figure and self._gauge:
            self.gauges[self._gauge] = self.gauges.get(self._gauge, "") + data
        for _, a in self.stack:
            if a.get("id"):
                self.text_of[a["id"]] = self.text_of.get(a["id"], "") + data


class HubPageCase(E2ECase):
    def browse(self, url, name, budget_ms=12000):
        """The page's DOM after its scripts ran, and a screenshot NAME.png."""
        exe = chromium()
        profile = os.path.join(self.workdir, "chromium-" + name)
        common = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
                  f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                  "--window-size=1440,1400"]
        out = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True,
                             timeout=180)
        self.assertEqual(out.returncode, 0, out.stderr[-2000:])
        shot = os.path.join(artifacts_dir(), name + ".png")
        subprocess.run(common + [f"--screenshot={shot}", url], capture_output=True,
                       timeout=180, check=True)
        self.assertTrue(os.path.getsize(shot) > 10000, "the screenshot is empty")
        dom = Dom(out.stdout)
        self.assertGreaterEqual(dom.ready, 1, "the page never finished a refresh: " +
                                dom.text_of.get("status", "")[:300])
        return dom


class TestHubPage(HubPageCase):
    def test_a_hub_with_a_few_dozen_namespaces(self):
        # Broker mode (it accepts the peerings itself); a pass every 2 s for "last pass".
        b = self.start_broker(["--max-namespaces-per-account", "0", "--quarantine", "0",
                               "--reconcile-interval", "2"], accepter=None)
        made = []
        for i in range(30):
            who = CLIENTS[i % len(CLIENTS)]
            ref = HOSTILE_REF if i == 0 else f"stack-{i:02d}"
            labels = {"team": HOSTILE_LABEL if i == 0 else ("red" if i % 2 else "blue")}
            r = b.api.register(who, ref, labels=labels)
            self.assertStatus(r, 201)
            made.append((who, r.json))
        for who, ns in made[:10]:                     # ten active
            vpc, pcx = self._request(who, ns)
            self.assertStatus(b.api.confirm(who, ns["NamespaceId"], pcx, vpc), 200)
        for who, ns in made[25:]:                     # five released
            self.assertStatus(b.api.release(who, ns["NamespaceId"]), 200)
        b.wait_log(r"reconcile: pass .*outcome=", timeout=60)

        dom = self.browse(b.metrics_url + "/admin/", "hub-page")
        rows = dom.rows["ns-rows"]
        self.assertEqual(len(rows), 25, rows)        # the live ones, one page
        by_n = {int(r[0]): r for r in rows}
        first = made[0][1]
        self.assertEqual(by_n[first["NamespaceId"]][3], HOSTILE_REF)   # shown as text
        self.assertIn(HOSTILE_LABEL, by_n[first["NamespaceId"]][7])
        self.assertEqual(by_n[made[1][1]["NamespaceId"]][1], "active")
        self.assertEqual(by_n[made[1][1]["NamespaceId"]][4], made[1][1]["VpcCidrBlock"])
        self.assertEqual(by_n[made[20][1]["NamespaceId"]][1], "pending")
        self.assertEqual(dom.scripts, ["app.js"])   # the hostile values made no element
        self.assertEqual(dom.gauges.get("namespaces"), "25 / 50")
        self.assertEqual(dom.gauges.get("routes"), "10 / 50")
        types = [r[1] for r in dom.rows["event-rows"]]
        self.assertIn("released", types)
        self.assertEqual(dom.mode, "each")
        self.assertEqual(dom.shapes["ns"], 25)
        self.assertIn("Pass finished", dom.text_of.get("last-pass", ""))
        self.assertIn(HUB_CIDR, dom.text_of["hub-name"])

        # The filters, as a person would use them: through the page's own query.
        dom = self.browse(b.metrics_url + "/admin/?state=active&label=team%3Dred", "filtered")
        want = sorted(ns["NamespaceId"] for _, ns in made[:10]
                      if ns["Labels"].get("team") == "red")
        self.assertEqual(sorted(int(r[0]) for r in dom.rows["ns-rows"]), want)

        # The page is the admin listener's alone.
        self.assertStatus(b.api.request("GET", "/admin/"), 404)
        self.assertStatus(b.api.request("GET", "/admin/api/summary"), 404)
        # GET /v1/events: an admin's with a proof; a client's is refused.
        r = b.api.request("GET", f"/v1/events?n={first['NamespaceId']}&limit=5", who="hub")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["Events"][-1]["Type"], "allocated")
        self.assertStatus(b.api.request("GET", "/v1/events", who="client-b"), 403)

    def _request(self, who, ns):
        c = self.client(who)
        vpc = c.create_vpc(ns["VpcCidrBlock"])
        return vpc, c.request_peering(vpc, ns)


class TestHubPageAtScale(HubPageCase):
    """5,000 namespaces (the transit-gateway mode's scale), written straight into the
    SQLite registry the broker then opens: the page loads, the picture aggregates by
    account and state, the table pages."""

    COUNT = 5000

    def test_five_thousand_namespaces(self):
        b = self.start_broker(["--reconcile-interval", "0"], accepter=None)
        db = b.db[len("sqlite:"):]
        self.brokers.remove(b)
        self.assertEqual(b.stop(), [])   # the schema is made: now the rows
        accounts = [f"5{i:011d}" for i in range(1, 41)]
        now = int(time.time())
        with sqlite3.connect(db) as con:
            for a in accounts:
                con.execute("INSERT OR IGNORE INTO accounts (account_id, created_at, updated_at)"
                            " VALUES (?, ?, ?)", (a, now, now))
            states = ["active"] * 6 + ["pending"] * 3 + ["failed"]
            rows = []
            for n in range(1, self.COUNT + 1):
                state = states[(n + n // len(accounts)) % len(states)]  # mixed per account
                rows.append((n, accounts[n % len(accounts)], f"stack-{n}", state,
                             plan_of(n)[0], json.dumps({"team": f"t{n % 7}"}), now, now))
            con.executemany("INSERT INTO namespaces (n, account_id, client_ref, state, vpc_cidr,"
                            " labels, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)", rows)
        b = self.start_broker(["--reconcile-interval", "0"], accepter=None, db=b.db,
                              name="broker-5000")
        t0 = time.monotonic()
        dom = self.browse(b.metrics_url + "/admin/", "hub-page-5000", budget_ms=20000)
        print(f"\nbrowser: 5,000 namespaces, page loaded and dumped in "
              f"{time.monotonic() - t0:.1f} s", file=sys.stderr)
        self.assertEqual(dom.mode, "aggregate")
        self.assertEqual(dom.shapes["ns"], 0)
        self.assertEqual(dom.shapes["account"], 24)          # 23 accounts + "other"
        self.assertEqual(len(dom.rows["ns-rows"]), 50)       # one page of the table
        self.assertEqual([int(r[0]) for r in dom.rows["ns-rows"]][:3], [1, 2, 3])
        self.assertIn("page 1", dom.text_of.get("page-info", ""))
        self.assertEqual(dom.gauges.get("namespaces"), f"{self.COUNT} / 50")
        self.assertIn("No pass since the broker started", dom.text_of.get("last-pass", ""))
        # The next page, as the page's Next button asks for it.
        with urllib.request.urlopen(b.metrics_url + "/admin/api/namespaces?limit=50") as f:
            page1 = json.load(f)
        with urllib.request.urlopen(b.metrics_url + "/admin/api/namespaces?limit=50&cursor=" +
                                    page1["NextCursor"]) as f:
            page2 = json.load(f)
        self.assertEqual(page2["Namespaces"][0]["NamespaceId"], 51)
        with urllib.request.urlopen(b.metrics_url + "/admin/api/namespaces?limit=1000&q=stack-4999"
                                    ) as f:
            self.assertEqual([ns["NamespaceId"] for ns in json.load(f)["Namespaces"]], [4999])


if __name__ == "__main__":
    unittest.main()
