// SPDX-License-Identifier: GPL-2.0
/*
 * init for the KVM test VM: the only program in the initramfs besides the
 * tests themselves.
 *
 * As PID 1 it mounts the pseudo filesystems, reserves hugepages, checks
 * /dev/kvm, runs every line of /plan with its own timeout, prints TAP on the
 * console (each test's own output as "# " comment lines), asks kmemleak for
 * a scan and powers the machine off.
 *
 * Run on a development host as "init --dump-plan FILE" it only parses FILE
 * and prints the entries, so the harness can check that this parser and its
 * own agree (see tests/test_harness.py).
 *
 * Settings come from the kernel command line (the kernel hands unknown
 * "KEY=value" words to init as environment variables):
 *   HARNESS_HUGEPAGES     2 MiB hugepages to reserve (default 0)
 *   HARNESS_HUGEPAGES_1G  1 GiB hugepages to reserve (default 0)
 *   HARNESS_OVERCOMMIT    value for vm.overcommit_memory (default: untouched)
 *   HARNESS_PLAN          plan file (default /plan)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#define MAX_ENTRIES	256
#define MAX_ARGS	64
#define MAX_LINE	4096
#define MAX_NAME	128
#define MAX_TIMEOUT	86400

struct plan_entry {
	int lineno;
	int timeout;
	char name[MAX_NAME];
	int argc;
	char *argv[MAX_ARGS + 1];
};

static struct plan_entry plan[MAX_ENTRIES];
static int plan_len;

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static int name_char_ok(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '/' ||
	       c == ':' || c == '+' || c == '=';
}

/*
 * One plan line: "<timeout-seconds> <name> <program> [args...]", fields
 * separated by blanks, no quoting. '#' starts a comment only at the start of
 * a line. Returns 0 for a blank/comment line, 1 for an entry, -1 (with *err
 * set) for a malformed line. harness/plan.py implements the same grammar.
 */
static int parse_plan_line(char *line, struct plan_entry *e, const char **err)
{
	char *tok, *save = NULL, *end;
	long t;

	line[strcspn(line, "\r\n")] = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0' || *line == '#')
		return 0;

	tok = strtok_r(line, " \t", &save);
	errno = 0;
	t = strtol(tok, &end, 10);
	if (*end != '\0' || errno || t <= 0 || t > MAX_TIMEOUT) {
		*err = "timeout must be a whole number of seconds from 1 to 86400";
		return -1;
	}
	e->timeout = (int)t;

	tok = strtok_r(NULL, " \t", &save);
	if (!tok) {
		*err = "missing test name";
		return -1;
	}
	if (strlen(tok) >= MAX_NAME) {
		*err = "test name too long";
		return -1;
	}
	for (const char *p = tok; *p; p++) {
		if (!name_char_ok((unsigned char)*p)) {
			*err = "test name has a character outside [A-Za-z0-9_.:/+=-]";
			return -1;
		}
	}
	strcpy(e->name, tok);

	e->argc = 0;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (e->argc == MAX_ARGS) {
			*err = "too many arguments";
			return -1;
		}
		e->argv[e->argc] = strdup(tok);
		if (!e->argv[e->argc]) {
			*err = "out of memory";
			return -1;
		}
		e->argc++;
	}
	e->argv[e->argc] = NULL;
	if (!e->argc) {
		*err = "missing command";
		return -1;
	}
	return 1;
}

/* Returns the number of errors; each is printed as "<file>:<line>: <why>". */
static int load_plan(const char *path, FILE *errs)
{
	char line[MAX_LINE];
	int lineno = 0, errors = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(errs, "%s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct plan_entry e;
		const char *err = NULL;
		int r;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(errs, "%s:%d: line too long\n", path, lineno);
			errors++;
			break;
		}
		memset(&e, 0, sizeof(e));
		r = parse_plan_line(line, &e, &err);
		if (r < 0) {
			fprintf(errs, "%s:%d: %s\n", path, lineno, err);
			errors++;
			continue;
		}
		if (!r)
			continue;
		for (int i = 0; i < plan_len; i++) {
			if (!strcmp(plan[i].name, e.name)) {
				fprintf(errs, "%s:%d: duplicate test name %s\n",
					path, lineno, e.name);
				errors++;
				r = 0;
			}
		}
		if (!r)
			continue;
		if (plan_len == MAX_ENTRIES) {
			fprintf(errs, "%s:%d: more than %d entries\n", path,
				lineno, MAX_ENTRIES);
			errors++;
			break;
		}
		e.lineno = lineno;
		plan[plan_len++] = e;
	}
	fclose(f);
	return errors;
}

static int dump_plan(const char *path)
{
	int errors = load_plan(path, stdout);

	for (int i = 0; i < plan_len; i++) {
		printf("%d\t%d\t%s", plan[i].lineno, plan[i].timeout,
		       plan[i].name);
		for (int j = 0; j < plan[i].argc; j++)
			printf("\t%s", plan[i].argv[j]);
		printf("\n");
	}
	return errors ? 1 : 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0) {
		out("# harness: cannot open %s: %s\n", path, strerror(errno));
		return;
	}
	if (write(fd, val, strlen(val)) < 0)
		out("# harness: writing '%s' to %s: %s\n", val, path,
		    strerror(errno));
	close(fd);
}

static void read_to_console(const char *path, const char *prefix)
{
	char buf[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f))
		out("%s%s", prefix, buf);
	fclose(f);
}

static void do_mount(const char *src, const char *dst, const char *type,
		     const char *opts)
{
	mkdir(dst, 0755);
	if (mount(src, dst, type, 0, opts) && errno != EBUSY)
		out("# harness: mount %s on %s: %s\n", type, dst,
		    strerror(errno));
}

static void reserve_hugepages(const char *env, const char *path)
{
	const char *n = getenv(env);

	if (!n || !*n)
		return;
	write_file(path, n);
	out("# harness: %s=%s, now: ", env, n);
	read_to_console(path, "");
}

static void setup(void)
{
	const char *oc;

	do_mount("proc", "/proc", "proc", NULL);
	do_mount("sysfs", "/sys", "sysfs", NULL);
	do_mount("devtmpfs", "/dev", "devtmpfs", NULL);
	do_mount("debugfs", "/sys/kernel/debug", "debugfs", NULL);
	do_mount("tracefs", "/sys/kernel/tracing", "tracefs", NULL);
	do_mount("tmpfs", "/tmp", "tmpfs", NULL);
	do_mount("tmpfs", "/dev/shm", "tmpfs", NULL);
	do_mount("hugetlbfs", "/mnt/huge", "hugetlbfs", NULL);

	reserve_hugepages("HARNESS_HUGEPAGES", "/proc/sys/vm/nr_hugepages");
	reserve_hugepages("HARNESS_HUGEPAGES_1G",
			  "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages");
	oc = getenv("HARNESS_OVERCOMMIT");
	if (oc && *oc)
		write_file("/proc/sys/vm/overcommit_memory", oc);

	if (access("/dev/kvm", R_OK | W_OK))
		out("# harness: ERROR: /dev/kvm missing: %s\n", strerror(errno));
	else
		out("# harness: /dev/kvm present\n");
}

/* Copy the child's output to the console as TAP comment lines. */
static void relay(char *buf, size_t *len, int flush)
{
	char *start = buf, *nl;

	while ((nl = memchr(start, '\n', *len - (start - buf)))) {
		*nl = '\0';
		out("# %s\n", start);
		start = nl + 1;
	}
	*len -= start - buf;
	memmove(buf, start, *len);
	if (*len && (flush || *len >= MAX_LINE - 1)) {
		buf[*len] = '\0';
		out("# %s\n", buf);
		*len = 0;
	}
}

static void run_entry(int n, struct plan_entry *e)
{
	char buf[MAX_LINE + 1];
	size_t len = 0;
	int pfd[2], status = 0, timed_out = 0;
	double start, deadline;
	pid_t pid;

	out("# harness: [%d/%d] %s (timeout %ds)\n", n, plan_len, e->name,
	    e->timeout);
	if (pipe2(pfd, O_CLOEXEC)) {
		out("not ok %d %s # harness error: pipe: %s\n", n, e->name,
		    strerror(errno));
		return;
	}
	start = now();
	deadline = start + e->timeout;
	pid = fork();
	if (pid < 0) {
		out("not ok %d %s # harness error: fork: %s\n", n, e->name,
		    strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (!pid) {
		char path[MAX_NAME + 8];

		setsid();
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		snprintf(path, sizeof(path), "%s%s",
			 strchr(e->argv[0], '/') ? "" : "./", e->argv[0]);
		execv(path, e->argv);
		fprintf(stderr, "harness: exec %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);

	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		double left = deadline - now();
		ssize_t r;

		if (left <= 0) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		r = read(pfd[0], buf + len, MAX_LINE - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += r;
		relay(buf, &len, 0);
	}
	relay(buf, &len, 1);
	close(pfd[0]);
	/* Reap the test; its own children may still hold the pipe. */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	if (timed_out)
		out("not ok %d %s # TIMEOUT %ds\n", n, e->name, e->timeout);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		out("ok %d %s # time=%.2fs\n", n, e->name, now() - start);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
		out("ok %d %s # SKIP exit=4 time=%.2fs\n", n, e->name,
		    now() - start);
	else if (WIFEXITED(status))
		out("not ok %d %s # exit=%d time=%.2fs\n", n, e->name,
		    WEXITSTATUS(status), now() - start);
	else
		out("not ok %d %s # signal=%d time=%.2fs\n", n, e->name,
		    WTERMSIG(status), now() - start);
}

static void kmemleak_report(void)
{
	const char *path = "/sys/kernel/debug/kmemleak";

	if (access(path, W_OK))
		return;
	/* Objects must be seen unreferenced by two scans to be reported. */
	write_file(path, "scan");
	sleep(6);
	write_file(path, "scan");
	out("# harness: kmemleak scan done\n");
	read_to_console(path, "kmemleak-report: ");
}

int main(int argc, char **argv)
{
	const char *plan_path = getenv("HARNESS_PLAN");

	if (argc == 3 && !strcmp(argv[1], "--dump-plan"))
		return dump_plan(argv[2]);
	if (getpid() != 1) {
		fprintf(stderr, "usage: %s --dump-plan FILE (or run as PID 1)\n",
			argv[0]);
		return 2;
	}
	if (!plan_path || !*plan_path)
		plan_path = "/plan";

	setvbuf(stdout, NULL, _IOLBF, 0);
	out("# harness: init start\n");
	setup();
	if (load_plan(plan_path, stdout)) {
		out("# harness: ERROR: plan %s is invalid, running nothing\n",
		    plan_path);
		plan_len = 0;
	}
	if (chdir("/kvm"))
		out("# harness: chdir /kvm: %s\n", strerror(errno));

	out("TAP version 13\n1..%d\n", plan_len);
	for (int i = 0; i < plan_len; i++)
		run_entry(i + 1, &plan[i]);

	kmemleak_report();
	out("# harness: init done\n");
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
