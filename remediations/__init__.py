"""rafix core: inventory, policy model, checks, proposals, plans, apply and rollback.

This package never imports Textual or Rich (``tests/test_import_hygiene.py`` proves it), and
only ``remediations.sources.aws`` talks to boto3, so checks and proposals are pure functions over data.
"""

__version__ = "0.1.0"
