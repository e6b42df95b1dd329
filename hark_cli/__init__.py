"""`hark`, the command line for Hark: transcribe files, manage custom models and keys."""
