// SPDX-License-Identifier: GPL-2.0
/*
 * kvmbench: run a command in the test VM and count, with the kernel's own
 * function profiler, the calls it caused to the given kernel functions.
 *
 *   kvmbench [-f func[,func...]] [-k label=func:reg]... -- program [args...]
 *
 * Prints "METRIC calls:<func> <hits>" for each function of -f (0, with a
 * note, if the running kernel has no such traceable function: the base
 * kernel of a comparison lacks what the series adds). Each -k puts a kprobe
 * event on @func that records the argument register @reg (x0..x7) as a
 * size, with a hist trigger keyed on it, and prints "METRIC <label>:calls"
 * and "METRIC <label>:bytes" (the sum of the sizes). Then exits with the
 * program's status. Nothing is added to the kernel for this: it uses
 * tracefs's set_ftrace_filter, function_profile_enabled,
 * trace_stat/function<N>, kprobe_events and hist triggers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#define TRACEFS		"/sys/kernel/tracing"
#define MAX_FUNCS	16
#define MAX_PROBES	8
#define HIST_TRIGGER	"hist:keys=size:vals=hitcount:size=4096"

struct probe {
	char label[64], func[128], reg[8];
	int present;
};

static int write_str(const char *file, const char *val, int flags)
{
	char path[256];
	int fd, ret = 0;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Sum the "Hit" column of @func over every CPU's trace_stat/function<N>. */
static long hits(const char *func)
{
	char path[300], line[512], name[256];
	struct dirent *de;
	long total = 0, n;
	DIR *d = opendir(TRACEFS "/trace_stat");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *f;

		if (strncmp(de->d_name, "function", 8))
			continue;
		snprintf(path, sizeof(path), TRACEFS "/trace_stat/%s", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, " %255s %ld", name, &n) == 2 &&
			    !strcmp(name, func))
				total += n;
		}
		fclose(f);
	}
	closedir(d);
	return total;
}

static int parse_probe(const char *arg, struct probe *p)
{
	memset(p, 0, sizeof(*p));
	if (sscanf(arg, "%63[A-Za-z0-9_]=%127[A-Za-z0-9_.]:%7[x0-9]", p->label,
		   p->func, p->reg) != 3)
		return -1;
	return 0;
}

static void probe_path(const struct probe *p, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "events/kvmbench/%s/%s", p->label, file);
}

static void probe_start(struct probe *p)
{
	char cmd[2048], path[2048];

	snprintf(cmd, sizeof(cmd), "p:kvmbench/%s %s size=%%%s:u64\n", p->label,
		 p->func, p->reg);
	if (write_str("kprobe_events", cmd, O_APPEND)) {
		printf("kvmbench: no kprobe on %s in this kernel\n", p->func);
		return;
	}
	probe_path(p, "trigger", path, sizeof(path));
	p->present = !write_str(path, HIST_TRIGGER, O_TRUNC);
	if (!p->present)
		printf("kvmbench: cannot set a hist trigger on %s\n", path);
}

/* Sum the hist of @p: "{ size: N } hitcount: M" lines. */
static void probe_report(struct probe *p)
{
	char path[2048], line[256], cmd[2048];
	unsigned long long size, hits, calls = 0, bytes = 0;
	FILE *f;

	if (p->present) {
		snprintf(path, sizeof(path), TRACEFS "/events/kvmbench/%s/hist", p->label);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, " { size: %llu } hitcount: %llu", &size, &hits) == 2) {
				calls += hits;
				bytes += size * hits;
			}
		}
		if (f)
			fclose(f);
		probe_path(p, "trigger", path, sizeof(path));
		write_str(path, "!" HIST_TRIGGER, O_TRUNC);
	}
	printf("METRIC %s:calls %llu\n", p->label, calls);
	printf("METRIC %s:bytes %llu\n", p->label, bytes);
	snprintf(cmd, sizeof(cmd), "-:kvmbench/%s\n", p->label);
	write_str("kprobe_events", cmd, O_APPEND);
}

int main(int argc, char **argv)
{
	char *funcs[MAX_FUNCS], *tok, *save;
	int present[MAX_FUNCS], nfuncs = 0, nprobes = 0, i, status, argi = 1;
	struct probe probes[MAX_PROBES];
	pid_t pid;

	while (argi + 1 < argc && argv[argi][0] == '-' && strcmp(argv[argi], "--")) {
		if (!strcmp(argv[argi], "-f")) {
			for (tok = strtok_r(strdup(argv[argi + 1]), ",", &save);
			     tok && nfuncs < MAX_FUNCS; tok = strtok_r(NULL, ",", &save))
				funcs[nfuncs++] = tok;
		} else if (!strcmp(argv[argi], "-k") && nprobes < MAX_PROBES &&
			   !parse_probe(argv[argi + 1], &probes[nprobes])) {
			nprobes++;
		} else {
			break;
		}
		argi += 2;
	}
	if ((!nfuncs && !nprobes) || argi >= argc || strcmp(argv[argi], "--") ||
	    argi + 1 >= argc) {
		fprintf(stderr, "usage: %s [-f func[,func...]] [-k label=func:xN]... -- program [args...]\n",
			argv[0]);
		return 2;
	}
	argi++;

	if (access(TRACEFS "/function_profile_enabled", W_OK)) {
		fprintf(stderr, "kvmbench: %s/function_profile_enabled: %s (needs CONFIG_FUNCTION_PROFILER and tracefs)\n",
			TRACEFS, strerror(errno));
		return 1;
	}
	write_str("function_profile_enabled", "0", O_TRUNC);
	write_str("set_ftrace_filter", "", O_TRUNC);
	for (i = 0; i < nfuncs; i++) {
		present[i] = !write_str("set_ftrace_filter", funcs[i], O_APPEND);
		if (!present[i])
			printf("kvmbench: %s is not a traceable function of this kernel\n",
			       funcs[i]);
	}
	/* Enabling the profiler resets its counts. */
	if (nfuncs && write_str("function_profile_enabled", "1", O_TRUNC)) {
		fprintf(stderr, "kvmbench: cannot enable the function profiler\n");
		return 1;
	}
	for (i = 0; i < nprobes; i++)
		probe_start(&probes[i]);

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		execv(argv[argi], &argv[argi]);
		fprintf(stderr, "kvmbench: exec %s: %s\n", argv[argi], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;

	write_str("function_profile_enabled", "0", O_TRUNC);
	for (i = 0; i < nfuncs; i++)
		printf("METRIC calls:%s %ld\n", funcs[i], present[i] ? hits(funcs[i]) : 0);
	write_str("set_ftrace_filter", "", O_TRUNC);
	for (i = 0; i < nprobes; i++)
		probe_report(&probes[i]);

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
