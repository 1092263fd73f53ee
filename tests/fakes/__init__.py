"""HTTP emulators of the outside systems, run on 127.0.0.1 by fixtures and benchmarks alike."""
