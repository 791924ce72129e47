"""outbreak: open-source Test-Trace-Treat epidemic response.

Users import domains, e.g. ``from outbreak import cases``.
"""

__version__ = "0.1.0"
