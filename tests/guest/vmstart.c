// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-tests vmstart SIZE DEVICE: what an operator waits for, timed with
 * Debian's QEMU as the client of whichever type1 backend serves new
 * containers.  VT_QEMU (environment) is the QEMU command and its machine
 * options, the inner guest paused (-S): SIZE of guest RAM is allocated
 * up front (prealloc) and QEMU's VFIO container maps all of it before its
 * monitor answers.  Prints, in nanoseconds:
 *   vm-start-SIZE         QEMU with DEVICE cold-plugged (vfio-pci), from
 *                         its start until QMP answers query-status;
 *   vm-start-SIZE-novfio  the same without the device: what is not VFIO;
 *   hotplug-SIZE          device_add of DEVICE into that running QEMU,
 *                         until its answer.
 * Each phase is announced in the tracer's trace_marker as "vt-phase NAME"
 * (vm-start-SIZE, hotplug-SIZE, or "other" for what is neither), so that a
 * tracer running meanwhile can tell what the backend spent on each.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "vt.h"

struct qemu {
	pid_t pid;
	FILE *in, *out;
};

static uint64_t vm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Tell a tracer which phase begins; without tracefs, nobody listens. */
static void announce(const char *name, const char *size)
{
	int fd = open("/sys/kernel/tracing/trace_marker", O_WRONLY);

	if (fd >= 0) {
		dprintf(fd, "vt-phase %s%s%s\n", name, size ? "-" : "", size ? size : "");
		close(fd);
	}
}

/* Start VT_QEMU plus @extra (NULL-terminated) with QMP on its stdio. */
static int qemu_start(struct qemu *q, const char *size, const char *const *extra)
{
	char *cmd = getenv("VT_QEMU"), *copy, *tok, *argv[64], mem[96];
	int to[2], from[2], n = 0;

	if (!cmd) {
		fprintf(stderr, "vmstart: VT_QEMU is not set\n");
		return -1;
	}
	copy = strdup(cmd);
	for (tok = strtok(copy, " "); tok && n < 40; tok = strtok(NULL, " "))
		argv[n++] = tok;
	snprintf(mem, sizeof(mem), "memory-backend-ram,id=ram,size=%s,prealloc=on", size);
	argv[n++] = "-m";
	argv[n++] = (char *)size;
	argv[n++] = "-object";
	argv[n++] = mem;
	argv[n++] = "-machine";
	argv[n++] = "memory-backend=ram";
	argv[n++] = "-qmp";
	argv[n++] = "stdio";
	argv[n++] = "-device";
	argv[n++] = "pcie-root-port,id=rp0,chassis=1,slot=1";
	while (*extra && n < 62)
		argv[n++] = (char *)*extra++;
	argv[n] = NULL;
	if (pipe(to) || pipe(from))
		return -1;
	q->pid = fork();
	if (q->pid < 0)
		return -1;
	if (!q->pid) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	free(copy);
	q->in = fdopen(to[1], "w");
	q->out = fdopen(from[0], "r");
	return q->in && q->out ? 0 : -1;
}

/* Send one QMP command; 0 once it returns, -1 (reason on stderr) if not. */
static int qmp(struct qemu *q, const char *json)
{
	char line[4096];

	fprintf(q->in, "%s\n", json);
	fflush(q->in);
	while (fgets(line, sizeof(line), q->out)) {
		if (strstr(line, "\"return\""))
			return 0;
		if (strstr(line, "\"error\"")) {
			fprintf(stderr, "vmstart: %s: %s", json, line);
			return -1;
		}
	}
	fprintf(stderr, "vmstart: QEMU exited after %s\n", json);
	return -1;
}

static void qemu_stop(struct qemu *q)
{
	int status;

	fprintf(q->in, "{\"execute\": \"quit\"}\n");
	fflush(q->in);
	fclose(q->in);
	fclose(q->out);
	if (waitpid(q->pid, &status, 0) != q->pid)
		kill(q->pid, SIGKILL);
}

/* Start QEMU and time until its monitor answers; 0 or -1. */
static int timed_start(struct qemu *q, const char *size, const char *const *extra,
		       uint64_t *ns)
{
	uint64_t t0 = vm_now();

	if (qemu_start(q, size, extra) || qmp(q, "{\"execute\": \"qmp_capabilities\"}") ||
	    qmp(q, "{\"execute\": \"query-status\"}"))
		return -1;
	*ns = vm_now() - t0;
	return 0;
}

int cmd_vmstart(int argc, char **argv)
{
	static const char *const none[] = { NULL };
	char dev[96], add[256];
	const char *const vfio[] = { "-device", dev, NULL };
	uint64_t cold, bare, plug = 0, t0;
	struct qemu q;
	int ret;

	if (argc != 4)
		return 2;
	snprintf(dev, sizeof(dev), "vfio-pci,host=%s,bus=rp0,id=vf0", argv[3]);
	snprintf(add, sizeof(add),
		 "{\"execute\": \"device_add\", \"arguments\": {%s, \"host\": \"%s\"}}",
		 "\"driver\": \"vfio-pci\", \"bus\": \"rp0\", \"id\": \"vf0\"", argv[3]);

	announce("other", NULL);
	ret = timed_start(&q, argv[2], none, &bare);
	if (!ret) {
		announce("hotplug", argv[2]);
		t0 = vm_now();
		ret = qmp(&q, add);
		plug = vm_now() - t0;
		announce("other", NULL);
	}
	qemu_stop(&q);
	announce("vm-start", argv[2]);
	ret = ret ?: timed_start(&q, argv[2], vfio, &cold);
	announce("other", NULL);
	if (ret) {
		fprintf(stderr, "vmstart: QEMU with %s did not start\n", argv[3]);
		return 1;
	}
	qemu_stop(&q);
	printf("vm-start-%s %llu\n", argv[2], (unsigned long long)cold);
	printf("vm-start-%s-novfio %llu\n", argv[2], (unsigned long long)bare);
	printf("hotplug-%s %llu\n", argv[2], (unsigned long long)plug);
	return 0;
}
