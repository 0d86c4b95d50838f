"""Shared fixture: one awsenv process per test module (class)."""

import sys
import time
import unittest

import botocore.exceptions

from harness import AwsEnvProcess

sys.dont_write_bytecode = True

HUB, B, C, D = "111111111111", "222222222222", "333333333333", "444444444444"


def trust(*principals, action="sts:AssumeRole", effect="Allow", as_list=True):
    p = list(principals) if (as_list and len(principals) != 1) else principals[0]
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Principal": {"AWS": p}, "Action": action}]}


class AwsEnvCase(unittest.TestCase):
    extra_args = ()
    env = None

    @classmethod
    def setUpClass(cls):
        cls.env = AwsEnvProcess(extra_args=cls.extra_args).start()

    @classmethod
    def tearDownClass(cls):
        if cls.env:
            cls.env.stop()

    def setUp(self):
        self.env.reset()

    def client(self, service, who="hub", **kw):
        return self.env.client(service, who, **kw)

    def assertAwsError(self, fn, code, status=None, *args, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(*args, **kw)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        if status is not None:
            self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status, err)
        return err

    @staticmethod
    def poll(fn, timeout=10.0, interval=0.1):
        """Call fn until it returns truthy; return that value (or the last on timeout)."""
        end = time.monotonic() + timeout
        while True:
            v = fn()
            if v or time.monotonic() > end:
                return v
            time.sleep(interval)
