/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vpcpeer program: a table of subcommands (main.c), one cmd_*.c each,
 * and the argument parsing they share (args.c).
 *
 * Exit statuses: 0 success, 1 the operation failed (or the answer is "no"),
 * 2 bad usage or input, 3 reconcile --dry-run --detailed-exitcode found drift
 * (no error uses it). Errors are one line on stderr: "vpcpeer CMD: message";
 * progress lines (broker calls that wait) too, unless --quiet.
 */
#ifndef VP_CLI_H
#define VP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr/plan.h"
#include "broker/reconcile.h"

struct vp_aws_client;
struct vp_broker_client;

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_DRIFT = 3 };

/* cli_option.flags */
enum {
	/* Also settable as VPCPEER_<NAME> (upper case, '-' -> '_') when not on the command line. */
	CLI_OPT_ENV = 1,
	/* May be given several times; in the environment, as a comma-separated list. */
	CLI_OPT_REPEAT = 2,
};

/* One long option (--name), optionally with a one-letter short form. */
struct cli_option {
	const char *name;
	char short_name;     /* 0 when none */
	const char *metavar; /* NULL: a flag that takes no value */
	int id;              /* > 0, unique within a command */
	const char *help;
	unsigned flags; /* CLI_OPT_* */
};

/* Tables end with an all-zero entry; a command's tables come as a NULL-ended list. */
#define CLI_OPTIONS_END                                                                            \
	{                                                                                          \
		NULL, 0, NULL, 0, NULL, 0                                                          \
	}

#define CLI_MAX_ARGS 4096 /* --allow-account may be given for each of 1024 accounts */

/* One parsed argument: an option (id > 0) with its value, or a positional (id 0). */
struct cli_arg {
	int id;
	const char *value;
};

#define CLI_ENV_STORAGE 65536 /* VPCPEER_ALLOW_ACCOUNT with 1024 ids is 13 KiB */

struct cli_args {
	struct cli_arg items[CLI_MAX_ARGS];
	size_t count;
	char env_storage[CLI_ENV_STORAGE]; /* split copies of environment values */
};

/*
 * Parse argv[0..argc) against the tables. "--name=value", "--name value",
 * "-x", "--" (the rest is positional) are understood; a negative number is a
 * positional, not an option. Then options marked CLI_OPT_ENV that the
 * command line did not give are taken from the environment (a flag without a
 * value from "1", "true" or "yes"; "0", "false", "no" or "" leave it off).
 * On a bad argument prints the error line for `command` and returns false.
 */
bool cli_parse(const char *command, int argc, char **argv, const struct cli_option *const *tables,
	       struct cli_args *out);

/* Whether `name` (without "--") is an option taking a value in any table. */
bool cli_option_takes_value(const struct cli_option *const *tables, const char *name);

/* Print the options of the tables as a help block. */
void cli_print_options(FILE *out, const struct cli_option *const *tables);

/* "vpcpeer CMD: message" on stderr. */
void cli_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The option loop of a command, written once:
 *
 *	cli_walk_start(&w, "whoami", argc, argv, cmd_whoami_tables, OPT_HELP, print_help);
 *	while ((arg = cli_walk_next(&w))) {
 *		switch (arg->id) { ...; default: cli_walk_unexpected(&w, arg); }
 *	}
 *	if (w.stopped)
 *		return w.status;
 *
 * cli_walk_start() parses argv[1..argc) (cli_parse). cli_walk_next() hands
 * out the arguments in order but the option help_id, which it takes itself:
 * it calls print_help() and stops with CLI_EXIT_OK. Once w->failed is set
 * (by cli_walk_unexpected(), or by the caller or a cli_*_apply(..., &w.failed)
 * after printing why) it stops with CLI_EXIT_USAGE, as after a parse error.
 * When stopped it returns NULL, w->stopped is true and w->status is the
 * command's exit status. The arguments point into w and argv: keep w for as
 * long as they are used.
 */
struct cli_walk {
	const char *command;
	int help_id;
	void (*print_help)(void);
	struct cli_args args;
	size_t next;
	bool failed;  /* a bad argument, its error printed */
	bool stopped; /* the command ends now, with status */
	int status;
};

void cli_walk_start(struct cli_walk *w, const char *command, int argc, char **argv,
		    const struct cli_option *const *tables, int help_id, void (*print_help)(void));
const struct cli_arg *cli_walk_next(struct cli_walk *w);
/*
 * For the commands with many flags (serve, reconcile): the help option
 * anywhere wins over a bad flag before it. Call it after cli_walk_start();
 * when help_id is given it prints the help and the walk stops with CLI_EXIT_OK.
 */
void cli_walk_help_first(struct cli_walk *w);
/* "unexpected argument 'VALUE'" for the command, then stop with CLI_EXIT_USAGE. */
void cli_walk_unexpected(struct cli_walk *w, const struct cli_arg *arg);

/*
 * A whole number min..max given for `flag` ("--timeout"): true with it in
 * *out, or false after printing the error for `command`.
 */
bool cli_number_arg(const char *command, const char *flag, const char *value, int64_t min,
		    int64_t max, int64_t *out);

/*
 * --output table|json (output.c): every command that prints an answer. The
 * default (CLI_OUTPUT_AUTO) is a table when stdout is a terminal, one JSON
 * object on one line otherwise.
 */
enum { CLI_OUTPUT_OPT_OUTPUT = 1200 };
enum cli_output { CLI_OUTPUT_AUTO = 0, CLI_OUTPUT_TABLE, CLI_OUTPUT_JSON };
extern const struct cli_option cli_output_options[];
/* Like cli_plan_apply: true when `arg` was --output; a bad value sets *failed. */
bool cli_output_apply(const char *command, enum cli_output *o, const struct cli_arg *arg,
		      bool *failed);
/*
 * The form asked for: `alias` (a command's older --json or --table, when
 * given) over `output` (--output, or VPCPEER_OUTPUT): the command line wins.
 */
enum cli_output cli_output_choose(enum cli_output output, enum cli_output alias);
/* Whether the answer goes out as JSON (given, or by default on a pipe or file). */
bool cli_output_is_json(enum cli_output o);

typedef struct json_t json_t;
struct vp_buf;
/* One JSON object on one line on stdout. The exit status (an error printed). */
int cli_output_json(const char *command, json_t *doc);
/* An object as rows "Key  value" (null as "-", an object as k=v,k=v). The exit status. */
int cli_output_object_table(const char *command, json_t *doc);
/* One of the two, as `o` says. */
int cli_output_print(const char *command, enum cli_output o, json_t *doc);
/* A JSON value as a table cell's text into out (replaced). False when out of memory. */
bool cli_output_value_text(json_t *v, struct vp_buf *out);

/* The address-plan flags shared by every command that uses the plan. */
extern const struct cli_option cli_plan_options[];

/*
 * Apply one plan flag to `plan` (initialised by vp_plan_init). Returns true
 * when `arg` was a plan flag; on a bad value sets *failed and prints the error.
 */
bool cli_plan_apply(const char *command, struct vp_plan *plan, const struct cli_arg *arg,
		    bool *failed);

/* Validate the plan, printing the error for `command`. */
bool cli_plan_check(const char *command, const struct vp_plan *plan);

/* The reconciler's limits shared by serve and reconcile (reconcile_options.c). */
extern const struct cli_option cli_reconcile_limit_options[];

/*
 * Apply one limit flag to `limits` (initialised by vp_reconcile_limits_init).
 * Returns true when `arg` was one; on a bad value sets *failed (error printed).
 */
bool cli_reconcile_limits_apply(const char *command, struct vp_reconcile_limits *limits,
				const struct cli_arg *arg, bool *failed);

/*
 * The broker's client commands (broker_options.c): the connection flags
 * (option ids CLI_BROKER_OPT_*, above any command's own), the AWS client that
 * signs the identity proofs and one call whose JSON answer is printed on
 * stdout, or whose refusal is one line on stderr ("409 conflict: ...").
 */
enum {
	CLI_BROKER_OPT_BROKER = 100,
	CLI_BROKER_OPT_SERVER_ID,
	CLI_BROKER_OPT_CA_FILE,
	CLI_BROKER_OPT_TIMEOUT,
	CLI_BROKER_OPT_REGION,
	CLI_BROKER_OPT_PROFILE,
	CLI_BROKER_OPT_QUIET,
};
/* The connection flags, --quiet and --output: a client command's tables end with these two. */
extern const struct cli_option cli_broker_options[];

struct cli_broker {
	const char *command; /* for the messages */
	const char *url, *server_id, *ca_file, *region, *profile;
	/* What the broker does while the call waits, for the progress line ("it checks ..."). */
	const char *waits_for;
	long timeout_ms;
	enum cli_output output;
	bool quiet; /* no progress lines */
	bool initialised;
	struct vp_aws_client *aws;
	struct vp_broker_client *client;
};

void cli_broker_init(struct cli_broker *b, const char *command);
/* Like cli_plan_apply: true when `arg` was a broker flag; a bad value sets *failed. */
bool cli_broker_apply(const char *command, struct cli_broker *b, const struct cli_arg *arg,
		      bool *failed);
/* cli_walk_next() for a broker client command: it takes the broker flags into b itself. */
const struct cli_arg *cli_broker_walk_next(struct cli_walk *w, struct cli_broker *b);
/* Make the clients (no network yet). CLI_EXIT_OK, or the exit status after printing why. */
int cli_broker_open(const char *command, struct cli_broker *b);
void cli_broker_close(struct cli_broker *b);
/*
 * One call: CLI_EXIT_OK with the answer's JSON object in *doc (the caller
 * json_decref()s it), or the exit status after printing the refusal or the
 * failure. An answer 429 or 503 with Retry-After is asked again (the broker's
 * calls are idempotent) while --timeout allows, at most 3 times in all,
 * saying so on stderr unless --quiet.
 */
int cli_broker_call(const char *command, struct cli_broker *b, const char *method, const char *path,
		    const char *json_body, json_t **doc);
/* One call; prints the answer (--output) or the refusal. Returns the exit status. */
int cli_broker_run(const char *command, struct cli_broker *b, const char *method, const char *path,
		   const char *json_body);
/* A namespace number as the API takes it; prints the error for `command` otherwise. */
bool cli_namespace_arg(const char *command, const char *text, int64_t *out);
/*
 * The whole of a command that takes the broker flags and one namespace N and
 * makes one call on /v1/namespaces/{n} (show: GET, release: DELETE). Options
 * with id help_id print the help; with id client_ref_id (0: none) name the
 * registration meant (?client_ref=R, release). Returns the exit status.
 */
int cli_broker_namespace_command(const char *command, const char *method, int argc, char **argv,
				 const struct cli_option *const *tables, int help_id,
				 int client_ref_id, void (*print_help)(void),
				 const char *waits_for);

/* The subcommands. Each gets argv with argv[0] the command's name. */
struct cli_command {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
	const struct cli_option *const *tables;
};

int cmd_plan_main(int argc, char **argv);
extern const struct cli_option *const cmd_plan_tables[];
int cmd_db_main(int argc, char **argv);
extern const struct cli_option *const cmd_db_tables[];

int cmd_whoami_main(int argc, char **argv);
extern const struct cli_option *const cmd_whoami_tables[];

int cmd_serve_main(int argc, char **argv);
extern const struct cli_option *const cmd_serve_tables[];

/* serve's own (server) flags, also accepted (and ignored) by reconcile: same configuration. */
struct vp_server_config;
extern const struct cli_option cmd_serve_server_options[];
/* Like cli_plan_apply, for cmd_serve_server_options. */
bool cmd_serve_server_apply(const char *command, struct vp_server_config *s, const char **server_id,
			    int64_t *proof_max_age, int64_t *reconcile_interval,
			    const struct cli_arg *arg, bool *failed);

int cmd_reconcile_main(int argc, char **argv);
extern const struct cli_option *const cmd_reconcile_tables[];

int cmd_register_main(int argc, char **argv);
extern const struct cli_option *const cmd_register_tables[];
int cmd_confirm_main(int argc, char **argv);
extern const struct cli_option *const cmd_confirm_tables[];
int cmd_release_main(int argc, char **argv);
extern const struct cli_option *const cmd_release_tables[];
int cmd_show_main(int argc, char **argv);
extern const struct cli_option *const cmd_show_tables[];
int cmd_list_main(int argc, char **argv);
extern const struct cli_option *const cmd_list_tables[];

int cmd_probe_main(int argc, char **argv);
extern const struct cli_option *const cmd_probe_tables[];

int cmd_lambda_main(int argc, char **argv);
extern const struct cli_option *const cmd_lambda_tables[];
int cmd_serve_lambda_main(int argc, char **argv);
extern const struct cli_option *const cmd_serve_lambda_tables[];

#endif
