// SPDX-License-Identifier: GPL-2.0
/*
 * The 6.1 series' pure TLBI range code, run in userspace: the parts of
 * arch/arm64/include/asm/tlbflush.h from __TLBI_VADDR_RANGE() to
 * __tlbi_s2_range_request(), and __flush_tlb_range(), cut out of the tree under test by
 * harness/userspace.py (never a copy kept here), compiled against the shim
 * below for one granule (-DPAGE_SHIFT=12, 14 or 16) and checked against an
 * oracle written from the architecture (Arm ARM, TLBI RIPAS2E1IS / IPAS2E1IS
 * operands) and the series' stated policy, for equality: every page asked
 * for is covered, nothing else is, and by exactly as many operations as the
 * policy says. It is the same ground as the KUnit suite arm64-tlbi-range,
 * at a few milliseconds a run, so that mechanical mutants of tlbflush.h cost
 * a compile rather than a kernel build and a boot.
 *
 * Exit status 0 when every check passes; otherwise the first failures are
 * printed, with the request that failed, and the status is 1.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the shim: what the cut-out code uses from the rest of the kernel ---- */
typedef uint64_t u64;
typedef uint64_t phys_addr_t;
#undef __always_inline
#define __always_inline inline __attribute__((always_inline))
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PTRS_PER_PTE (1 << (PAGE_SHIFT - 3))
#define GENMASK_ULL(h, l) (((~0ULL) << (l)) & (~0ULL >> (63 - (h))))
#define min(a, b) ({ __typeof__(a) _a = (a); __typeof__(b) _b = (b); _a < _b ? _a : _b; })
#define min_t(t, a, b) ({ t _a = (a); t _b = (b); _a < _b ? _a : _b; })
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN(x, a) ALIGN_DOWN((x) + (a) - 1, (a))

/* Arm ARM: the TG field of a range operand, by translation granule. */
static unsigned long get_trans_granule(void)
{
	return PAGE_SHIFT == 12 ? 1 : PAGE_SHIFT == 14 ? 2 : PAGE_SHIFT == 16 ? 3 : 0;
}

/* Every TLBI the cut-out code issues is recorded, not executed. */
struct tlbi { const char *op; bool range; u64 operand; int level; };
static struct tlbi issued[16384];
static int nissued;
static bool overflow;
static int whole_asid, syncs;
static void record(const char *op, u64 arg, int level)
{
	if (nissued == (int)(sizeof(issued) / sizeof(issued[0]))) {
		overflow = true;
		return;
	}
	issued[nissued].op = op;
	issued[nissued].range = op[0] == 'r';
	issued[nissued].level = level;
	issued[nissued++].operand = arg;
}
#define __tlbi(op, arg) record(#op, (arg), -1)

/* Stage 1 (__flush_tlb_range()): what it uses, from the architecture and the
 * kernel's definitions of the operand (VA[55:12] in bits 43:0, ASID in 63:48;
 * with KPTI every user invalidation is repeated for the user ASID, bit 48). */
struct mm_struct { u64 asid; };
struct vm_area_struct { struct mm_struct *vm_mm; };
static bool has_range, kpti;
#define USER_ASID_FLAG (1ULL << 48)
#define system_supports_tlb_range() (has_range)
#define ASID(mm) ((mm)->asid)
#define dsb(x) do { } while (0)
#define round_down(x, y) ((x) & ~((__typeof__(x))(y) - 1))
#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))(y) - 1)) + 1)
#define __TLBI_VADDR(addr, asid) \
	((((u64)(addr) >> 12) & GENMASK_ULL(43, 0)) | ((u64)(asid) << 48))
#define __tlbi_level(op, arg, level) record(#op, (arg), (level))
#define __tlbi_user_level(op, arg, level) \
	do { if (kpti) record(#op, (arg) | USER_ASID_FLAG, (level)); } while (0)
#define __tlbi_user(op, arg) do { if (kpti) record(#op, (arg) | USER_ASID_FLAG, -1); } while (0)
static void flush_tlb_mm(struct mm_struct *mm) { (void)mm; whole_asid++; }
static void __tlbi_sync_s1ish(void) { syncs++; }

#include EXTRACTED

/* ---- the oracle ---------------------------------------------------------- */
#define PAGES_4G (1UL << (32 - PAGE_SHIFT))
static const unsigned long max_range_pages = 32UL << 16;	/* NUM 31, SCALE 3 */
static const unsigned long max_ops = 1UL << (PAGE_SHIFT - 3);	/* MAX_TLBI_OPS */
static int failures;

#define FAIL(...) do {							\
	if (++failures <= 10) {						\
		fprintf(stderr, "PAGE_SHIFT=%d: ", PAGE_SHIFT);		\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

/* Operations the policy allows: the odd page, then one range operation per
 * non-zero digit of the remaining pair count in base 32, scale 3 taking up
 * to 32 units (the one case where the top digit is 32: MAX_TLBI_RANGE_PAGES). */
static int expected_ops(unsigned long pages, bool use_range)
{
	unsigned long pairs;
	int n = 0, s;

	if (!use_range)
		return (int)pages;
	n = pages & 1;
	pairs = pages >> 1;
	for (s = 0; s < 3; s++) {
		n += (pairs & 31) != 0;
		pairs >>= 5;
	}
	return n + (pairs != 0);
}

/* Decode what was issued for (ipa, pages) and compare with the request. */
static void check_issued(u64 ipa, unsigned long pages, bool use_range)
{
	u64 next = ipa;		/* the operations come in ascending order here */
	int i;

	if (overflow) {
		FAIL("ipa %#llx pages %lu range %d: more than 16384 TLBIs",
		     (unsigned long long)ipa, pages, use_range);
		return;
	}
	for (i = 0; i < nissued; i++) {
		u64 op = issued[i].operand, base, n;

		if (strcmp(issued[i].op, issued[i].range ? "ripas2e1is" : "ipas2e1is")) {
			FAIL("ipa %#llx pages %lu: a stage-2 invalidation issued %s",
			     (unsigned long long)ipa, pages, issued[i].op);
			return;
		}
		if (!issued[i].range) {
			base = op << 12;	/* IPAS2E1IS: IPA[55:12], any granule */
			n = 1;
			if (op >> 44) {
				FAIL("IPAS2E1IS operand %#llx has bits above IPA[55:12]",
				     (unsigned long long)op);
				return;
			}
		} else {
			unsigned tg = (op >> 46) & 3, scale = (op >> 44) & 3;
			unsigned num = (op >> 39) & 31, ttl = (op >> 37) & 3;

			if (!use_range) {
				FAIL("ipa %#llx pages %lu: a range TLBI without FEAT_TLBIRANGE",
				     (unsigned long long)ipa, pages);
				return;
			}
			if (tg != get_trans_granule() || ttl || (op >> 48)) {
				FAIL("range operand %#llx: TG %u TTL %u ASID %llu",
				     (unsigned long long)op, tg, ttl,
				     (unsigned long long)(op >> 48));
				return;
			}
			base = (op & GENMASK_ULL(36, 0)) << PAGE_SHIFT;
			n = (u64)(num + 1) << (5 * scale + 1);
		}
		if (base != next) {
			FAIL("ipa %#llx pages %lu range %d: TLBI %d covers %#llx, expected %#llx next",
			     (unsigned long long)ipa, pages, use_range, i,
			     (unsigned long long)base, (unsigned long long)next);
			return;
		}
		next = base + (n << PAGE_SHIFT);
	}
	if (next != ipa + ((u64)pages << PAGE_SHIFT))
		FAIL("ipa %#llx pages %lu range %d: covered up to %#llx, expected %#llx",
		     (unsigned long long)ipa, pages, use_range, (unsigned long long)next,
		     (unsigned long long)(ipa + ((u64)pages << PAGE_SHIFT)));
	else if (nissued != expected_ops(pages, use_range))
		FAIL("ipa %#llx pages %lu range %d: %d TLBIs, the policy allows %d",
		     (unsigned long long)ipa, pages, use_range, nissued,
		     expected_ops(pages, use_range));
}

static void check_range(u64 ipa, unsigned long pages, bool use_range)
{
	nissued = 0;
	overflow = false;
	__tlbi_s2_range(ipa, pages, use_range);
	check_issued(ipa, pages, use_range);
}

static void check_bounds(void)
{
	static const bool ranges[] = { false, true };
	unsigned int r;

	if (__tlbi_s2_range_max_pages(true) != max_range_pages)
		FAIL("max pages with range operations: %lu, expected %lu",
		     __tlbi_s2_range_max_pages(true), max_range_pages);
	if (__tlbi_s2_range_max_pages(false) != max_ops - 1)
		FAIL("max pages without range operations: %lu, expected %lu",
		     __tlbi_s2_range_max_pages(false), max_ops - 1);
	if (MAX_TLBI_RANGE_PAGES != max_range_pages)
		FAIL("MAX_TLBI_RANGE_PAGES is %lu", (unsigned long)MAX_TLBI_RANGE_PAGES);

	for (r = 0; r < 2; r++) {
		bool use_range = ranges[r];
		unsigned long bound = use_range ? max_range_pages : max_ops - 1;
		static const unsigned long offsets[] = { 0, 1, 4095, 4096, 4097 };
		static const u64 addrs[] = { 0, 1UL << 30, 0x40000000123ULL };
		unsigned long sizes[] = { 0, 1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1,
			(bound - 1) << PAGE_SHIFT, bound << PAGE_SHIFT,
			(bound << PAGE_SHIFT) + 1, (bound + 1) << PAGE_SHIFT,
			4UL << 30, 8UL << 30, (8UL << 30) + (2UL << 20) };
		unsigned int a, o, z;

		for (a = 0; a < 3; a++)
		for (o = 0; o < 5; o++)
		for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
			u64 addr = addrs[a] + offsets[o];
			unsigned long size = sizes[z], pages = 0;
			phys_addr_t start = 0x5a5a, ipa;
			enum tlbi_s2_range_action got, want;
			u64 first = addr & ~(PAGE_SIZE - 1);
			unsigned long want_pages = size ?
				(unsigned long)(((addr + size + PAGE_SIZE - 1) >> PAGE_SHIFT) -
						(addr >> PAGE_SHIFT)) : 0;

			want = !size ? TLBI_S2_NOTHING :
			       want_pages > bound ? TLBI_S2_WHOLE_VMID : TLBI_S2_RANGE;
			got = __tlbi_s2_range_request(addr, size, use_range, &start, &pages);
			if (got != want ||
			    (want == TLBI_S2_RANGE && (start != first || pages != want_pages)))
				FAIL("request %#llx+%#lx range %d: action %d start %#llx pages %lu, expected %d %#llx %lu",
				     (unsigned long long)addr, size, use_range, got,
				     (unsigned long long)start, pages, want,
				     (unsigned long long)first, want_pages);

			/* the hypervisor's check of a host request of want_pages pages */
			ipa = addr;
			want = !want_pages ? TLBI_S2_NOTHING :
			       want_pages > bound ? TLBI_S2_WHOLE_VMID : TLBI_S2_RANGE;
			got = __tlbi_s2_range_check(&ipa, want_pages, use_range);
			if (got != want || (want == TLBI_S2_RANGE && ipa != first) ||
			    (want != TLBI_S2_RANGE && ipa != addr))
				FAIL("check %#llx, %lu pages, range %d: action %d ipa %#llx, expected %d %#llx",
				     (unsigned long long)addr, want_pages, use_range, got,
				     (unsigned long long)ipa, want,
				     (unsigned long long)(want == TLBI_S2_RANGE ? first : addr));
		}
	}
}

/*
 * The iterator on its own, as stage 1 drives it: any stride (a huge page's
 * stride invalidates a block per operation), and counts beyond
 * MAX_TLBI_RANGE_PAGES. Each operation must start where the last one ended
 * (a stride operation moves on by the stride, a range operation by its
 * pages), be a valid one, never count more pages than are left, and the
 * pages must add up to the request: no more operations than pages.
 */
static void check_iter(u64 start, unsigned long pages, unsigned long stride, bool use_range)
{
	struct tlbi_range_iter iter;
	struct tlbi_range_op op;
	unsigned long stride_pages = stride >> PAGE_SHIFT, left = pages, n = 0;
	u64 next = start;

	__tlbi_range_iter_init(&iter, start, pages, stride, use_range);
	while (__tlbi_range_iter_next(&iter, &op)) {
		unsigned long want;

		if (++n > pages) {
			FAIL("iter %lu pages stride %#lx range %d: more operations than pages",
			     pages, stride, use_range);
			return;
		}
		if (op.start != next) {
			FAIL("iter %lu pages stride %#lx range %d: operation %lu at %#lx, expected %#llx",
			     pages, stride, use_range, n, op.start, (unsigned long long)next);
			return;
		}
		if (op.num < 0) {
			want = stride_pages < left ? stride_pages : left;
			next += stride;
		} else {
			if (!use_range || op.scale < 0 || op.scale > 3 || op.num > 31) {
				FAIL("iter %lu pages range %d: scale %d num %d", pages, use_range,
				     op.scale, op.num);
				return;
			}
			want = (unsigned long)(op.num + 1) << (5 * op.scale + 1);
			next += (u64)want << PAGE_SHIFT;
		}
		if (op.pages != want || want > left) {
			FAIL("iter %lu pages stride %#lx range %d: operation %lu counts %lu pages, expected %lu of %lu left",
			     pages, stride, use_range, n, op.pages, want, left);
			return;
		}
		left -= want;
	}
	if (left)
		FAIL("iter %lu pages stride %#lx range %d: %lu pages never invalidated",
		     pages, stride, use_range, left);
	else if (!use_range && n != (pages + stride_pages - 1) / stride_pages)
		FAIL("iter %lu pages stride %#lx: %lu operations, expected one a stride",
		     pages, stride, n);
}

/*
 * Stage 1: __flush_tlb_range(vma, start, end, stride, last_level, level) with
 * and without FEAT_TLBIRANGE and KPTI. Expected, from its documented bounds:
 * the whole ASID alone (flush_tlb_mm()) for MAX_TLBI_OPS strides or more
 * without range operations or more than MAX_TLBI_RANGE_PAGES pages;
 * otherwise [start, end) rounded out to the stride, covered exactly, in
 * address order, each operation a last-level one (VALE1IS, RVALE1IS) when
 * last_level says so, for the mm's ASID, with the level hint, repeated for
 * the user ASID under KPTI, as many as the policy allows, then one sync.
 */
static void check_s1(unsigned long start, unsigned long end, unsigned long stride,
		     bool last_level, int level)
{
	struct mm_struct mm = { .asid = 0x1234 };
	struct vm_area_struct vma = { .vm_mm = &mm };
	unsigned long s = start & ~(stride - 1), e = (end + stride - 1) & ~(stride - 1);
	unsigned long pages = (e - s) >> PAGE_SHIFT, stride_pages = stride >> PAGE_SHIFT;
	bool whole = (!has_range && (e - s) >= max_ops * stride) || pages > max_range_pages;
	int copies = kpti ? 2 : 1, i, want;
	u64 next = s;

	nissued = whole_asid = syncs = 0;
	overflow = false;
	__flush_tlb_range(&vma, start, end, stride, last_level, level);
	if (overflow) {
		FAIL("s1 %#lx-%#lx stride %#lx: more than 16384 TLBIs", start, end, stride);
		return;
	}
	if (whole) {
		if (whole_asid != 1 || nissued)
			FAIL("s1 %#lx-%#lx stride %#lx range %d: %d whole-ASID and %d TLBIs, expected the whole ASID alone",
			     start, end, stride, has_range, whole_asid, nissued);
		return;
	}
	want = has_range ? expected_ops(pages, true) : (int)(pages / stride_pages);
	if (whole_asid || syncs != 1 || nissued != want * copies) {
		FAIL("s1 %#lx-%#lx stride %#lx range %d kpti %d: %d whole-ASID, %d syncs, %d TLBIs, expected 0, 1, %d",
		     start, end, stride, has_range, kpti, whole_asid, syncs, nissued, want * copies);
		return;
	}
	for (i = 0; i < nissued; i += copies) {
		struct tlbi *t = &issued[i];
		u64 op = t->operand, base, n;
		const char *name = t->range ? (last_level ? "rvale1is" : "rvae1is") :
					     (last_level ? "vale1is" : "vae1is");

		if (strcmp(t->op, name) || (op >> 48) != mm.asid ||
		    (kpti && (strcmp(t[1].op, name) || t[1].operand != (op | USER_ASID_FLAG)))) {
			FAIL("s1 %#lx-%#lx: TLBI %d is %s operand %#llx, expected %s for ASID %#llx%s",
			     start, end, i, t->op, (unsigned long long)op, name,
			     (unsigned long long)mm.asid, kpti ? " and its user copy" : "");
			return;
		}
		if (t->range) {
			unsigned tg = (op >> 46) & 3, scale = (op >> 44) & 3;
			unsigned num = (op >> 39) & 31, ttl = (op >> 37) & 3;

			if (!has_range || tg != get_trans_granule() || ttl != (unsigned)(level & 3)) {
				FAIL("s1 range operand %#llx: TG %u TTL %u (level %d)",
				     (unsigned long long)op, tg, ttl, level);
				return;
			}
			base = (op & GENMASK_ULL(36, 0)) << PAGE_SHIFT;
			n = (u64)(num + 1) << (5 * scale + 1 + PAGE_SHIFT);
		} else {
			if (t->level != level) {
				FAIL("s1 %#lx-%#lx: level hint %d, expected %d", start, end, t->level, level);
				return;
			}
			base = (op & GENMASK_ULL(43, 0)) << 12;
			n = stride;
		}
		if (base != (next & GENMASK_ULL(55, 0))) {
			FAIL("s1 %#lx-%#lx stride %#lx range %d: TLBI %d at %#llx, expected %#llx",
			     start, end, stride, has_range, i, (unsigned long long)base,
			     (unsigned long long)next);
			return;
		}
		next += n;
	}
	if (next != e)
		FAIL("s1 %#lx-%#lx stride %#lx range %d: covered up to %#llx, expected %#lx",
		     start, end, stride, has_range, (unsigned long long)next, e);
}

static void check_stage1(void)
{
	static const unsigned long bases[] = { 0x400000, 0xffff80000000UL };
	unsigned int r, k, b, l, st;

	for (r = 0; r < 2; r++)
	for (k = 0; k < 2; k++)
	for (b = 0; b < 2; b++)
	for (st = 0; st < 2; st++) {
		unsigned long stride = st ? PAGE_SIZE << (PAGE_SHIFT - 3) : PAGE_SIZE;
		unsigned long n;

		has_range = r;
		kpti = k;
		for (n = 1; n <= 2 * max_ops + 3; n += n < 40 ? 1 : 29)
			for (l = 0; l < 4; l++) {
				unsigned long start = bases[b] + (l & 1) * 123;

				check_s1(start, start + n * stride - (l & 1) * 123, stride,
					 l & 2, st ? 2 : 3);
			}
		check_s1(bases[b], bases[b] + (max_range_pages << PAGE_SHIFT), PAGE_SIZE, true, 0);
		check_s1(bases[b], bases[b] + ((max_range_pages + 1) << PAGE_SHIFT), PAGE_SIZE, true, 0);
	}
}

int main(void)
{
	static const u64 ipas[] = { 0, 1ULL << 30, 0xffff00000000ULL & ~(PAGE_SIZE - 1) };
	unsigned long pages;
	unsigned int i, s, d;
	u64 x = 88172645463325252ULL;		/* xorshift, fixed seed */

	check_bounds();
	for (i = 0; i < 3; i++) {
		/* every count up to 4096 pages, with and without range operations */
		for (pages = 1; pages <= 4096; pages++) {
			check_range(ipas[i], pages, true);
			if (pages < max_ops)
				check_range(ipas[i], pages, false);
		}
		/* around every power of two and every scale's unit, up to the maximum */
		for (s = 0; s <= 21; s++)
			for (d = 0; d < 5; d++) {
				pages = (1UL << s) + d - 2;
				if (pages && pages <= max_range_pages)
					check_range(ipas[i], pages, true);
			}
		for (pages = max_range_pages - 3; pages <= max_range_pages; pages++)
			check_range(ipas[i], pages, true);
		/* a fixed sample of every size */
		for (d = 0; d < 20000; d++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			check_range(ipas[i], 1 + x % max_range_pages, true);
		}
	}
	check_stage1();
	for (s = 0; s < 3; s++) {
		unsigned long stride = PAGE_SIZE << (s * (PAGE_SHIFT - 3));	/* page, block, 2 levels up */

		for (pages = 1; pages <= 3 * 512 + 7; pages += (pages < 70 ? 1 : 37)) {
			check_iter(1UL << 40, pages, stride, false);
			check_iter(1UL << 40, pages, stride, true);
		}
	}
	for (d = 1; d <= 70; d++)
		check_iter(0, max_range_pages + d, PAGE_SIZE, true);
	check_iter(0, 2 * max_range_pages + 1, PAGE_SIZE, true);
	if (failures)
		fprintf(stderr, "PAGE_SHIFT=%d: %d failure(s)\n", PAGE_SHIFT, failures);
	else
		printf("PAGE_SHIFT=%d: every check passed\n", PAGE_SHIFT);
	return failures ? 1 : 0;
}
