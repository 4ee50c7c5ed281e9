"""image-updater: the Config Updater that moves image tags forward in a GitOps config repo."""

__version__ = "0.1.0"
