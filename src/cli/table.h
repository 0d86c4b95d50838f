/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Plain-text tables for the CLI's --output table: left-aligned columns two
 * spaces apart, an upper-case header line (or none), each column as wide as
 * its widest cell up to its limit; longer cells are cut and end in "...".
 * No colours, no box drawing: the text is the same on a terminal, in a log
 * and in a test. Control characters in a cell print as '?', so an answer
 * from the network cannot move the cursor.
 *
 * struct cli_table is caller-owned storage: cli_table_init(), then
 * cli_table_cleanup(). The cells are copied.
 */
#ifndef VP_CLI_TABLE_H
#define VP_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_TABLE_MAX_COLUMNS 12
#define CLI_TABLE_MAX_ROWS    200000
#define CLI_TABLE_ELLIPSIS    "..."

struct cli_table {
	size_t columns;
	const char *headers[CLI_TABLE_MAX_COLUMNS]; /* borrowed; NULL: no header line */
	size_t limit[CLI_TABLE_MAX_COLUMNS];        /* widest a cell prints; 0: no limit */
	bool keep_end[CLI_TABLE_MAX_COLUMNS];       /* cut the start, not the end */
	char **cells;                               /* rows * columns copies */
	size_t rows, capacity;
};

/*
 * `columns` columns (1..CLI_TABLE_MAX_COLUMNS), named by `headers` (which
 * must outlive the table) or without a header line when it is NULL.
 */
void cli_table_init(struct cli_table *t, size_t columns, const char *const *headers);
void cli_table_cleanup(struct cli_table *t);

/*
 * Cut the cells of `column` to at most `width` (>= 4) characters: their end
 * goes, or with keep_end their start ("...stack/name/Registration": where an
 * ARN says the most).
 */
void cli_table_limit(struct cli_table *t, size_t column, size_t width, bool keep_end);

/* Append one row of t->columns cells (NULL prints as "-"). False when out of memory or full. */
bool cli_table_add(struct cli_table *t, const char *const *cells);

/* Print it. False when `out` cannot be written. */
bool cli_table_print(const struct cli_table *t, FILE *out);

#endif
