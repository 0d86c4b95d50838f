/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer plan: show a namespace's address plan, or the plan's capacity. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/num.h"

enum { OPT_HELP = 1, OPT_JSON, OPT_CAPACITY };

static const struct cli_option plan_command_options[] = {
	{"json", 0, NULL, OPT_JSON, "the same as --output json", 0},
	{"capacity", 0, NULL, OPT_CAPACITY, "print how many namespaces the plan holds", 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_plan_tables[] = {plan_command_options, cli_output_options,
						    cli_plan_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer plan [options] N\n"
	       "       vpcpeer plan [options] --capacity\n"
	       "\n"
	       "Show the CIDR blocks of namespace N: its VPC and its subnets. Namespace 0 is\n"
	       "the hub; clients get 1, 2, ... Exit status 1 when N overlaps a reserved range.\n"
	       "--capacity: how many namespaces the plan holds, how many the reserved ranges\n"
	       "take and how many are left for clients. A table on a terminal, one JSON\n"
	       "object otherwise (--output).\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_plan_tables);
}

static int print_json(json_t *obj)
{
	int rc = json_dumpf(obj, stdout, JSON_COMPACT) == 0 && putchar('\n') != EOF
			 ? CLI_EXIT_OK
			 : CLI_EXIT_FAILED;
	json_decref(obj);
	return rc;
}

static int print_capacity(const struct vp_plan *plan, enum cli_output output)
{
	int64_t capacity = vp_plan_capacity(plan);
	int64_t reserved = vp_plan_reserved_count(plan);
	/* The hub's n = 0 is never a client's, reserved or not. */
	int64_t available = capacity - reserved - (vp_plan_reserved_overlap(plan, 0) ? 0 : 1);
	json_t *obj = json_pack("{sI sI sI}", "Capacity", (json_int_t)capacity, "Reserved",
				(json_int_t)reserved, "AvailableForClients", (json_int_t)available);
	int rc = cli_output_print("plan", output, obj);

	json_decref(obj);
	return rc;
}

static int print_namespace(const struct vp_namespace_plan *ns, bool json)
{
	char cidr[VP_CIDR_STRLEN];

	if (json) {
		json_t *obj = json_object();
		json_object_set_new(obj, "NamespaceId", json_integer(ns->id));
		json_object_set_new(obj, "VpcCidrBlock",
				    json_string(vp_cidr_format(ns->vpc, cidr)));
		for (unsigned s = 0; s < ns->subnet_count; s++) {
			char key[32];
			snprintf(key, sizeof(key), "Subnet%cCidrBlock", vp_plan_subnet_letter(s));
			json_object_set_new(obj, key,
					    json_string(vp_cidr_format(ns->subnets[s], cidr)));
		}
		return print_json(obj);
	}
	printf("namespace  %lld%s\n", (long long)ns->id, ns->id == 0 ? " (hub)" : "");
	printf("vpc        %-18s %llu addresses\n", vp_cidr_format(ns->vpc, cidr),
	       (unsigned long long)vp_cidr_size(ns->vpc));
	for (unsigned s = 0; s < ns->subnet_count; s++)
		printf("subnet %c   %-18s %llu usable\n", vp_plan_subnet_letter(s),
		       vp_cidr_format(ns->subnets[s], cidr),
		       (unsigned long long)(vp_cidr_size(ns->subnets[s]) -
					    VP_AWS_RESERVED_PER_SUBNET));
	return CLI_EXIT_OK;
}

/* An optional '-' and digits only: a number, whatever its size. */
static bool is_integer(const char *s)
{
	const char *digits = s + (s[0] == '-');
	return digits[0] && strspn(digits, "0123456789") == strlen(digits);
}

int cmd_plan_main(int argc, char **argv)
{
	struct vp_namespace_plan ns;
	struct vp_plan plan;
	struct cli_args args;
	struct vp_error err;
	const struct vp_cidr *reserved;
	const char *number = NULL;
	enum cli_output output = CLI_OUTPUT_AUTO, alias = CLI_OUTPUT_AUTO;
	bool capacity = false, failed = false;
	int64_t n;

	vp_plan_init(&plan);
	if (!cli_parse("plan", argc - 1, argv + 1, cmd_plan_tables, &args))
		return CLI_EXIT_USAGE;
	for (size_t i = 0; i < args.count; i++) {
		const struct cli_arg *arg = &args.items[i];
		if (cli_plan_apply("plan", &plan, arg, &failed))
			continue;
		switch (arg->id) {
		case OPT_HELP:
			print_help();
			return CLI_EXIT_OK;
		case OPT_JSON:
			alias = CLI_OUTPUT_JSON;
			break;
		case CLI_OUTPUT_OPT_OUTPUT:
			if (!cli_output_apply("plan", &output, arg, &failed))
				return CLI_EXIT_USAGE;
			break;
		case OPT_CAPACITY:
			capacity = true;
			break;
		default:
			if (number) {
				cli_error("plan",
					  "unexpected argument '%s' (one namespace at a time)",
					  arg->value);
				return CLI_EXIT_USAGE;
			}
			number = arg->value;
		}
	}
	output = cli_output_choose(output, alias);
	if (failed || !cli_plan_check("plan", &plan))
		return CLI_EXIT_USAGE;
	if (capacity) {
		if (number) {
			cli_error("plan", "--capacity takes no namespace number");
			return CLI_EXIT_USAGE;
		}
		return print_capacity(&plan, output);
	}
	if (!number) {
		cli_error("plan", "missing namespace number N (see 'vpcpeer plan --help')");
		return CLI_EXIT_USAGE;
	}
	/* A number past int64 is out of the plan's range too: say the plan's, not int64's. */
	if (is_integer(number) &&
	    vp_parse_int64(number, INT64_MIN, INT64_MAX, "namespace", &n, &err) != VP_OK) {
		cli_error("plan",
			  "namespace %.40s is out of range: the plan holds %lld namespaces "
			  "(0..%lld)",
			  number, (long long)vp_plan_capacity(&plan),
			  (long long)vp_plan_capacity(&plan) - 1);
		return CLI_EXIT_USAGE;
	}
	if (vp_parse_int64(number, INT64_MIN, INT64_MAX, "namespace", &n, &err) != VP_OK ||
	    vp_plan_namespace(&plan, n, &ns, &err) != VP_OK) {
		cli_error("plan", "%s", err.message);
		return CLI_EXIT_USAGE;
	}
	reserved = vp_plan_reserved_overlap(&plan, n);
	if (reserved) {
		char vpc[VP_CIDR_STRLEN], range[VP_CIDR_STRLEN];
		cli_error("plan",
			  "namespace %lld is unavailable: its VPC block %s overlaps the "
			  "reserved range %s",
			  (long long)n, vp_cidr_format(ns.vpc, vpc),
			  vp_cidr_format(*reserved, range));
		return CLI_EXIT_FAILED;
	}
	return print_namespace(&ns, cli_output_is_json(output));
}
