// SPDX-License-Identifier: GPL-2.0
/*
 * kvmbench: run a command in the test VM and count, with the kernel's own
 * function profiler, the calls it caused to the given kernel functions.
 *
 *   kvmbench -f func[,func...] -- program [args...]
 *
 * Prints "METRIC calls:<func> <hits>" for each function (0, with a note, if
 * the running kernel has no such traceable function: the base kernel of a
 * comparison lacks what the series adds), then exits with the program's
 * status. Nothing is added to the kernel for this: it uses tracefs's
 * set_ftrace_filter, function_profile_enabled and trace_stat/function<N>.
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

int main(int argc, char **argv)
{
	char *funcs[MAX_FUNCS], *list = NULL, *tok, *save;
	int present[MAX_FUNCS], nfuncs = 0, i, status, argi = 1;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "-f")) {
		list = strdup(argv[2]);
		argi = 3;
	}
	if (!list || argi >= argc || strcmp(argv[argi], "--") || argi + 1 >= argc) {
		fprintf(stderr, "usage: %s -f func[,func...] -- program [args...]\n",
			argv[0]);
		return 2;
	}
	argi++;
	for (tok = strtok_r(list, ",", &save); tok && nfuncs < MAX_FUNCS;
	     tok = strtok_r(NULL, ",", &save))
		funcs[nfuncs++] = tok;

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
	if (write_str("function_profile_enabled", "1", O_TRUNC)) {
		fprintf(stderr, "kvmbench: cannot enable the function profiler\n");
		return 1;
	}

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

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
