"""Activation playbooks (issue 13): data the engine compiles, runs, traces and measures."""
