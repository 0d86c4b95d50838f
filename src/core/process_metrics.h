/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The standard process metrics of Prometheus's client libraries
 * (process_cpu_seconds_total, process_open_fds, process_max_fds,
 * process_virtual_memory_bytes, process_resident_memory_bytes,
 * process_start_time_seconds), read from /proc/self when /metrics is asked,
 * as the Go and Python clients do on Linux. A value that cannot be read is
 * left out, never guessed.
 */
#ifndef VP_CORE_PROCESS_METRICS_H
#define VP_CORE_PROCESS_METRICS_H

#include "core/buf.h"
#include "core/error.h"

/* Append the families, in the text exposition format, to out. */
VP_NODISCARD vp_code vp_process_metrics_append(struct vp_buf *out);

#endif
