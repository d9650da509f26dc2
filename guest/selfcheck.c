// SPDX-License-Identifier: GPL-2.0
/*
 * selfcheck.c - bare-metal AArch64 guest that checks its own memory.
 *
 * Runs forever over a 256 MiB region of RAM in passes.  Pass N verifies
 * that the first and last 64-bit word of every 4 KiB page still hold what
 * pass N-1 wrote there, then writes a value unique to (pass, page).  After
 * the data sweep it writes a small function ("return <value of pass N>")
 * into one page of the region, makes it visible to instruction fetch with
 * the architected cache maintenance and calls it.
 *
 * Prints "OK pass=N" after every good pass.  On the first bad pass it
 * prints up to 8 "MISMATCH ..." lines and "FAILED pass=N", then powers
 * the machine off through PSCI SYSTEM_OFF.
 *
 * Platform: QEMU virt (PL011 at 0x09000000, PSCI over HVC), entered at
 * EL1 from selfcheck.S with the MMU and caches on.  The loop in main()
 * keeps its state in registers; printing is done by leaf functions.
 */

typedef unsigned int u32;
typedef unsigned long u64;

#define REGION_BASE	0x42000000UL
#define REGION_SIZE	0x10000000UL	/* 256 MiB */
#define PAGE_SIZE	4096UL
#define NPAGES		(REGION_SIZE / PAGE_SIZE)
#define LAST_WORD	((PAGE_SIZE - 8) / 8)
#define CODE_OFFSET	2048
#define MAX_REPORTS	8
#define VAL_MIX		0x5a5a5a5aa5a5a5a5UL

#define UART_BASE	0x09000000UL
#define UART_DR		0x00
#define UART_FR		0x18
#define UART_FR_TXFF	(1 << 5)

#define PSCI_SYSTEM_OFF	0x84000008UL

#define A64_MOVZ_X0(imm)	(0xd2800000 | ((imm) & 0xffff) << 5)
#define A64_MOVK_X0_16(imm)	(0xf2a00000 | ((imm) & 0xffff) << 5)
#define A64_RET			0xd65f03c0

#define __noinline	__attribute__((noinline))
#define __noreturn	__attribute__((noreturn))
#define __always_inline	inline __attribute__((always_inline))

void exception(u64 esr, u64 elr, u64 far);
void __noreturn poweroff(void);
void __noreturn main(void);

/*
 * Value for (pass, page).  The low half is page ^ 0xa5a5a5a5 with page
 * below 2^16, so it is never 0 nor ~0: neither val nor ~val is ever zero.
 */
static __always_inline u64 val(u64 pass, u64 page)
{
	return ((pass << 32) | page) ^ VAL_MIX;
}

static __always_inline void uart_putc(char c)
{
	volatile u32 *uart = (volatile u32 *)UART_BASE;

	while (uart[UART_FR / 4] & UART_FR_TXFF)
		;
	uart[UART_DR / 4] = c;
}

static __always_inline void put_str(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

static __always_inline void put_hex(u64 v)
{
	int shift = 60;

	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static __always_inline void put_dec(u64 v)
{
	u64 div = 1;

	while (v / div >= 10)
		div *= 10;
	for (; div; div /= 10)
		uart_putc('0' + (v / div) % 10);
}

/* The print_*() functions are leaves: they never touch the stack. */
static __noinline void print_banner(void)
{
	put_str("selfcheck: region 0x");
	put_hex(REGION_BASE);
	put_str("+0x");
	put_hex(REGION_SIZE);
	put_str(", ");
	put_dec(NPAGES);
	put_str(" pages\n");
}

static __noinline void print_mismatch(const char *what, u64 addr, u64 expected,
				      u64 got)
{
	put_str("MISMATCH ");
	put_str(what);
	put_str("=0x");
	put_hex(addr);
	put_str(" expected=0x");
	put_hex(expected);
	put_str(" got=0x");
	put_hex(got);
	put_str("\n");
}

static __noinline void print_pass(const char *what, u64 pass)
{
	put_str(what);
	put_str(" pass=");
	put_dec(pass);
	put_str("\n");
}

void __noreturn poweroff(void)
{
	register u64 x0 asm("x0") = PSCI_SYSTEM_OFF;

	asm volatile("hvc #0" : "+r" (x0) : : "x1", "x2", "x3", "memory");
	for (;;)
		asm volatile("wfi");
}

void exception(u64 esr, u64 elr, u64 far)
{
	put_str("EXCEPTION esr=0x");
	put_hex(esr);
	put_str(" elr=0x");
	put_hex(elr);
	put_str(" far=0x");
	put_hex(far);
	put_str("\n");
}

/* Make [start, end) coherent between data stores and instruction fetch. */
static __always_inline void sync_icache(u64 start, u64 end)
{
	u64 ctr, dline, iline, addr;

	asm volatile("mrs %0, ctr_el0" : "=r" (ctr));
	dline = 4UL << ((ctr >> 16) & 0xf);
	iline = 4UL << (ctr & 0xf);

	for (addr = start & ~(dline - 1); addr < end; addr += dline)
		asm volatile("dc cvau, %0" : : "r" (addr) : "memory");
	asm volatile("dsb ish" : : : "memory");
	for (addr = start & ~(iline - 1); addr < end; addr += iline)
		asm volatile("ic ivau, %0" : : "r" (addr) : "memory");
	asm volatile("dsb ish\n\tisb" : : : "memory");
}

void __noreturn main(void)
{
	u64 pass;

	print_banner();

	/*
	 * A bad pass ends the run, so the mismatches of this pass are all
	 * there will be: one counter limits the reports and flags the pass.
	 */
	for (pass = 1; ; pass++) {
		unsigned int bad = 0;
		u64 p, c, want, got;
		u32 *code;

		for (p = 0; p < NPAGES; p++) {
			volatile u64 *w = (volatile u64 *)(REGION_BASE + p * PAGE_SIZE);

			if (pass > 1) {
				u64 expected = val(pass - 1, p);
				u64 first = w[0], last = w[LAST_WORD];

				if (first != expected && bad++ < MAX_REPORTS)
					print_mismatch("page", (u64)w, expected, first);
				if (last != ~expected && bad++ < MAX_REPORTS)
					print_mismatch("page", (u64)w, ~expected, last);
			}
			w[0] = val(pass, p);
			w[LAST_WORD] = ~val(pass, p);
		}

		c = (pass * 7919) % NPAGES;
		code = (u32 *)(REGION_BASE + c * PAGE_SIZE + CODE_OFFSET);
		want = (pass * 2654435761UL) & 0xffffffff;
		code[0] = A64_MOVZ_X0(want);
		code[1] = A64_MOVK_X0_16(want >> 16);
		code[2] = A64_RET;
		sync_icache((u64)code, (u64)(code + 3));
		got = ((u64 (*)(void))code)();
		if (got != want && bad++ < MAX_REPORTS)
			print_mismatch("code", (u64)code, want, got);

		if (bad) {
			print_pass("FAILED", pass);
			poweroff();
		}
		print_pass("OK", pass);

#ifdef CORRUPT_TEST
		/* Test of the failure path: pass 3 must find this word. */
		if (pass == 2)
			*(volatile u64 *)(REGION_BASE + 12345 * PAGE_SIZE) ^= 1;
#endif
	}
}
