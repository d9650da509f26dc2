// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of vmm_migrate's reader of the guest's serial log (tests/test_vmm_migrate.py):
 * QEMU appends to that file while vmm_migrate reads it, so a line may be half written.
 * Built with the host's gcc: init/vmm_migrate.c is included whole, its main renamed.
 */
#define main vmm_migrate_main
#include "../../init/vmm_migrate.c"
#undef main

static int failures;

static void expect(const char *what, unsigned long got, unsigned long want)
{
	if (got != want) {
		printf("FAIL %s: %lu, expected %lu\n", what, got, want);
		failures++;
	} else {
		printf("ok   %s: %lu\n", what, got);
	}
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static struct vm vm = { .name = "test" };
	struct guest_state s;

	if (argc != 2)
		return 2;
	snprintf(vm.serial, sizeof(vm.serial), "%s", argv[1]);
	append(vm.serial, "selfcheck: start\nOK pass=1\nselfcheck: region 0x40000000 655");
	s = guest_state(&vm);
	expect("half-written region line: not read", region_pages, 0);
	expect("pass before it", s.pass, 1);
	append(vm.serial, "36 pages\nOK pass=1");
	s = guest_state(&vm);
	expect("completed region line", region_pages, 65536);
	expect("half-written pass line: the last complete one", s.pass, 1);
	append(vm.serial, "2\nMISMATCH page 7\n");
	s = guest_state(&vm);
	expect("completed pass line", s.pass, 12);
	expect("mismatches", s.mismatches, 1);
	expect("region kept", region_pages, 65536);
	return failures ? 1 : 0;
}
