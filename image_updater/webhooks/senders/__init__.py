"""Webhook senders: one module each (a ``parse`` function) and the table that names them (``table.py``)."""

from image_updater.webhooks.senders.table import SENDERS, SenderSpec

__all__ = ["SENDERS", "SenderSpec"]
