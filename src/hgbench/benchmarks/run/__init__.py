"""Running: the registry of methods, planning jobs, executors, the store and the timer."""
