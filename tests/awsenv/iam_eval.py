# SPDX-License-Identifier: Apache-2.0
"""IAM identity-based policy evaluation for awsenv (issue 22).

Every call signed with an assumed role's (or an IAM user's) keys is judged against the
caller's identity-based policies before it reaches moto, RAM, Route 53 or the transit
gateways; the account keys of accounts.json stay all-powerful, as an account's root is.
Sources, cited by tag in the code:

[EVAL]  IAM User Guide, "Policy evaluation logic" (reference_policies_evaluation-logic.html):
        an explicit Deny in any policy wins, else an Allow is needed, else implicit deny.
[ELEM]  IAM User Guide, "IAM JSON policy element reference": Action/NotAction,
        Resource/NotResource ("*" and "?" wildcards; actions case-insensitive, ARNs not),
        Condition (several operators AND, several keys AND, several values OR).
[COND]  IAM User Guide, "IAM JSON policy elements: Condition operators": String*, Arn*,
        Bool, the ...IfExists suffix; a key absent from the request fails a positive operator
        and satisfies a negated one (StringNotEquals, ArnNotLike, ...).
[SAR]   Service Authorization Reference, "Actions, resources, and condition keys for Amazon
        EC2" (list_amazonec2.html), "... for AWS Identity and Access Management", "... for AWS
        Security Token Service", "... for AWS Resource Access Manager", "... for Amazon
        Route 53": the resource types each action is authorized against, the condition keys
        each resource type carries. An action with several required resource types is allowed
        only when every one of them is allowed.
[PCX-IAM] VPC Peering Guide, "Identity and access management for VPC peering": accepting
        is authorized against the peering and the accepter VPC; "the VPC resource for the
        CreateVpcPeeringConnection action is always the requester VPC".
[SAR-SVC] Service Authorization Reference, "... for AWS Lambda" (function:
        arn:aws:lambda:REGION:ACCOUNT:function:NAME), "... for AWS CloudFormation" (stack:
        arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID), "... for Amazon S3" (bucket
        arn:aws:s3:::BUCKET, object arn:aws:s3:::BUCKET/KEY).
[GCI]   STS API Reference, GetCallerIdentity: "No permissions are required to perform this
        operation."
[EC2ERR] EC2 API Reference, "Error codes": UnauthorizedOperation, HTTP 403.

Modelled: inline and attached managed policies of a role (for assumed-role keys) or of a
user and the user's groups. Not modelled: resource-based policies (beyond AssumeRole's
trust, which awsenv.py checks), permissions boundaries, session policies, SCPs, actions
outside the table below (judged on resource "*": only a statement granting "*" allows them,
stricter than IAM). A peering's ARN carries the caller's account (each side sees its own
copy, as tags); awsenv's choice, AWS's examples name the caller's account.

The evaluation (decide, request_context, named_resource, trusts_service) is pure and is the
test environment's only one: tests/cfnsim imports this file (as awsenv_iam_eval) for the calls
that never reach awsenv (Lambda's Invoke, CloudFormation, S3, iam:PassRole, Service Catalog).
"""

import datetime as dt
import fnmatch
import json
import re
from urllib.parse import unquote

SWITCH = "iam_policies"  # config key (POST /_awsenv/config {"iam_policies": false})


class Unsupported(Exception):
    """A policy uses something this evaluator does not model: refused, never guessed."""


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def load_doc(d):
    if isinstance(d, (dict, list)):
        return d
    d = unquote(d) if d.lstrip().startswith("%") else d
    return json.loads(d)


def wild(pattern, value, case=True):
    """[ELEM] IAM's wildcards: * any run, ? one character, nothing else special."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
    return re.fullmatch(rx, str(value), 0 if case else re.IGNORECASE | re.DOTALL) is not None


# ---------------------------------------------------------------- conditions [COND]

def _str_eq(p, v):
    return str(p) == str(v)


def _bool(p, v):
    return str(p).lower() == str(v).lower()


OPERATORS = {  # name -> (test of one policy value against one request value, negated)
    "StringEquals": (_str_eq, False),
    "StringNotEquals": (_str_eq, True),
    "StringEqualsIgnoreCase": (lambda p, v: str(p).lower() == str(v).lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: str(p).lower() == str(v).lower(), True),
    "StringLike": (wild, False),
    "StringNotLike": (wild, True),
    # ArnEquals and ArnLike are the same test: wildcards allowed in either ([COND], ARN
    # condition operators).
    "ArnEquals": (wild, False),
    "ArnLike": (wild, False),
    "ArnNotEquals": (wild, True),
    "ArnNotLike": (wild, True),
    "Bool": (_bool, False),
}


def condition_holds(cond, ctx):
    """True when every operator's every key holds for the request context CTX (a dict of
    lower-cased key -> list of values)."""
    for op, block in cond.items():
        if_exists = op.endswith("IfExists")
        base = op[:-len("IfExists")] if if_exists else op
        prefix = None
        for p in ("ForAnyValue:", "ForAllValues:"):
            if base.startswith(p):
                prefix, base = p, base[len(p):]
        if base not in OPERATORS or not isinstance(block, dict):
            raise Unsupported(f"condition operator {op!r} is not modelled by awsenv")
        test, negated = OPERATORS[base]
        for key, wanted in block.items():
            values = ctx.get(key.lower())
            wanted = as_list(wanted)
            if values is None:
                if if_exists or negated or prefix == "ForAllValues:":
                    continue
                return False
            if prefix == "ForAllValues:":
                ok = all(any(test(w, v) for w in wanted) for v in values)
            else:
                ok = any(test(w, v) for w in wanted for v in values)
            if negated:
                ok = not ok
            if not ok:
                return False
    return True


# ---------------------------------------------------------------- evaluation [EVAL]

def statement_matches(st, action, arn, ctx):
    if "Action" in st:
        ok = any(wild(a, action, False) for a in as_list(st["Action"]))
    else:
        ok = not any(wild(a, action, False) for a in as_list(st.get("NotAction")))
    if not ok:
        return False
    if "Resource" in st:
        ok = any(wild(r, arn) for r in as_list(st["Resource"]))
    else:
        ok = not any(wild(r, arn) for r in as_list(st.get("NotResource")))
    return ok and condition_holds(st.get("Condition") or {}, ctx)


def decide(docs, action, resources, base_ctx=None):
    """('Allow' | 'ExplicitDeny' | 'ImplicitDeny', the resource ARN that decided it).
    RESOURCES: [(arn, {key: value or [values]})], each authorized on its own; the call is
    allowed only when each is ([SAR]: every required resource type)."""
    statements = [st for d in docs for st in as_list(load_doc(d).get("Statement"))
                  if isinstance(st, dict)]
    verdict = ("Allow", None)
    for arn, keys in resources:
        ctx = {k.lower(): as_list(v) for k, v in (base_ctx or {}).items()}
        ctx.update({k.lower(): as_list(v) for k, v in keys.items() if v is not None})
        hits = [st for st in statements if statement_matches(st, action, arn, ctx)]
        if any(st.get("Effect") == "Deny" for st in hits):
            return "ExplicitDeny", arn
        if verdict[0] == "Allow" and not any(st.get("Effect") == "Allow" for st in hits):
            verdict = ("ImplicitDeny", arn)
    return verdict


def request_context(principal_account, region, principal_arn):
    """The global condition keys of every request: who calls, from which account, where."""
    return {"aws:PrincipalAccount": principal_account, "aws:RequestedRegion": region,
            "aws:PrincipalArn": principal_arn}


def arn_resource(arn):
    """(ARN, keys) for a resource known only by its ARN: aws:ResourceAccount is the ARN's
    account field, absent where the ARN has none (S3's), so a condition on it fails then."""
    parts = arn.split(":")
    return arn, ({"aws:ResourceAccount": parts[4]} if len(parts) > 5 and parts[4] else {})


# ---------------------------------------------------------------- the caller's policies

def _iam(account):
    from moto.iam.models import iam_backends
    return iam_backends[account]["aws"]


def _managed_doc(mp):
    for v in mp.versions:
        if v.version_id == mp.default_version_id:
            return v.document
    return '{"Statement": []}'


def _docs_of(entity):
    return list(entity.policies.values()) + [_managed_doc(mp) for mp in
                                             entity.managed_policies.values()]


def identity_policies(cred):
    """The policies of the role whose session CRED is, or of the IAM user CRED is; None when
    the entity is gone (every call then denied, as IAM does for a deleted role's sessions)."""
    iam = _iam(cred.account)
    if cred.role_arn:
        try:
            return _docs_of(iam.get_role(cred.role_arn.rsplit("/", 1)[1]))
        except Exception:  # noqa: BLE001  moto's NoSuchEntity
            return None
    name = cred.arn.rsplit("/", 1)[1]
    try:
        user = iam.get_user(name)
    except Exception:  # noqa: BLE001
        return None
    docs = _docs_of(user)
    for g in iam.get_groups_for_user(name):
        docs += _docs_of(g)
    return docs


# ---------------------------------------------------------------- resources per action [SAR]

EC2_PREFIX = {"vpc": "vpc", "subnet": "subnet", "rtb": "route-table",
              "pcx": "vpc-peering-connection", "pl": "prefix-list", "tgw": "transit-gateway",
              "tgw-attach": "transit-gateway-attachment", "tgw-rtb": "transit-gateway-route-table",
              "sg": "security-group", "igw": "internet-gateway", "vol": "volume", "i": "instance"}


def ec2_arn(region, account, rid):
    kind = EC2_PREFIX.get(rid.rsplit("-", 1)[0], "*")
    return f"arn:aws:ec2:{region}:{account}:{kind}/{rid}"


def named_resource(svc, params, account, region):
    """[SAR-SVC] The ARN of the function, stack or S3 object (or bucket) a Lambda,
    CloudFormation or S3 call names in PARAMS (FunctionName; StackName; Bucket and Key), "*"
    when it names none. A stack known by name only has no id yet: its ARN ends in "/*"."""
    if svc == "lambda" and params.get("FunctionName"):
        name = params["FunctionName"]
        return name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
    if svc == "cloudformation" and params.get("StackName"):
        name = params["StackName"]
        return name if name.startswith("arn:") else \
            f"arn:aws:cloudformation:{region}:{account}:stack/{name}/*"
    if svc == "s3" and params.get("Bucket"):
        key = params.get("Key")
        return f"arn:aws:s3:::{params['Bucket']}" + (f"/{key}" if key else "")
    return "*"


class Resources:
    """The (ARN, condition keys) pairs one call is authorized against."""

    def __init__(self, env):
        self.env = env

    def ec2(self, account, region):
        return self.env.moto.ec2(account, region)

    def _tags(self, obj):
        try:
            tags = obj.get_tags()
        except Exception:  # noqa: BLE001
            return {}
        out = {}
        for t in tags:
            key, value = t.get("key", t.get("Key")), t.get("value", t.get("Value"))
            out[f"ec2:ResourceTag/{key}"] = out[f"aws:ResourceTag/{key}"] = value
        return out

    def vpc(self, account, region, vpc_id):
        vpc = self.ec2(account, region).vpcs.get(vpc_id) if vpc_id else None
        owner = vpc.owner_id if vpc is not None else account
        keys = {"ec2:VpcID": vpc_id, "ec2:Region": region, "aws:ResourceAccount": owner}
        keys.update(self._tags(vpc) if vpc is not None else {})
        return f"arn:aws:ec2:{region}:{owner}:vpc/{vpc_id}", keys

    def pcx(self, account, region, pcx_id):
        p = None
        from moto.ec2.models import ec2_backends
        for acct in [account] + [a for a in list(ec2_backends.keys()) if a != account]:
            try:
                p = ec2_backends[acct][region].vpc_pcxs.get(pcx_id)
            except KeyError:
                continue
            if p is not None:
                break
        keys = {"ec2:VpcPeeringConnectionID": pcx_id, "ec2:Region": region,
                "aws:ResourceAccount": account}
        if p is not None:
            keys["ec2:AccepterVpc"] = (f"arn:aws:ec2:{p.peer_vpc.ec2_backend.region_name}:"
                                       f"{p.peer_vpc.owner_id}:vpc/{p.peer_vpc.id}")
            keys["ec2:RequesterVpc"] = (f"arn:aws:ec2:{p.vpc.ec2_backend.region_name}:"
                                        f"{p.vpc.owner_id}:vpc/{p.vpc.id}")
            keys.update(self._tags(p))
        return f"arn:aws:ec2:{region}:{account}:vpc-peering-connection/{pcx_id}", keys, p

    def route_table(self, account, region, rtb_id):
        rt = self.ec2(account, region).route_tables.get(rtb_id)
        keys = {"ec2:RouteTableID": rtb_id, "ec2:Region": region, "aws:ResourceAccount": account}
        if rt is not None:
            keys["ec2:Vpc"] = f"arn:aws:ec2:{region}:{account}:vpc/{rt.vpc_id}"
            keys.update(self._tags(rt))
        return f"arn:aws:ec2:{region}:{account}:route-table/{rtb_id}", keys

    def simple(self, region, account, rid):
        return ec2_arn(region, account, rid), {"ec2:Region": region, "aws:ResourceAccount": account}

    def tgw_attachment(self, account, region, att_id):
        a = self.env.tgw.atts.get(att_id) if att_id else None
        owner = a.vpc_owner if a is not None else account
        return self.simple(region, owner, att_id)

    def tgw_table(self, account, region, rtb_id):
        t = self.env.tgw.tables.get(rtb_id) if rtb_id else None
        owner = t.gw.owner if t is not None else account
        return self.simple(region, owner, rtb_id)

    def for_ec2(self, action, params, account, region):
        rid = lambda k: params.get(k, "")  # noqa: E731
        if action == "AcceptVpcPeeringConnection":  # [PCX-IAM], [SAR]: the peering, the accepter VPC
            arn, keys, p = self.pcx(account, region, rid("VpcPeeringConnectionId"))
            out = [(arn, keys)]
            if p is not None:
                out.append(self.vpc(p.peer_vpc.owner_id, region, p.peer_vpc.id))
            return out
        if action in ("RejectVpcPeeringConnection", "DeleteVpcPeeringConnection",
                      "ModifyVpcPeeringConnectionOptions"):
            return [self.pcx(account, region, rid("VpcPeeringConnectionId"))[:2]]
        if action == "CreateVpcPeeringConnection":  # [PCX-IAM]: the requester VPC, the new peering
            peer_region = params.get("PeerRegion") or region
            peer_owner = params.get("PeerOwnerId") or account
            keys = {"ec2:AccepterVpc": f"arn:aws:ec2:{peer_region}:{peer_owner}:vpc/"
                                       f"{rid('PeerVpcId')}",
                    "ec2:RequesterVpc": f"arn:aws:ec2:{region}:{account}:vpc/{rid('VpcId')}",
                    "ec2:Region": region, "aws:ResourceAccount": account}
            return [self.vpc(account, region, rid("VpcId")),
                    (f"arn:aws:ec2:{region}:{account}:vpc-peering-connection/*", keys)]
        if action in ("CreateRoute", "ReplaceRoute", "DeleteRoute"):  # [SAR]: route-table
            return [self.route_table(account, region, rid("RouteTableId"))]
        if action in ("ModifyManagedPrefixList", "GetManagedPrefixListEntries"):
            return [self.simple(region, account, rid("PrefixListId"))]
        if action in ("CreateTags", "DeleteTags"):  # [SAR]: each tagged resource
            out = []
            for k in sorted(k for k in params if re.fullmatch(r"ResourceId\.\d+", k)):
                r = params[k]
                if r.startswith("pcx-"):
                    out.append(self.pcx(account, region, r)[:2])
                elif r.startswith("vpc-"):
                    out.append(self.vpc(account, region, r))
                elif r.startswith("rtb-"):
                    out.append(self.route_table(account, region, r))
                else:
                    out.append(self.simple(region, account, r))
            return out
        if action in ("AcceptTransitGatewayVpcAttachment", "RejectTransitGatewayVpcAttachment",
                      "DeleteTransitGatewayVpcAttachment"):
            return [self.tgw_attachment(account, region, rid("TransitGatewayAttachmentId"))]
        if action in ("AssociateTransitGatewayRouteTable", "DisassociateTransitGatewayRouteTable",
                      "EnableTransitGatewayRouteTablePropagation",
                      "DisableTransitGatewayRouteTablePropagation"):
            return [self.tgw_attachment(account, region, rid("TransitGatewayAttachmentId")),
                    self.tgw_table(account, region, rid("TransitGatewayRouteTableId"))]
        if action in ("CreateTransitGatewayRoute", "DeleteTransitGatewayRoute",
                      "SearchTransitGatewayRoutes", "GetTransitGatewayRouteTableAssociations",
                      "GetTransitGatewayRouteTablePropagations"):
            out = [self.tgw_table(account, region, rid("TransitGatewayRouteTableId"))]
            if params.get("TransitGatewayAttachmentId"):  # CreateTransitGatewayRoute's target
                out.append(self.tgw_attachment(account, region, rid("TransitGatewayAttachmentId")))
            return out
        if action == "CreateTransitGatewayVpcAttachment":  # [SAR]: gateway, VPC, subnets, new attachment
            gw = self.env.tgw.gws.get(rid("TransitGatewayId"))
            out = [self.simple(region, gw.owner if gw else account, rid("TransitGatewayId")),
                   self.vpc(account, region, rid("VpcId"))]
            out += [self.simple(region, account, params[k]) for k in sorted(params)
                    if re.fullmatch(r"SubnetIds\.\d+", k)]
            out.append((f"arn:aws:ec2:{region}:{account}:transit-gateway-attachment/*",
                        {"ec2:Region": region}))
            return out
        # Describe*, Get* of lists, and what is not in this table: resource "*" (Describe
        # actions support no resource-level permissions, [SAR]).
        return [("*", {"ec2:Region": region})]

    def for_call(self, call):
        svc, action, params, account = call.svc, call.action, call.params, call.account
        if svc == "ec2":
            return self.for_ec2(action, params, account, call.region)
        if svc == "iam":
            if "RoleName" in params:
                role = self.env.moto.role(account, params["RoleName"])
                arn = role.arn if role else f"arn:aws:iam::{account}:role/{params['RoleName']}"
                return [(arn, {"aws:ResourceAccount": account})]
            if "UserName" in params:
                return [(f"arn:aws:iam::{account}:user/{params['UserName']}", {})]
            if "PolicyArn" in params:
                return [(params["PolicyArn"], {})]
            if action == "CreateServiceLinkedRole":
                return [(f"arn:aws:iam::{account}:role/aws-service-role/*",
                         {"iam:AWSServiceName": params.get("AWSServiceName")})]
            return [("*", {})]
        if svc == "cloudformation":  # [SAR-SVC]
            return [arn_resource(named_resource(svc, params, account, call.region))]
        if svc == "lambda":  # [SAR-SVC]: REST, the function is in the path
            m = re.match(r"/20\d\d-\d\d-\d\d/functions/([^/?]+)", call.path)
            name = {"FunctionName": unquote(m.group(1))} if m else {}
            return [arn_resource(named_resource(svc, name, account, call.region))]
        if svc == "sts" and action == "AssumeRole":
            return [(params.get("RoleArn", ""), {})]
        if svc == "route53":  # [SAR] Route 53: hostedzone
            m = re.match(r"/2013-04-01/hostedzone/([^/]+)", call.path)
            if m:
                return [(f"arn:aws:route53:::hostedzone/{m.group(1)}", {})]
            return [("*", {})]
        if svc == "ram":  # [SAR] RAM: resource-share, resource-share-invitation
            try:
                body = json.loads(call.body or b"{}")
            except ValueError:
                body = {}
            for k in ("resourceShareArn", "resourceShareInvitationArn"):
                if isinstance(body, dict) and body.get(k) and action not in (
                        "GetResourceShares", "GetResourceShareAssociations",
                        "GetResourceShareInvitations"):
                    return [(body[k], {"aws:ResourceAccount": body[k].split(":")[4]
                                       if body[k].count(":") >= 5 else account})]
            return [("*", {})]
        return [("*", {})]


def denial(svc, action, caller_arn, resource, verdict):
    """(status, code, message) as each service answers an unauthorized call."""
    why = ("with an explicit deny in an identity-based policy" if verdict == "ExplicitDeny"
           else "because no identity-based policy allows the "
                f"{svc}:{action} action")
    text = (f"User: {caller_arn} is not authorized to perform: {svc}:{action} on resource: "
            f"{resource} {why}")
    if svc == "ec2":  # [EC2ERR]
        return 403, "UnauthorizedOperation", "You are not authorized to perform this operation. " + text
    if svc == "ram":  # a REST-JSON service's AccessDeniedException (botocore's RAM model has none)
        return 403, "AccessDeniedException", text
    return 403, "AccessDenied", text


class IamEval:
    """awsenv's hook: check(call) -> None or (status, code, message); control() serves
    /_awsenv/iam/service-session."""

    def __init__(self, env, cred_class):
        self.env, self.cred_class = env, cred_class
        self.resources = Resources(env)

    def check(self, call):
        cred = call.cred
        if cred is None or cred.configured or not self.env.config.get(SWITCH, True):
            return None
        if call.svc == "sts" and call.action == "GetCallerIdentity":  # [GCI]
            return None
        svc = call.svc
        with self.env.moto.lock:
            docs = identity_policies(cred)
            resources = self.resources.for_call(call)
        base = request_context(cred.account, call.region, cred.role_arn or cred.arn)
        if docs is None:
            verdict, arn = "ImplicitDeny", resources[0][0]
        else:
            try:
                verdict, arn = decide(docs, f"{svc}:{call.action}", resources, base)
            except Unsupported as e:
                return 500, "InternalFailure", f"awsenv: {e}"
        if verdict == "Allow":
            return None
        return denial(svc, call.action, cred.arn, arn, verdict)

    def control(self, method, path, doc):
        """POST /_awsenv/iam/service-session {"role_arn", "service", "session_name"}: the
        temporary keys a service (lambda.amazonaws.com, ...) gets for a role whose trust
        policy names it as a Service principal, as Lambda gets its execution role's; 403 when
        the trust does not name it."""
        if path != "/_awsenv/iam/service-session" or method != "POST":
            return 404, {"error": f"no control endpoint {method} {path}"}
        role_arn, service = str(doc.get("role_arn", "")), str(doc.get("service", ""))
        session = str(doc.get("session_name") or service.split(".")[0] or "session")[:64]
        m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)", role_arn)
        if not m or not service:
            return 400, {"error": "role_arn (a role ARN) and service are required"}
        from moto.sts.models import sts_backends
        with self.env.moto.lock:
            role = self.env.moto.role(m.group(1), m.group(2))
            if role is None or role.arn != role_arn:
                return 404, {"error": f"no role {role_arn}"}
            if not trusts_service(load_doc(role.assume_role_policy_document), service):
                return 403, {"error": f"{role_arn} does not trust {service}"}
            ar = sts_backends[m.group(1)]["aws"].assume_role(
                region_name="us-east-1", role_session_name=session, role_arn=role_arn,
                policy=None, duration=3600, external_id=None)
        c = self.cred_class(ar.access_key_id, ar.secret_access_key, m.group(1), ar.arn,
                            ar.user_id, token=ar.session_token, role_arn=role_arn,
                            expiration=ar.expiration.replace(tzinfo=dt.timezone.utc))
        with self.env.creds_lock:
            self.env.creds[c.akid] = c
        return 200, {"AccessKeyId": c.akid, "SecretAccessKey": c.secret,
                     "SessionToken": c.token, "Arn": c.arn}


def trusts_service(doc, service):
    for st in as_list(doc.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        pr = st.get("Principal")
        if not isinstance(pr, dict) or service not in as_list(pr.get("Service")):
            continue
        if any(fnmatch.fnmatchcase("sts:assumerole", str(a).lower())
               for a in as_list(st.get("Action"))):
            return True
    return False
