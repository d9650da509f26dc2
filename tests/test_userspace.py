"""harness/userspace.py: what it cuts out of tlbflush.h, and its refusals. (The program itself
runs on the series tree in 'make check', stage 6.1/userspace.)"""
import unittest

from harness import userspace

HEADER = """#define OTHER 1
#define __TLBI_VADDR_RANGE(addr, asid, scale, num, ttl)\t\\
\t({ 0; })
static inline int x(void) { return 1; }
/*
 * __tlbi_s2_range_request() in a comment does not start it
 */
static __always_inline enum tlbi_s2_range_action
__tlbi_s2_range_request(phys_addr_t addr, size_t size, bool use_range,
\t\t\tphys_addr_t *start, unsigned long *pages)
{
\treturn 0;
}

static inline void after(void) {}

static inline void __flush_tlb_range(struct vm_area_struct *vma,
				     unsigned long start)
{
	stage1();
}
static inline void tail(void) {}
"""


class SpanTest(unittest.TestCase):
    def test_span(self):
        self.assertEqual(userspace.spans(HEADER), [(2, 13), (17, 21)])
        text = userspace.extract(HEADER)
        self.assertTrue(text.startswith('#define __TLBI_VADDR_RANGE('))
        self.assertIn('\treturn 0;\n}\nstatic inline void __flush_tlb_range(', text)
        self.assertTrue(text.endswith('\tstage1();\n}\n'))
        for outside in ('after', 'OTHER', 'tail'):
            self.assertNotIn(outside, text)

    def test_not_the_series_header(self):
        with self.assertRaisesRegex(userspace.UserspaceError, 'not the 6.1 series'):
            userspace.span('#define OTHER 1\n')
        with self.assertRaisesRegex(userspace.UserspaceError, 'not the 6.1 series'):
            userspace.span('#define __TLBI_VADDR_RANGE(a)\nstatic int y;\n')
        with self.assertRaisesRegex(userspace.UserspaceError, '__flush_tlb_range'):
            userspace.span(HEADER.split('static inline void __flush_tlb_range')[0])


if __name__ == '__main__':
    unittest.main()
