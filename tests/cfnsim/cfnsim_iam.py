# SPDX-License-Identifier: Apache-2.0
"""cfnsim's side of IAM identity-policy evaluation: the calls that never reach awsenv
(Lambda's Invoke, lambda:CreateFunction/DeleteFunction, iam:PassRole,
cloudformation:CreateStack/DeleteStack, s3:GetObject of a template,
servicecatalog:ProvisionProduct) are judged by awsenv's evaluator (tests/awsenv/iam_eval.py,
the test environment's only one: conditions, explicit deny, default deny). What is cfnsim's
own is here: reading a principal's policies through the IAM API (awsenv reads moto's
backend, in its own process) and the request context of a call cfnsim plays.

awsenv's file is loaded by path under the name `awsenv_iam_eval`: a plain `import iam_eval`
would depend on sys.path's order.
"""

import importlib.util
import json
import os
import sys
from urllib.parse import unquote

_NAME = "awsenv_iam_eval"


def _load_awsenv_iam_eval():
    if _NAME not in sys.modules:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(os.path.dirname(here), "awsenv", "iam_eval.py")
        spec = importlib.util.spec_from_file_location(_NAME, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        spec.loader.exec_module(module)
    return sys.modules[_NAME]


iam_eval = _load_awsenv_iam_eval()
Unsupported = iam_eval.Unsupported
named_resource = iam_eval.named_resource
trusts_service = iam_eval.trusts_service


def _doc(d):
    if isinstance(d, str):
        d = json.loads(unquote(d) if d.lstrip().startswith("%") else d)
    return d


def _managed(iam, arn):
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    v = iam.get_policy_version(PolicyArn=arn, VersionId=p["DefaultVersionId"])
    return v["PolicyVersion"]["Document"]


def role_policies(iam, role_name):
    """Every identity policy of the role, through the IAM client IAM: inline, then attached."""
    docs = [iam.get_role_policy(RoleName=role_name, PolicyName=n)["PolicyDocument"]
            for n in iam.list_role_policies(RoleName=role_name)["PolicyNames"]]
    docs += [_managed(iam, p["PolicyArn"])
             for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
    return [_doc(d) for d in docs]


def user_policies(iam, user_name):
    """Every identity policy of the user: its own (inline, attached), then its groups'."""
    docs = [iam.get_user_policy(UserName=user_name, PolicyName=n)["PolicyDocument"]
            for n in iam.list_user_policies(UserName=user_name)["PolicyNames"]]
    docs += [_managed(iam, p["PolicyArn"])
             for p in iam.list_attached_user_policies(UserName=user_name)["AttachedPolicies"]]
    for g in iam.list_groups_for_user(UserName=user_name)["Groups"]:
        name = g["GroupName"]
        docs += [iam.get_group_policy(GroupName=name, PolicyName=n)["PolicyDocument"]
                 for n in iam.list_group_policies(GroupName=name)["PolicyNames"]]
        docs += [_managed(iam, p["PolicyArn"])
                 for p in iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]]
    return [_doc(d) for d in docs]


def decide(docs, action, resource, principal_arn, region):
    """'Allow', 'ExplicitDeny' or 'ImplicitDeny' for ACTION on the resource ARN RESOURCE ("*"
    where the call names none) by PRINCIPAL_ARN (a role's or a user's ARN) in REGION, under
    the policy documents DOCS; raises Unsupported for a policy awsenv does not model."""
    account = principal_arn.split(":")[4]
    ctx = iam_eval.request_context(account, region, principal_arn)
    return iam_eval.decide(docs, action, [iam_eval.arn_resource(resource)], ctx)[0]
