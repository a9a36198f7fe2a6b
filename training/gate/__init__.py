"""The photo-type gate's training (`python -m training.gate.train`): data, features, head."""
