"""Configuration of the notebooks' Jupyter kernel. `make install` copies it into the virtual
environment (.venv/etc/ipython/), where every kernel started from it reads it."""

import logging

c = get_config()  # noqa: F821 (provided by IPython's configuration loader)

# Errors only: the kernel's "running over TCP without encryption" notice is about a local,
# single-user kernel.
c.IPKernelApp.log_level = "ERROR"


class ShutdownInterruptFilter(logging.Filter):
    """Drop the one error message a clean shutdown can produce.

    jupyter_client interrupts a kernel (SIGINT) before it asks it to shut down. When the signal
    lands while the kernel is still finishing the last cell's reply, ipykernel logs
    "KeyboardInterrupt caught in kernel" at ERROR level although every cell ran: the message
    that ended `make reports` on a busy machine. Every other message is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("KeyboardInterrupt caught in kernel")


logging.getLogger("IPKernelApp").addFilter(ShutdownInterruptFilter())
