"""The classifier's training: the recipe (config), its stages (train), and what they use."""
