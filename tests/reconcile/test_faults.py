"""200 register/confirm/release cycles while awsenv throttles and fails 30% of the hub's AWS
calls (seeded) with added latency, and IAM's propagation delay is on: every cycle ends
correctly or with a clear error, and after one `vpcpeer reconcile --once` nothing is half-done
(docs/reconciler.md)."""

import collections
import threading
import unittest

from rec_harness import HUB, Client, ReconcileCase, check_invariants

CYCLES = 200
WORKERS = 4
CLEAR = {429, 409, 500, 502, 503}   # refusals that carry {"error": {code, message}}


class FaultTest(ReconcileCase):
    awsenv_args = ("--iam-propagation-delay", "0.5", "--seed", "7")
    extra_accounts = 1

    def test_cycles_under_faults(self):
        who = ["client-b", "client-c", "client-d", "gen-1"]
        b = self.broker(allow=who, args=["--grant-settle", "700", "--aws-retry-base-delay",
                                         "20"])
        b.start()
        self.env.post("/_awsenv/faults", {"seed": 7, "rules": [
            {"account": HUB, "service": "ec2", "fault": "throttle", "probability": 0.15},
            {"account": HUB, "service": "iam", "fault": "throttle", "probability": 0.15},
            {"account": HUB, "fault": "error", "probability": 0.15},
            {"action": "*", "fault": "latency", "latency_ms": 3}]})
        outcomes = collections.Counter()
        problems = []
        lock = threading.Lock()
        counter = iter(range(CYCLES))

        def clear(r, what):
            code, msg = r.error
            if r.status in CLEAR and code and msg:
                return True
            with lock:
                problems.append(f"{what}: unclear answer {r}")
            return False

        def worker(account):
            client = Client(self.env, account, retries=10)
            api = b.api
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                ref = f"stack-{account}-{i}"
                r = api.register(account, ref)
                if r.status not in (200, 201):
                    clear(r, f"register {ref}")
                    with lock:
                        outcomes["register failed"] += 1
                    continue
                n = r.json["NamespaceId"]
                try:
                    vpc, pcx = client.peer(r.json)
                except Exception as e:  # AccessDenied would mean the grant had not propagated
                    with lock:
                        problems.append(f"peer {ref}: {e}")
                    pcx = None
                confirmed = False
                if pcx:
                    c = api.confirm(account, n, pcx, vpc)
                    confirmed = c.status == 200
                    if not confirmed:
                        clear(c, f"confirm {ref}")
                released = False
                for _ in range(3):   # CloudFormation retries a failed Delete
                    d = api.release(account, n)
                    if d.status == 200:
                        released = True
                        break
                    clear(d, f"release {ref}")
                if pcx:   # the client's stack deletion deletes its peering (and VPC)
                    client.ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
                with lock:
                    outcomes["ok" if confirmed and released else
                             "released" if released else "left releasing"] += 1

        threads = [threading.Thread(target=worker, args=(w,)) for w in who]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.env.request("DELETE", "/_awsenv/faults")
        b.stop(self)
        self.assertEqual(problems, [], f"outcomes {dict(outcomes)}")
        self.assertEqual(sum(outcomes.values()), CYCLES)
        self.assertGreater(outcomes["ok"], CYCLES // 2, dict(outcomes))
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        check_invariants(self, b)
        states = collections.Counter(r["state"] for r in b.records())
        self.assertEqual(states.get("releasing", 0), 0, states)
        self.assertEqual(states.get("active", 0), 0, states)
        print(f"\noutcomes: {dict(outcomes)}; left after reconcile: {dict(states)}")


if __name__ == "__main__":
    unittest.main()
