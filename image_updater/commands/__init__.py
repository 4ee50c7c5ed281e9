"""The CLI's commands, one module each, so ``cli`` stays an argument parser."""
