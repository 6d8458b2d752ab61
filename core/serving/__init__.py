"""What the SSH front door (``server``) keeps on disk, in one place so ``doctor`` can check it:
the host key and the list of keys that may ask for admin mode."""
