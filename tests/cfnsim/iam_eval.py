# SPDX-License-Identifier: Apache-2.0
"""Identity-policy evaluation for cfnsim's played Service Catalog launches (issue 15).

awsenv checks signatures and trust policies, not what a principal's own policies allow. A
stack launched through Service Catalog must work with the launch role's rights alone, so
cfnsim evaluates each call such a stack makes against that role's policies, with IAM's
order: an explicit Deny wins, else an Allow is needed, else the call is denied implicitly
(IAM User Guide, "Policy evaluation logic",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).

Modelled: Effect, Action / NotAction, Resource / NotResource with IAM's wildcards (`*`, `?`;
actions case-insensitive), inline and attached managed policies of a role or user. Not
modelled: Condition (a statement with one that matches the call raises Unsupported rather than
being guessed),
permissions boundaries, SCPs, session policies, resource policies.
"""

import json
import re
from urllib.parse import unquote


class PolicyUnsupported(Exception):
    """The policy uses something this evaluator does not model."""


def _list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _doc(d):
    if isinstance(d, str):
        d = json.loads(unquote(d) if d.lstrip().startswith("%") else d)
    return d


def _match(pattern, value, case):
    # IAM wildcards: * any run of characters, ? one character; nothing else is special.
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, 0 if case else re.IGNORECASE) is not None


def _statement_applies(st, action, resource):
    if not _matches(st, action, resource):
        return False
    # Only a statement that would apply is judged on its Condition: another statement's
    # Condition cannot change this call's outcome.
    if "Condition" in st:
        raise PolicyUnsupported(f"statement {st.get('Sid', '')!r} has a Condition, which cfnsim "
                                "does not evaluate")
    return True


def _matches(st, action, resource):
    if "Action" in st:
        ok = any(_match(a, action, False) for a in _list(st["Action"]))
    else:
        ok = not any(_match(a, action, False) for a in _list(st.get("NotAction")))
    if not ok:
        return False
    if "Resource" in st:
        return any(_match(r, resource, True) for r in _list(st["Resource"]))
    return not any(_match(r, resource, True) for r in _list(st.get("NotResource")))


def decide(docs, action, resource):
    """'Allow', 'ExplicitDeny' or 'ImplicitDeny' for ACTION ("service:Name") on RESOURCE (an
    ARN, or "*" where the caller cannot name one) under the policy documents DOCS."""
    allowed = False
    for d in docs:
        for st in _list(_doc(d).get("Statement")):
            if not _statement_applies(st, action, resource):
                continue
            if st.get("Effect") == "Deny":
                return "ExplicitDeny"
            if st.get("Effect") == "Allow":
                allowed = True
    return "Allow" if allowed else "ImplicitDeny"


def _managed(iam, arn):
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    v = iam.get_policy_version(PolicyArn=arn, VersionId=p["DefaultVersionId"])
    return v["PolicyVersion"]["Document"]


def role_policies(iam, role_name):
    """Every identity policy of the role: inline, then attached managed ones."""
    docs = [iam.get_role_policy(RoleName=role_name, PolicyName=n)["PolicyDocument"]
            for n in iam.list_role_policies(RoleName=role_name)["PolicyNames"]]
    docs += [_managed(iam, p["PolicyArn"])
             for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
    return [_doc(d) for d in docs]


def user_policies(iam, user_name):
    docs = [iam.get_user_policy(UserName=user_name, PolicyName=n)["PolicyDocument"]
            for n in iam.list_user_policies(UserName=user_name)["PolicyNames"]]
    docs += [_managed(iam, p["PolicyArn"])
             for p in iam.list_attached_user_policies(UserName=user_name)["AttachedPolicies"]]
    return [_doc(d) for d in docs]


# The resource a call acts on, where the request names it; "*" otherwise, which only a
# statement with Resource "*" (or a pattern matching "*") grants. That is stricter than IAM
# for the EC2 calls, whose ARNs this does not build: the launch role grants them on "*".
def resource_of(service, operation, params, account, region):
    if service == "iam" and "RoleName" in params:
        return f"arn:aws:iam::{account}:role/{params['RoleName']}"
    if service == "iam" and "PolicyArn" in params and operation.endswith("Policy"):
        return params["PolicyArn"]
    if service == "lambda" and "FunctionName" in params:
        name = params["FunctionName"]
        return name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
    return "*"


def action_of(service, operation):
    return f"{service}:{operation}"
