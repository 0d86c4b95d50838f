# SPDX-License-Identifier: Apache-2.0
"""Template rules: a template's `Rules` section and a Service Catalog template constraint's
`Rules` (the same language): each rule's RuleCondition, then its Assertions, before anything
is created. Functions: Fn::And, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn,
Fn::Equals, Fn::Not, Fn::Or, Fn::RefAll, Fn::ValueOf, Fn::ValueOfAll, Ref
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html,
"Rule-specific intrinsic functions").
"""


class RuleError(Exception):
    """A rule the caller cannot evaluate (an unknown function, a bad shape)."""


def _is_fn(v):
    return isinstance(v, dict) and len(v) == 1 and (next(iter(v)).startswith("Fn::") or "Ref" in v)


def evaluate(rules, ref, value_of, ref_all=None):
    """The AssertDescriptions (or a default text) of the assertions that fail. ref(name) is a
    parameter's value (a list for list types); value_of(name, attribute) the attribute's
    value(s) of the resource(s) a parameter names; ref_all(type) every value of that
    parameter type."""
    failed = []

    def ev(v):
        if isinstance(v, list):
            return [ev(x) for x in v]
        if not _is_fn(v):
            return v
        fn, a = next(iter(v.items()))
        if fn == "Ref":
            return ref(a)
        if fn == "Fn::Equals":
            x, y = ev(a[0]), ev(a[1])
            return x == y if isinstance(x, list) or isinstance(y, list) else str(x) == str(y)
        if fn == "Fn::Not":
            return not truth(a[0])
        if fn == "Fn::And":
            return all(truth(x) for x in a)
        if fn == "Fn::Or":
            return any(truth(x) for x in a)
        if fn == "Fn::Contains":
            items, x = ev(a[0]), ev(a[1])
            return str(x) in [str(i) for i in items]
        if fn == "Fn::EachMemberEquals":
            items, x = ev(a[0]), ev(a[1])
            return all(str(i) == str(x) for i in items)
        if fn == "Fn::EachMemberIn":
            items, allowed = ev(a[0]), [str(i) for i in ev(a[1])]
            return all(str(i) in allowed for i in items)
        if fn in ("Fn::ValueOf", "Fn::ValueOfAll"):
            name, attr = a
            vals = value_of(name, attr)
            return vals if fn == "Fn::ValueOfAll" or isinstance(ref(name), list) else vals[0]
        if fn == "Fn::RefAll":
            if ref_all is None:
                raise RuleError("Fn::RefAll is not modelled here")
            return ref_all(a)
        raise RuleError(f"{fn} is not a rule function")

    def truth(x):
        v = ev(x)
        if not isinstance(v, bool):
            raise RuleError(f"not a condition: {x}")
        return v

    if not isinstance(rules, dict):
        raise RuleError("Rules must be an object of named rules")
    for name, rule in rules.items():
        if not isinstance(rule, dict) or not isinstance(rule.get("Assertions"), list):
            raise RuleError(f"rule {name} has no Assertions list")
        if "RuleCondition" in rule and not truth(rule["RuleCondition"]):
            continue
        for asr in rule["Assertions"]:
            if not truth(asr["Assert"]):
                failed.append(asr.get("AssertDescription") or f"Template rule {name} failed")
    return failed
