"""The console's panels, one per module, each rendering one frozen piece of the snapshot."""
