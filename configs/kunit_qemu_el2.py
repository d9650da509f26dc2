# kunit.py --qemu_config for arm64 at EL2: KVM initialises (VHE) in the kernel that runs the suites.
# Usage (from a 6.1.y tree with the series): docs/series-mainline.md, "KUnit the kunit.py way" (the 6.1 recipe).
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='arm64',
                           kconfig='''
CONFIG_SERIAL_AMBA_PL011=y
CONFIG_SERIAL_AMBA_PL011_CONSOLE=y
CONFIG_VIRTUALIZATION=y
CONFIG_KVM=y''',
                           qemu_arch='aarch64',
                           kernel_path='arch/arm64/boot/Image.gz',
                           kernel_command_line='console=ttyAMA0',
                           extra_qemu_params=['-machine', 'virt,virtualization=on,gic-version=3',
                                              '-cpu', 'max', '-nic', 'none'])
