"""The notebooks' kernel configuration: errors only, without the shutdown interrupt's message."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from traitlets.config import Config

PROJECT = Path(__file__).resolve().parent.parent
KERNEL_CONFIG = PROJECT / "notebooks" / "kernel" / "ipython_kernel_config.py"


def _load_config() -> tuple[Config, dict]:
    config = Config()
    namespace = {"get_config": lambda: config, "__name__": "kernel_config"}
    exec(compile(KERNEL_CONFIG.read_text(), str(KERNEL_CONFIG), "exec"), namespace)
    return config, namespace


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("IPKernelApp", logging.ERROR, __file__, 1, message, None, None)


def test_kernel_logs_errors_but_not_the_interrupt_a_clean_shutdown_sends():
    logger = logging.getLogger("IPKernelApp")
    before = list(logger.filters)
    try:
        config, namespace = _load_config()
        assert config.IPKernelApp.log_level == "ERROR"
        added = [f for f in logger.filters if f not in before]
        assert len(added) == 1 and isinstance(added[0], namespace["ShutdownInterruptFilter"])
        # the two forms ipykernel 7 logs (kernelbase.py: the shell handler and the event loop)
        assert not logger.filter(_record("KeyboardInterrupt caught in kernel."))
        assert not logger.filter(_record("KeyboardInterrupt caught in kernel"))
        assert logger.filter(_record("Exception in message handler:"))
        assert logger.filter(_record("Kernel died: KeyboardInterrupt caught in kernel"))
    finally:
        logger.filters[:] = before


def test_make_install_copies_the_kernel_configuration_and_reinstalls_when_it_changes():
    makefile = (PROJECT / "Makefile").read_text()
    stamp = re.search(r"^\$\(STAMP\):(.*)$", makefile, re.M)
    assert stamp and "notebooks/kernel/ipython_kernel_config.py" in stamp.group(1)
    assert ("cp notebooks/kernel/ipython_kernel_config.py $(VENV)/etc/ipython/ipython_kernel_config.py"
            in makefile)
