// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_unmap_bench: one stage-2 unmap of a known size, for 'make compare'.
 *
 *   kvm_unmap_bench [-s backing] [-b size] [-u madvise|delete]
 *
 * A VM with one vCPU gets a memslot of @size (default 2M) backed by @backing
 * (a selftest backing name: anonymous maps it with 4K stage-2 pages,
 * anonymous_hugetlb with 2MiB blocks). The guest writes every 4K page of it,
 * so all of it is mapped at stage 2; the host checks the writes and then
 * unmaps the whole memslot exactly once: with MADV_DONTNEED on its backing
 * (the MMU notifier path, kvm_unmap_gfn_range()) or by deleting the memslot
 * (kvm_arch_flush_shadow_memslot()). Run under kvmbench, the counts of TLB
 * maintenance calls are the counts of one unmap of that size (populating
 * the memslot invalidates nothing, and the program exits without tearing
 * the VM down itself).
 *
 * Harness code, built against the tree's own KVM selftest library by
 * scripts/build-selftests.sh; not part of the series.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define TEST_SLOT	1
#define TEST_GPA	(4ULL << 30)

static uint64_t guest_size;

static void guest_code(void)
{
	uint64_t off;

	for (off = 0; off < guest_size; off += 4096)
		WRITE_ONCE(*(uint64_t *)(TEST_GPA + off), TEST_GPA + off);
	GUEST_DONE();
}

static void usage(const char *name)
{
	fprintf(stderr, "usage: %s [-s backing] [-b size] [-u madvise|delete]\n", name);
	backing_src_help("-s");
	exit(KSFT_FAIL);
}

int main(int argc, char *argv[])
{
	enum vm_mem_backing_src_type src = VM_MEM_SRC_ANONYMOUS;
	const char *how = "madvise";
	uint64_t size = 2ULL << 20, npages, off;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint8_t *hva;
	int opt;

	while ((opt = getopt(argc, argv, "s:b:u:h")) != -1) {
		switch (opt) {
		case 's':
			src = parse_backing_src_type(optarg);
			break;
		case 'b':
			size = parse_size(optarg);
			break;
		case 'u':
			how = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (strcmp(how, "madvise") && strcmp(how, "delete"))
		usage(argv[0]);
	TEST_ASSERT(size && size % get_backing_src_pagesz(src) == 0 && size % 4096 == 0,
		    "-b %lu is not a multiple of the backing's page size", size);

	npages = size / 4096;
	vm = __vm_create_with_one_vcpu(&vcpu, npages, guest_code);
	TEST_REQUIRE(vm->page_size == 4096);
	vm_userspace_mem_region_add(vm, src, TEST_GPA, TEST_SLOT, npages, 0);
	virt_map(vm, TEST_GPA, TEST_GPA, npages);
	guest_size = size;
	sync_global_to_guest(vm, guest_size);
#ifndef VM_SHAPE_DEFAULT
	/* 6.1's library; newer ones (with struct vm_shape) do it in VM creation. */
	ucall_init(vm, NULL);
#endif

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_DONE:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
	}

	hva = addr_gpa2hva(vm, TEST_GPA);
	for (off = 0; off < size; off += 4096)
		TEST_ASSERT(*(uint64_t *)(hva + off) == TEST_GPA + off,
			    "the guest's write to %#llx did not land", TEST_GPA + off);

	/* The one unmap this program is about. */
	if (!strcmp(how, "madvise"))
		TEST_ASSERT(!madvise(hva, size, MADV_DONTNEED),
			    "madvise(MADV_DONTNEED) of the memslot failed");
	else
		vm_mem_region_delete(vm, TEST_SLOT);
	printf("METRIC unmapped_kib %lu\n", size >> 10);
	printf("unmapped %lu MiB of %s memory by %s\n", size >> 20,
	       vm_mem_backing_src_alias(src)->name, how);

	/*
	 * Leave the VM to the kernel's teardown at exit: it drops the whole
	 * stage-2 without per-page invalidation (and before the process's
	 * memory is unmapped), whereas kvm_vm_free() would first unmap the
	 * other memslots one by one and add their invalidations to the counts.
	 */
	fflush(stdout);
	_exit(0);
}
