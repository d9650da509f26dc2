// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_migrate: migrate a self-checking guest with a real VMM (QEMU) inside
 * the test host, the way users migrate VMs, and fail on any lost page.
 *
 *   vmm_migrate live|cancel|control hugetlb|thp [-n cancels] [-t seconds]
 *
 * The guest (guest/selfcheck.c) rewrites every page of a 256 MiB region on
 * each pass with a value derived from (pass, page), checks on the next pass
 * that every page still holds what it wrote, writes code into the region,
 * does the architected cache maintenance and runs it. It prints
 * "OK pass=N", or "MISMATCH ..." and "FAILED pass=N" and powers off.
 *
 *   live     the source runs two passes (the region block-mapped at stage 2:
 *            checked by counting stage-2 faults), then migrates live to a
 *            second QEMU, where the guest must run two more passes.
 *   cancel   -n migrations (default 3) throttled so that they cannot
 *            converge, each cancelled after dirty logging has run for -t
 *            seconds (default 5); after each, the guest must run two more
 *            passes on the source (blocks rebuilt over the tables that dirty
 *            logging left); then a full migration as in "live".
 *   control  memory is deliberately not migrated: shared guest memory and
 *            QEMU's x-ignore-shared capability, the destination given a stale
 *            copy of the source's memory taken passes earlier. The guest on
 *            the destination must report a mismatch: this scenario passes
 *            only if the checker fails, proof that it can.
 *
 * hugetlb backs the guest with 2 MiB hugetlbfs pages, thp with anonymous
 * memory that QEMU madvises for transparent huge pages (the control: a file
 * on a tmpfs mounted huge=always, since it needs shared memory).
 *
 * No networking: QMP runs over each QEMU's stdin/stdout and the migration
 * stream over a named pipe: the source writes it through "exec:", a busybox
 * cat into the pipe (QEMU 7.2's outgoing "fd:" takes only descriptors passed
 * over a unix socket, which this kernel does not have), the destination
 * reads it as "fd:3", inherited. Cancelled migrations go to named pipes
 * this program drains.
 *
 * Prints the migration statistics as "METRIC migrate:<name> <value>".
 * Exit: 0 pass, 1 fail (with the reason), 2 usage.
 */
#define _GNU_SOURCE
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
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define QEMU		"/usr/bin/qemu-system-aarch64"
#define GUEST		"/guest/selfcheck.elf"
#define GUEST_MEM_MB	320
#define WORK		"/tmp/vmm"
#define THP_FS		WORK "/thp"
#define TRACE_DIR	"/sys/kernel/tracing/instances/vmm_migrate"
#define FD_INCOMING	3		/* the destination's stream */
#define MAX_STREAMS	16
/* Seconds; measured under TCG: QEMU starts in ~2 s, a pass takes < 3 s, a migration ~10 s. */
#define QMP_TIMEOUT	60
#define PASS_TIMEOUT	60
#define MIGRATE_TIMEOUT	120

enum scenario { LIVE, CANCEL, CONTROL };
enum backing { HUGETLB, THP };

struct vm {
	const char *name;
	pid_t pid;
	int qmp_in, qmp_out;
	char buf[65536];
	size_t len;
	char serial[128], stderr_log[128];
};

static struct vm *vms[2];
static char control_files[2][128];	/* shared memory files of the control */
static int sink_fd = -1;		/* a cancelled migration's stream */
static unsigned long region_pages;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void show_file(const char *path, const char *prefix)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		printf("%s%s", prefix, line);
	fclose(f);
}

static void kill_vms(void)
{
	for (int i = 0; i < 2; i++)
		if (vms[i] && vms[i]->pid > 0) {
			kill(vms[i]->pid, SIGKILL);
			waitpid(vms[i]->pid, NULL, 0);
			vms[i]->pid = 0;
		}
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	for (int i = 0; i < 2; i++) {
		if (!vms[i])
			continue;
		printf("--- %s: guest serial (%s)\n", vms[i]->name, vms[i]->serial);
		show_file(vms[i]->serial, "  ");
		printf("--- %s: QEMU stderr\n", vms[i]->name);
		show_file(vms[i]->stderr_log, "  ");
	}
	fflush(stdout);
	kill_vms();
	/* Hugepages held by a file would fail the tests after this one. */
	for (int i = 0; i < 2; i++)
		if (control_files[i][0])
			unlink(control_files[i]);
	exit(1);
}

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		fail("write %s to %s: %s", val, path, strerror(errno));
	close(fd);
}

/* Stage-2 faults of every VM, counted by a trace instance of our own. */
static void fault_count_start(void)
{
	rmdir(TRACE_DIR);
	if (mkdir(TRACE_DIR, 0755))
		fail("cannot count stage-2 faults: mkdir %s: %s", TRACE_DIR, strerror(errno));
	write_file(TRACE_DIR "/buffer_size_kb", "4");
	write_file(TRACE_DIR "/events/kvm/kvm_guest_fault/enable", "1");
}

static unsigned long fault_count(void)
{
	unsigned long in_buffer, written;
	char buf[4096], *p;
	ssize_t n;
	int fd = open(TRACE_DIR "/trace", O_RDONLY);

	if (fd < 0)
		fail("open %s/trace: %s", TRACE_DIR, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		fail("read %s/trace", TRACE_DIR);
	buf[n] = 0;
	p = strstr(buf, "entries-in-buffer/entries-written:");
	if (!p || sscanf(p, "entries-in-buffer/entries-written: %lu/%lu",
			 &in_buffer, &written) != 2)
		fail("no event count in %s/trace", TRACE_DIR);
	return written;
}

/* Move fd to a number at least 100, close-on-exec. */
static int park_fd(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 100);

	if (n < 0)
		fail("fcntl(F_DUPFD_CLOEXEC): %s", strerror(errno));
	close(fd);
	return n;
}

/*
 * Start QEMU with memory @backend; if @incoming is a descriptor, it waits
 * for a migration (to be read from @incoming, as descriptor FD_INCOMING).
 */
static struct vm *start_vm(const char *name, const char *backend, int incoming)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	int to_qemu[2], from_qemu[2];
	char mem[32], serial[160];

	if (!vm)
		fail("out of memory");
	vm->name = name;
	snprintf(vm->serial, sizeof(vm->serial), WORK "/%s.serial", name);
	snprintf(vm->stderr_log, sizeof(vm->stderr_log), WORK "/%s.stderr", name);
	unlink(vm->serial);
	vms[!strcmp(name, "source") ? 0 : 1] = vm;
	if (pipe2(to_qemu, O_CLOEXEC) || pipe2(from_qemu, O_CLOEXEC))
		fail("pipe: %s", strerror(errno));
	snprintf(mem, sizeof(mem), "%dM", GUEST_MEM_MB);
	snprintf(serial, sizeof(serial), "file:%s", vm->serial);

	vm->pid = fork();
	if (vm->pid < 0)
		fail("fork: %s", strerror(errno));
	if (!vm->pid) {
		const char *argv[40];
		int a = 0, err;

		/* Out of the way of the numbers QEMU is given, then into place. */
		int in = park_fd(to_qemu[0]), out = park_fd(from_qemu[1]);
		int inc = incoming >= 0 ? park_fd(dup(incoming)) : -1;

		err = open(vm->stderr_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || err < 0 || dup2(err, 2) < 0)
			_exit(126);
		if (inc >= 0 && dup2(inc, FD_INCOMING) < 0)
			_exit(126);
		argv[a++] = QEMU;
		argv[a++] = "-nodefaults";
		argv[a++] = "-no-user-config";
		argv[a++] = "-display";
		argv[a++] = "none";
		argv[a++] = "-accel";
		argv[a++] = "kvm";
		argv[a++] = "-cpu";
		argv[a++] = "host";
		argv[a++] = "-smp";
		argv[a++] = "1";
		argv[a++] = "-m";
		argv[a++] = mem;
		argv[a++] = "-object";
		argv[a++] = backend;
		argv[a++] = "-M";
		argv[a++] = "virt,gic-version=3,memory-backend=mem";
		argv[a++] = "-kernel";
		argv[a++] = GUEST;
		argv[a++] = "-serial";
		argv[a++] = serial;
		argv[a++] = "-qmp";
		argv[a++] = "stdio";
		if (incoming >= 0) {
			argv[a++] = "-incoming";
			argv[a++] = "defer";
		}
		argv[a] = NULL;
		execv(QEMU, (char **)argv);
		fprintf(stderr, "exec %s: %s\n", QEMU, strerror(errno));
		_exit(127);
	}
	close(to_qemu[0]);
	close(from_qemu[1]);
	vm->qmp_in = to_qemu[1];
	vm->qmp_out = from_qemu[0];
	return vm;
}

/* Discard what a cancelled migration sends, so that it keeps dirty logging busy. */
static void drain_sink(void)
{
	static char junk[1 << 16];

	while (sink_fd >= 0 && read(sink_fd, junk, sizeof(junk)) > 0)
		;
}

/* Sleep @ms, draining the sink meanwhile. */
static void idle(int ms)
{
	struct pollfd p = { .fd = sink_fd, .events = POLLIN };

	if (sink_fd < 0)
		usleep(ms * 1000);
	else if (poll(&p, 1, ms) > 0)
		drain_sink();
}

/* Wait until @deadline for a QMP line of @vm (draining the sink meanwhile). */
static char *qmp_line(struct vm *vm, double deadline)
{
	for (;;) {
		char *nl = memchr(vm->buf, '\n', vm->len);
		struct pollfd p[2] = {
			{ .fd = vm->qmp_out, .events = POLLIN },
			{ .fd = sink_fd, .events = POLLIN },
		};
		double left = deadline - now();
		ssize_t n;

		if (nl) {
			static char line[sizeof(vm->buf)];
			size_t l = nl - vm->buf;

			memcpy(line, vm->buf, l);
			line[l] = 0;
			vm->len -= l + 1;
			memmove(vm->buf, nl + 1, vm->len);
			return line;
		}
		if (left <= 0)
			fail("%s: no answer from QEMU's QMP within the time limit", vm->name);
		if (poll(p, sink_fd >= 0 ? 2 : 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
		if (p[1].revents)
			drain_sink();
		if (!p[0].revents)
			continue;
		if (vm->len >= sizeof(vm->buf) - 1)
			fail("%s: QMP line too long", vm->name);
		n = read(vm->qmp_out, vm->buf + vm->len, sizeof(vm->buf) - 1 - vm->len);
		if (n <= 0)
			fail("%s: QEMU closed QMP (exited?)", vm->name);
		vm->len += n;
	}
}

/* Run one QMP command; returns its "return" line, fails on "error". */
static char *__attribute__((format(printf, 2, 3))) qmp(struct vm *vm, const char *fmt, ...)
{
	double deadline = now() + QMP_TIMEOUT;
	char cmd[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	cmd[n++] = '\n';
	if (write(vm->qmp_in, cmd, n) != n)
		fail("%s: writing QMP command: %s", vm->name, strerror(errno));
	for (;;) {
		char *line = qmp_line(vm, deadline);

		if (strstr(line, "\"return\""))
			return line;
		if (strstr(line, "\"error\""))
			fail("%s: QMP %.*s: %s", vm->name, n - 1, cmd, line);
		/* events ("event") and the greeting are skipped */
	}
}

static void qmp_start(struct vm *vm)
{
	double deadline = now() + QMP_TIMEOUT;

	while (!strstr(qmp_line(vm, deadline), "\"QMP\""))
		;
	qmp(vm, "{\"execute\": \"qmp_capabilities\"}");
}

static long json_num(const char *json, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	p = strstr(json, k);
	return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

static const char *json_str(const char *json, const char *key)
{
	static char val[64];
	char k[64];
	const char *p;
	size_t n;

	snprintf(k, sizeof(k), "\"%s\": \"", key);
	p = strstr(json, k);
	if (!p)
		return "";
	p += strlen(k);
	n = strcspn(p, "\"");
	if (n >= sizeof(val))
		n = sizeof(val) - 1;
	memcpy(val, p, n);
	val[n] = 0;
	return val;
}

/* What the guest has said: the last pass it completed, and any mismatch. */
struct guest_state {
	long pass;
	int mismatches, failed;
	char first_mismatch[160];
};

/*
 * QEMU appends to the guest's serial log while we read it: only a line that ends
 * in a newline is complete. The last one may still be half written ("region ...
 * 655" of "65536 pages") and is left for the next read, as is any line longer
 * than the guest ever prints.
 */
static struct guest_state guest_state(struct vm *vm)
{
	struct guest_state s = { 0 };
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(vm->serial, "r");

	if (!f)
		return s;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break;
		if (!strncmp(line, "OK pass=", 8))
			s.pass = strtol(line + 8, NULL, 10);
		else if (!strncmp(line, "MISMATCH", 8) && !s.mismatches++)
			snprintf(s.first_mismatch, sizeof(s.first_mismatch), "%.*s",
				 (int)strcspn(line, "\n"), line);
		else if (!strncmp(line, "FAILED", 6))
			s.failed = 1;
		else if (!strncmp(line, "selfcheck: region ", 18) && !region_pages)
			sscanf(line, "selfcheck: region %*s %lu pages", &region_pages);
	}
	free(line);
	fclose(f);
	return s;
}

static int vm_exited(struct vm *vm, int *status)
{
	if (vm->pid <= 0)
		return 1;
	if (waitpid(vm->pid, status, WNOHANG) == vm->pid) {
		vm->pid = 0;
		return 1;
	}
	return 0;
}

/* Wait for the guest on @vm to complete pass @pass; fail on a mismatch. */
static long wait_pass(struct vm *vm, long pass)
{
	double deadline = now() + PASS_TIMEOUT;
	struct guest_state s;
	int status;

	for (;;) {
		s = guest_state(vm);
		if (s.mismatches || s.failed)
			fail("%s: the guest found lost memory: %s", vm->name, s.first_mismatch);
		if (s.pass >= pass)
			return s.pass;
		if (vm_exited(vm, &status))
			fail("%s: QEMU exited (status %#x) before the guest completed pass %ld",
			     vm->name, status, pass);
		if (now() > deadline)
			fail("%s: the guest did not complete pass %ld in time (last: %ld)",
			     vm->name, pass, s.pass);
		idle(100);
	}
}

/* The region must be block-mapped at stage 2, or nothing here tests blocks. */
static void check_blocks(unsigned long faults)
{
	if (!region_pages)
		fail("the guest did not print its region size");
	printf("METRIC guest:stage2-faults-first-2-passes %lu\n", faults);
	if (faults >= region_pages / 8)
		fail("%lu stage-2 faults for two passes over %lu pages: the guest memory is not "
		     "mapped with blocks (huge pages unavailable or misaligned)", faults,
		     region_pages);
	printf("# the region is block-mapped: %lu stage-2 faults for two passes over %lu pages\n",
	       faults, region_pages);
}

/* Wait up to QMP_TIMEOUT for QEMU to exit; returns whether it did. */
static int wait_exited(struct vm *vm, int *status)
{
	double deadline = now() + QMP_TIMEOUT;

	while (!vm_exited(vm, status)) {
		if (now() > deadline)
			return 0;
		usleep(100000);
	}
	return 1;
}

static void wait_exit(struct vm *vm)
{
	int status;

	if (!wait_exited(vm, &status))
		fail("%s: QEMU did not exit after quit", vm->name);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("%s: QEMU exit status %#x", vm->name, status);
}

/*
 * Poll query-migrate until the status leaves "setup"/"active"; returns its
 * line. With @cancel_after > 0, cancels the migration once it has been
 * active that many seconds and synced the dirty log twice.
 */
static char *wait_migration(struct vm *src, double cancel_after)
{
	double start = now(), deadline = start + MIGRATE_TIMEOUT;

	for (;;) {
		char *info = qmp(src, "{\"execute\": \"query-migrate\"}");
		const char *st = json_str(info, "status");

		if (strcmp(st, "setup") && strcmp(st, "active") && strcmp(st, "pre-switchover") &&
		    strcmp(st, "device") && strcmp(st, "cancelling"))
			return info;
		if (cancel_after > 0 && !strcmp(st, "active") && now() - start > cancel_after &&
		    json_num(info, "dirty-sync-count") >= 2) {
			printf("# cancelling after %.1fs: %ld dirty syncs, %ld bytes sent\n",
			       now() - start, json_num(info, "dirty-sync-count"),
			       json_num(info, "transferred"));
			qmp(src, "{\"execute\": \"migrate_cancel\"}");
			cancel_after = 0;
		}
		if (now() > deadline)
			fail("migration still '%s' after %.0fs", st, now() - start);
		idle(250);
	}
}

static char *stream_path(int i)
{
	static char path[64];

	snprintf(path, sizeof(path), WORK "/stream-%d", i);
	return path;
}

/* Create named pipe @i and open its reading end. */
static int open_stream(int i)
{
	int fd;

	unlink(stream_path(i));
	if (mkfifo(stream_path(i), 0600))
		fail("mkfifo %s: %s", stream_path(i), strerror(errno));
	fd = open(stream_path(i), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		fail("open %s: %s", stream_path(i), strerror(errno));
	return fd;
}

/* Start migrating @src into stream @i. */
static void start_migration(struct vm *src, int i)
{
	qmp(src, "{\"execute\": \"migrate\", \"arguments\": "
		 "{\"uri\": \"exec:exec /bin/busybox cat >%s\"}}", stream_path(i));
}

static void print_stats(const char *info)
{
	static const char * const keys[] = {
		"total-time", "downtime", "setup-time", "dirty-sync-count",
		"transferred", "duplicate", "normal", "dirty-pages-rate",
	};

	for (unsigned int i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("METRIC migrate:%s %ld\n", keys[i], json_num(info, keys[i]));
}

/*
 * Migrate @src over stream @stream to a destination started with memory
 * @dst_backend; @caps is a capability to set on both sides (or NULL).
 * Returns the destination.
 */
static struct vm *migrate(struct vm *src, int stream, const char *dst_backend, const char *caps)
{
	int in_fd = open_stream(stream);
	struct vm *dst = start_vm("destination", dst_backend, in_fd);
	const char *info;

	close(in_fd);
	qmp_start(dst);
	if (caps)
		qmp(dst, "{\"execute\": \"migrate-set-capabilities\", \"arguments\": "
			 "{\"capabilities\": [{\"capability\": \"%s\", \"state\": true}]}}", caps);
	qmp(dst, "{\"execute\": \"migrate-incoming\", \"arguments\": {\"uri\": \"fd:%d\"}}",
	    FD_INCOMING);
	/* Converges: the guest rewrites 256 MiB per pass, so allow a long stop-and-copy. */
	qmp(src, "{\"execute\": \"migrate-set-parameters\", \"arguments\": "
		 "{\"max-bandwidth\": 1073741824, \"downtime-limit\": 20000}}");
	start_migration(src, stream);
	info = wait_migration(src, 0);
	if (strcmp(json_str(info, "status"), "completed"))
		fail("migration ended '%s': %s", json_str(info, "status"), info);
	printf("# migration completed: %ld ms in all, %ld ms downtime, %ld dirty syncs\n",
	       json_num(info, "total-time"), json_num(info, "downtime"),
	       json_num(info, "dirty-sync-count"));
	print_stats(info);
	return dst;
}

static void finish(struct vm *src, struct vm *dst, long src_pass)
{
	long pass = wait_pass(dst, src_pass + 2);

	printf("# destination: pass %ld verified (the source stopped after pass %ld)\n",
	       pass, src_pass);
	qmp(src, "{\"execute\": \"quit\"}");
	qmp(dst, "{\"execute\": \"quit\"}");
	wait_exit(src);
	wait_exit(dst);
}

/* Copy the guest memory file @from to @to (mmap: hugetlbfs has no write()). */
static void copy_memory(const char *from, const char *to)
{
	size_t size = (size_t)GUEST_MEM_MB << 20;
	int sfd = open(from, O_RDONLY), dfd = open(to, O_RDWR | O_CREAT | O_TRUNC, 0600);
	void *s, *d;

	if (sfd < 0 || dfd < 0 || ftruncate(dfd, size))
		fail("stale copy %s -> %s: %s", from, to, strerror(errno));
	s = mmap(NULL, size, PROT_READ, MAP_SHARED, sfd, 0);
	d = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, 0);
	if (s == MAP_FAILED || d == MAP_FAILED)
		fail("mmap for the stale copy: %s", strerror(errno));
	memcpy(d, s, size);
	munmap(s, size);
	munmap(d, size);
	close(sfd);
	close(dfd);
}

static void usage(void)
{
	fprintf(stderr, "usage: vmm_migrate live|cancel|control hugetlb|thp [-n cancels] [-t seconds]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int cancels = 3, opt;
	double cancel_secs = 5;
	enum scenario sc;
	enum backing bk;
	char backend[2][256];	/* source, destination */
	struct vm *src, *dst;
	long pass;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		if (opt == 'n')
			cancels = atoi(optarg);
		else if (opt == 't')
			cancel_secs = atof(optarg);
		else
			usage();
	}
	if (argc - optind != 2 || cancels < 1 || cancels >= MAX_STREAMS || cancel_secs <= 0)
		usage();
	if (!strcmp(argv[optind], "live"))
		sc = LIVE;
	else if (!strcmp(argv[optind], "cancel"))
		sc = CANCEL;
	else if (!strcmp(argv[optind], "control"))
		sc = CONTROL;
	else
		usage();
	if (!strcmp(argv[optind + 1], "hugetlb"))
		bk = HUGETLB;
	else if (!strcmp(argv[optind + 1], "thp"))
		bk = THP;
	else
		usage();
	if (access(QEMU, X_OK) || access(GUEST, R_OK))
		fail("%s or %s missing from the test image", QEMU, GUEST);
	if (access("/dev/kvm", R_OK | W_OK))
		fail("/dev/kvm: %s", strerror(errno));
	mkdir(WORK, 0755);
	signal(SIGPIPE, SIG_IGN);

	if (sc == CONTROL) {
		/* Shared memory in files, so that x-ignore-shared leaves it behind. */
		const char *dir = bk == HUGETLB ? "/mnt/huge" : THP_FS;

		if (bk == THP) {
			mkdir(THP_FS, 0755);
			if (mount("tmpfs", THP_FS, "tmpfs", 0, "huge=always") && errno != EBUSY)
				fail("mount tmpfs huge=always on %s: %s", THP_FS, strerror(errno));
		}
		for (int i = 0; i < 2; i++) {
			snprintf(control_files[i], sizeof(control_files[i]), "%s/vmm-%s", dir,
				 i ? "destination" : "source");
			unlink(control_files[i]);
			snprintf(backend[i], sizeof(backend[i]),
				 "memory-backend-file,id=mem,size=%dM,mem-path=%s,share=on,align=2M",
				 GUEST_MEM_MB, control_files[i]);
		}
	} else {
		snprintf(backend[0], sizeof(backend[0]), bk == HUGETLB ?
			 "memory-backend-file,id=mem,size=%dM,mem-path=/mnt/huge" :
			 "memory-backend-ram,id=mem,size=%dM", GUEST_MEM_MB);
		strcpy(backend[1], backend[0]);
	}

	fault_count_start();
	src = start_vm("source", backend[0], -1);
	qmp_start(src);
	pass = wait_pass(src, 2);
	check_blocks(fault_count());

	if (sc == CONTROL) {
		qmp(src, "{\"execute\": \"migrate-set-capabilities\", \"arguments\": "
			 "{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}]}}");
		/* The destination's memory: a copy taken now, passes before the migration. */
		copy_memory(control_files[0], control_files[1]);
		printf("# stale copy of the guest memory taken after pass %ld\n", pass);
		pass = wait_pass(src, pass + 2);
		dst = migrate(src, 0, backend[1], "x-ignore-shared");
		{
			double deadline = now() + PASS_TIMEOUT * 2;
			struct guest_state s;
			int status;

			for (;;) {
				s = guest_state(dst);
				if (s.mismatches)
					break;
				if (s.pass >= pass + 2)
					fail("control: memory was not migrated, yet the guest found "
					     "nothing wrong in passes %ld..%ld: the checker cannot fail",
					     pass + 1, s.pass);
				if (vm_exited(dst, &status) || now() > deadline)
					fail("control: the destination guest neither reported a mismatch "
					     "nor progressed (last pass %ld)", s.pass);
				idle(100);
			}
			printf("# control: the guest reported lost memory, as it must: %s\n",
			       s.first_mismatch);
			printf("METRIC guest:control-mismatch-lines %d\n", s.mismatches);
		}
		qmp(src, "{\"execute\": \"quit\"}");
		wait_exit(src);
		/* The guest powers itself off after FAILED: QEMU exits 0. */
		{
			int status;

			if (!wait_exited(dst, &status))
				qmp(dst, "{\"execute\": \"quit\"}");
		}
		unlink(control_files[0]);
		unlink(control_files[1]);
		printf("# control scenario passed: a migration that loses memory is caught\n");
		return 0;
	}

	for (int i = 0; sc == CANCEL && i < cancels; i++) {
		unsigned long faults = fault_count();
		const char *info;

		sink_fd = open_stream(i);
		/*
		 * Cannot converge: the guest dirties all 256 MiB each pass, far more
		 * than 64 MiB/s can send within a 1 ms downtime.
		 */
		qmp(src, "{\"execute\": \"migrate-set-parameters\", \"arguments\": "
			 "{\"max-bandwidth\": 67108864, \"downtime-limit\": 1}}");
		start_migration(src, i);
		info = wait_migration(src, cancel_secs);
		if (strcmp(json_str(info, "status"), "cancelled"))
			fail("migration %d ended '%s' instead of being cancelled: %s", i + 1,
			     json_str(info, "status"), info);
		close(sink_fd);
		sink_fd = -1;
		unlink(stream_path(i));
		pass = guest_state(src).pass;
		faults = fault_count() - faults;
		printf("# migration %d cancelled after pass %ld, %lu stage-2 faults while logging\n",
		       i + 1, pass, faults);
		printf("METRIC guest:stage2-faults-logging-%d %lu\n", i + 1, faults);
		/* Dirty logging write-protects the region page by page. */
		if (faults < region_pages / 8)
			fail("only %lu stage-2 faults while dirty logging ran over %lu pages: "
			     "logging did not write-protect the region", faults, region_pages);
		faults = fault_count();
		pass = wait_pass(src, pass + 2);
		faults = fault_count() - faults;
		printf("# source: pass %ld verified after the cancel, %lu stage-2 faults\n", pass,
		       faults);
		printf("METRIC guest:stage2-faults-after-cancel-%d %lu\n", i + 1, faults);
	}
	dst = migrate(src, sc == CANCEL ? cancels : 0, backend[1], NULL);
	pass = guest_state(src).pass;
	finish(src, dst, pass);
	printf("# %s migration passed: no page lost, the guest progressed on both sides\n",
	       sc == CANCEL ? "cancelled, then full," : "live");
	return 0;
}
