/* SPDX-License-Identifier: GPL-2.0 */
/*
 * selfcheck.S - entry point of the bare-metal AArch64 memory self-check.
 *
 * Entered at EL1 with the MMU off (QEMU virt, -kernel selfcheck.elf):
 * installs a stack and exception vectors, zeroes .bss, builds a one-level
 * identity map of the low 2 GiB (1 GiB device block for the peripherals,
 * 1 GiB normal write-back block for RAM), turns on the MMU and both caches
 * and calls main(), which never returns.
 */

	.equ	PTE_BLOCK,	1 << 0
	.equ	PTE_ATTR_DEV,	0 << 2		/* MAIR attr0: Device-nGnRnE */
	.equ	PTE_ATTR_NORMAL, 1 << 2		/* MAIR attr1: Normal WB */
	.equ	PTE_SH_INNER,	3 << 8
	.equ	PTE_AF,		1 << 10
	.equ	PTE_PXN,	1 << 53
	.equ	PTE_UXN,	1 << 54

	.equ	PTE_DEVICE,	PTE_BLOCK | PTE_ATTR_DEV | PTE_AF | PTE_PXN | PTE_UXN
	.equ	PTE_NORMAL,	PTE_BLOCK | PTE_ATTR_NORMAL | PTE_SH_INNER | PTE_AF

	.equ	MAIR_VALUE,	0xff << 8	/* attr0 = 0x00, attr1 = 0xff */

	/* T0SZ=32, IRGN0=ORGN0=WBWA, SH0=inner, TG0=4K, EPD1, TG1=4K, IPS=32 bit */
	.equ	TCR_VALUE,	32 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 30)

	.equ	SCTLR_M,	1 << 0
	.equ	SCTLR_A,	1 << 1
	.equ	SCTLR_C,	1 << 2
	.equ	SCTLR_SA,	1 << 3
	.equ	SCTLR_I,	1 << 12
	.equ	SCTLR_WXN,	1 << 19
	.equ	SCTLR_EE,	1 << 25

	.macro	adr_l, reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
	.endm

	.section .text.boot, "ax"
	.globl	_start
_start:
	adr_l	x0, stack_top
	mov	sp, x0
	adr_l	x0, vectors
	msr	vbar_el1, x0

	/* Zero .bss (16-byte aligned and sized by the linker script). */
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
1:	stp	xzr, xzr, [x0], #16
	cmp	x0, x1
	b.lo	1b

	/* Level-1 table: VA[31:30] selects one of four 1 GiB blocks. */
	adr_l	x0, l1_table
	ldr	x1, =0x00000000 | PTE_DEVICE
	ldr	x2, =0x40000000 | PTE_NORMAL
	stp	x1, x2, [x0]

	/*
	 * Those writes went to memory uncached: drop any stale lines of .bss
	 * before the (cacheable) table walker and cacheable accesses see it.
	 */
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4			/* DminLine, log2(words) */
	mov	x2, #4
	lsl	x2, x2, x3			/* D-cache line size in bytes */
	sub	x3, x2, #1
	adr_l	x0, __bss_start
	bic	x0, x0, x3
	adr_l	x1, __bss_end
2:	dc	ivac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	2b
	dsb	sy

	ldr	x0, =MAIR_VALUE
	msr	mair_el1, x0
	ldr	x0, =TCR_VALUE
	msr	tcr_el1, x0
	adr_l	x0, l1_table
	msr	ttbr0_el1, x0
	isb
	tlbi	vmalle1
	ic	iallu
	dsb	nsh
	isb

	mrs	x0, sctlr_el1
	ldr	x1, =SCTLR_M | SCTLR_C | SCTLR_I
	orr	x0, x0, x1
	ldr	x1, =SCTLR_A | SCTLR_SA | SCTLR_WXN | SCTLR_EE
	bic	x0, x0, x1
	msr	sctlr_el1, x0
	isb

	bl	main
	b	poweroff

	.ltorg

/* Any exception is fatal: report it from C and power off. */
	.text
	.balign	2048
vectors:
	.rept	16
	.balign	128
	b	exc_common
	.endr

exc_common:
	mrs	x0, esr_el1
	mrs	x1, elr_el1
	mrs	x2, far_el1
	bl	exception
	b	poweroff

	.bss
	.balign	4096
l1_table:
	.space	4096
	.balign	16
	.space	16384
stack_top:
