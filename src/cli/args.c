/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/num.h"

void cli_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vpcpeer%s%s: ", command ? " " : "", command ? command : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct cli_option *find_long(const struct cli_option *const *tables, const char *name,
					  size_t len)
{
	for (size_t t = 0; tables[t]; t++)
		for (const struct cli_option *o = tables[t]; o->name; o++)
			if (strlen(o->name) == len && memcmp(o->name, name, len) == 0)
				return o;
	return NULL;
}

static const struct cli_option *find_short(const struct cli_option *const *tables, char c)
{
	for (size_t t = 0; tables[t]; t++)
		for (const struct cli_option *o = tables[t]; o->name; o++)
			if (o->short_name && o->short_name == c)
				return o;
	return NULL;
}

bool cli_option_takes_value(const struct cli_option *const *tables, const char *name)
{
	const struct cli_option *o = find_long(tables, name, strlen(name));
	return o && o->metavar;
}

static bool is_negative_number(const char *s)
{
	return s[0] == '-' && s[1] >= '0' && s[1] <= '9';
}

static bool parse_argv(const char *command, int argc, char **argv,
		       const struct cli_option *const *tables, struct cli_args *out);

static bool push(const char *command, struct cli_args *out, int id, const char *value)
{
	if (out->count >= CLI_MAX_ARGS) {
		cli_error(command, "too many arguments (at most %d)", CLI_MAX_ARGS);
		return false;
	}
	out->items[out->count].id = id;
	out->items[out->count].value = value;
	out->count++;
	return true;
}

/* VPCPEER_LISTEN for "listen". False when the name does not fit. */
static bool env_name(const char *option, char *out, size_t size)
{
	size_t len = strlen(option);

	if (len + 9 > size)
		return false;
	memcpy(out, "VPCPEER_", 8);
	for (size_t i = 0; i <= len; i++) {
		char c = option[i];
		out[8 + i] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	return true;
}

static bool given(const struct cli_args *args, int id)
{
	for (size_t i = 0; i < args->count; i++)
		if (args->items[i].id == id)
			return true;
	return false;
}

/* Add the values of one option from the environment. */
static bool apply_env(const char *command, const struct cli_option *o, struct cli_args *out,
		      size_t *used)
{
	char name[96];
	const char *value;
	size_t len;

	if (!env_name(o->name, name, sizeof(name)) || !(value = getenv(name)))
		return true;
	if (!o->metavar) {
		if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "yes") == 0)
			return push(command, out, o->id, NULL);
		if (!*value || strcmp(value, "0") == 0 || strcmp(value, "false") == 0 ||
		    strcmp(value, "no") == 0)
			return true;
		cli_error(command, "%s='%s': expected 1/true/yes or 0/false/no", name, value);
		return false;
	}
	len = strlen(value);
	if (*used + len + 1 > CLI_ENV_STORAGE) {
		cli_error(command,
			  "%s is too long (the environment holds at most %d bytes of options)",
			  name, CLI_ENV_STORAGE);
		return false;
	}
	char *copy = out->env_storage + *used;
	memcpy(copy, value, len + 1);
	*used += len + 1;
	if (!(o->flags & CLI_OPT_REPEAT))
		return push(command, out, o->id, copy);
	for (char *item = copy, *comma; item; item = comma ? comma + 1 : NULL) {
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		if (*item && !push(command, out, o->id, item))
			return false;
	}
	return true;
}

bool cli_parse(const char *command, int argc, char **argv, const struct cli_option *const *tables,
	       struct cli_args *out)
{
	size_t env_used = 0;

	if (!parse_argv(command, argc, argv, tables, out))
		return false;
	for (size_t t = 0; tables[t]; t++)
		for (const struct cli_option *o = tables[t]; o->name; o++)
			if ((o->flags & CLI_OPT_ENV) && !given(out, o->id) &&
			    !apply_env(command, o, out, &env_used))
				return false;
	return true;
}

static bool parse_argv(const char *command, int argc, char **argv,
		       const struct cli_option *const *tables, struct cli_args *out)
{
	bool only_positionals = false;

	out->count = 0;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		const struct cli_option *o;
		const char *value = NULL;

		if (only_positionals || arg[0] != '-' || arg[1] == '\0' ||
		    is_negative_number(arg)) {
			if (!push(command, out, 0, arg))
				return false;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_positionals = true;
			continue;
		}
		if (arg[1] == '-') {
			const char *name = arg + 2;
			const char *eq = strchr(name, '=');
			o = find_long(tables, name, eq ? (size_t)(eq - name) : strlen(name));
			if (!o) {
				cli_error(command,
					  "unknown option '%.*s' (see 'vpcpeer%s%s --help')",
					  eq ? (int)(eq - arg) : (int)strlen(arg), arg,
					  command ? " " : "", command ? command : "");
				return false;
			}
			if (eq)
				value = eq + 1;
			if (eq && !o->metavar) {
				cli_error(command, "option '--%s' takes no value", o->name);
				return false;
			}
		} else {
			o = find_short(tables, arg[1]);
			if (!o || arg[2] != '\0') {
				cli_error(command, "unknown option '%s' (see 'vpcpeer%s%s --help')",
					  arg, command ? " " : "", command ? command : "");
				return false;
			}
		}
		if (o->metavar && !value) {
			if (i + 1 >= argc) {
				cli_error(command, "option '--%s' needs a value (%s)", o->name,
					  o->metavar);
				return false;
			}
			value = argv[++i];
		}
		if (!push(command, out, o->id, value))
			return false;
	}
	return true;
}

void cli_print_options(FILE *out, const struct cli_option *const *tables)
{
	for (size_t t = 0; tables[t]; t++) {
		for (const struct cli_option *o = tables[t]; o->name; o++) {
			char left[64];
			if (o->short_name)
				snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
					 o->name, o->metavar ? " " : "",
					 o->metavar ? o->metavar : "");
			else
				snprintf(left, sizeof(left), "    --%s%s%s", o->name,
					 o->metavar ? " " : "", o->metavar ? o->metavar : "");
			fprintf(out, "  %-26s %s\n", left, o->help);
			if (o->flags & CLI_OPT_ENV) {
				char name[96];
				if (env_name(o->name, name, sizeof(name)))
					fprintf(out, "  %-26s (env %s%s)\n", "", name,
						(o->flags & CLI_OPT_REPEAT) ? ", comma-separated"
									    : "");
			}
		}
	}
}

void cli_walk_start(struct cli_walk *w, const char *command, int argc, char **argv,
		    const struct cli_option *const *tables, int help_id, void (*print_help)(void))
{
	w->command = command;
	w->help_id = help_id;
	w->print_help = print_help;
	w->next = 0;
	w->failed = false;
	w->stopped = !cli_parse(command, argc - 1, argv + 1, tables, &w->args);
	w->status = w->stopped ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

static const struct cli_arg *walk_stop(struct cli_walk *w, int status)
{
	w->stopped = true;
	w->status = status;
	return NULL;
}

const struct cli_arg *cli_walk_next(struct cli_walk *w)
{
	const struct cli_arg *arg;

	if (w->stopped)
		return NULL;
	if (w->failed)
		return walk_stop(w, CLI_EXIT_USAGE);
	if (w->next >= w->args.count)
		return NULL;
	arg = &w->args.items[w->next++];
	if (arg->id == w->help_id) {
		w->print_help();
		return walk_stop(w, CLI_EXIT_OK);
	}
	return arg;
}

void cli_walk_help_first(struct cli_walk *w)
{
	for (size_t i = 0; !w->stopped && i < w->args.count; i++)
		if (w->args.items[i].id == w->help_id) {
			w->print_help();
			walk_stop(w, CLI_EXIT_OK);
		}
}

void cli_walk_unexpected(struct cli_walk *w, const struct cli_arg *arg)
{
	cli_error(w->command, "unexpected argument '%s'", arg->value);
	w->failed = true;
}

bool cli_number_arg(const char *command, const char *flag, const char *value, int64_t min,
		    int64_t max, int64_t *out)
{
	struct vp_error err;

	if (vp_parse_int64(value, min, max, flag, out, &err) != VP_OK) {
		cli_error(command, "%s", err.message);
		return false;
	}
	return true;
}
