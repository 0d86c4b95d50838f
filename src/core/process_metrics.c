/* SPDX-License-Identifier: Apache-2.0 */
#include "core/process_metrics.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* /proc/self/stat's fields after the command (which may hold blanks and parentheses: the
 * last ')' ends it). proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24. */
struct proc_stat {
	unsigned long long utime, stime, starttime, vsize;
	long long rss;
};

static bool read_stat(struct proc_stat *st)
{
	char text[1024], *p;
	size_t len;
	FILE *f = fopen("/proc/self/stat", "re");

	if (!f)
		return false;
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	p = strrchr(text, ')');
	/* from field 3 (state) on: skip 3..13, then 14 15, skip 16..21, then 22 23 24 */
	return p && sscanf(p + 1,
			   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
			   "%*d %*d %*d %llu %llu %lld",
			   &st->utime, &st->stime, &st->starttime, &st->vsize, &st->rss) == 5;
}

/* The boot time in seconds since the epoch (/proc/stat's btime). */
static bool boot_time(unsigned long long *out)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "btime %llu", out) == 1;
	fclose(f);
	return found;
}

static long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static vp_code family(struct vp_buf *out, const char *name, const char *type, const char *help,
		      double value)
{
	return vp_buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type,
			      name, value);
}

vp_code vp_process_metrics_append(struct vp_buf *out)
{
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE), fds = open_fds();
	unsigned long long btime;
	struct proc_stat st;
	struct rlimit lim;
	vp_code rc = VP_OK;

	if (read_stat(&st) && ticks > 0 && page > 0) {
		rc = family(out, "process_cpu_seconds_total", "counter",
			    "Total user and system CPU time spent in seconds.",
			    (double)(st.utime + st.stime) / (double)ticks);
		if (rc == VP_OK)
			rc = family(out, "process_virtual_memory_bytes", "gauge",
				    "Virtual memory size in bytes.", (double)st.vsize);
		if (rc == VP_OK)
			rc = family(out, "process_resident_memory_bytes", "gauge",
				    "Resident memory size in bytes.",
				    (double)st.rss * (double)page);
		if (rc == VP_OK && boot_time(&btime))
			rc = family(out, "process_start_time_seconds", "gauge",
				    "Start time of the process since unix epoch in seconds.",
				    (double)btime + (double)st.starttime / (double)ticks);
	}
	if (rc == VP_OK && fds >= 0)
		rc = family(out, "process_open_fds", "gauge", "Number of open file descriptors.",
			    (double)fds);
	if (rc == VP_OK && getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
		rc = family(out, "process_max_fds", "gauge",
			    "Maximum number of open file descriptors.", (double)lim.rlim_cur);
	return rc;
}
