"""The classifier: model factory, model card, cached loader and predictor."""
