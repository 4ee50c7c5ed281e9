"""What the registry knows about one tag beyond its name: the policy package's ``TagMetadata``.

The registry fills it and the policies read it; it is defined once, beside the pure policy code.
"""

from image_updater.policy import TagMetadata

__all__ = ["TagMetadata"]
