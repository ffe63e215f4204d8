"""Helpers TriPrune's baselines share (BASELINES.md §0.7): tuning budgets, the HGNN teacher read from the
store, and the losses, augmentations and projections several baselines use."""
