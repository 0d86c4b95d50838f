/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/table.h"

#include <stdlib.h>
#include <string.h>

void cli_table_init(struct cli_table *t, size_t columns, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->columns = columns > CLI_TABLE_MAX_COLUMNS ? CLI_TABLE_MAX_COLUMNS : columns;
	for (size_t c = 0; headers && c < t->columns; c++)
		t->headers[c] = headers[c];
}

void cli_table_cleanup(struct cli_table *t)
{
	for (size_t i = 0; i < t->rows * t->columns; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->rows = t->capacity = 0;
}

void cli_table_limit(struct cli_table *t, size_t column, size_t width, bool keep_end)
{
	if (column >= t->columns)
		return;
	t->keep_end[column] = keep_end;
	t->limit[column] = width < sizeof(CLI_TABLE_ELLIPSIS) ? sizeof(CLI_TABLE_ELLIPSIS) : width;
}

bool cli_table_add(struct cli_table *t, const char *const *cells)
{
	if (t->rows >= CLI_TABLE_MAX_ROWS)
		return false;
	if (t->rows == t->capacity) {
		size_t capacity = t->capacity ? t->capacity * 2 : 16;
		char **grown = realloc(t->cells, capacity * t->columns * sizeof(*grown));
		if (!grown)
			return false;
		t->cells = grown;
		t->capacity = capacity;
	}
	char **row = t->cells + t->rows * t->columns;
	for (size_t c = 0; c < t->columns; c++) {
		row[c] = strdup(cells[c] ? cells[c] : "-");
		if (!row[c]) {
			while (c > 0)
				free(row[--c]);
			return false;
		}
	}
	t->rows++;
	return true;
}

/* How wide `text` prints in column c: its length, cut to the column's limit. */
static size_t cell_width(const struct cli_table *t, size_t c, const char *text)
{
	size_t n = strlen(text);
	return t->limit[c] && n > t->limit[c] ? t->limit[c] : n;
}

static void put_cell(const struct cli_table *t, size_t c, const char *text, size_t width, bool last,
		     FILE *out)
{
	size_t n = strlen(text), shown = n, printed;
	bool cut = t->limit[c] && n > t->limit[c];

	if (cut)
		shown = t->limit[c] - strlen(CLI_TABLE_ELLIPSIS);
	if (cut && t->keep_end[c]) {
		fputs(CLI_TABLE_ELLIPSIS, out);
		text += n - shown;
	}
	for (size_t i = 0; i < shown; i++) {
		unsigned char ch = (unsigned char)text[i];
		fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
	}
	if (cut && !t->keep_end[c])
		fputs(CLI_TABLE_ELLIPSIS, out);
	printed = cut ? t->limit[c] : n;
	if (!last)
		fprintf(out, "%*s", (int)(width - printed + 2), "");
}

bool cli_table_print(const struct cli_table *t, FILE *out)
{
	size_t width[CLI_TABLE_MAX_COLUMNS] = {0};

	for (size_t c = 0; c < t->columns; c++) {
		if (t->headers[c])
			width[c] = strlen(t->headers[c]);
		for (size_t r = 0; r < t->rows; r++) {
			size_t w = cell_width(t, c, t->cells[r * t->columns + c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	if (t->headers[0]) {
		for (size_t c = 0; c < t->columns; c++)
			put_cell(t, c, t->headers[c] ? t->headers[c] : "", width[c],
				 c + 1 == t->columns, out);
		fputc('\n', out);
	}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->columns; c++)
			put_cell(t, c, t->cells[r * t->columns + c], width[c], c + 1 == t->columns,
				 out);
		fputc('\n', out);
	}
	return fflush(out) == 0 && !ferror(out);
}
