"""Host-side pieces of the arm64 KVM series harness (no QEMU needed to test them)."""
