"""Train the lesion classifier (eight classes) and export it with its model card.

Reads top to bottom as five stages: data (read, lesion-grouped split) -> arrays (training
copies, the same preprocess() as serving, cached) -> fit (augmented batches, early stopping
on validation AUC) -> score (temperature scaling and risk thresholds on validation; every
split per source and class, figures: `training.classifier.scoring`) -> export (.keras,
LiteRT, card).

Usage (the shipped model's recipe is the default, the three shared folders included):
    melnev train --out runs/shipped --export model/shipped/melnev.keras

Leave-one-source-out, e.g. HAM10000 held out and tested whole:
    melnev train --out runs/loso-ham --split-file model/shipped/split.csv \
        --train-sources ISIC2017 BCN20000

Smoke run (a minute):
    melnev train --data ../shared/data/dermoscopy --out /tmp/smoke --limit 40 --epochs 1
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from collections.abc import Sequence

import keras
import numpy as np

from model.architecture import build_model
from model.export import export_model
from model.lesions import LESION_CLASSES
from preprocessing.pipeline import PreprocessConfig
from training.classifier import augment
from training.classifier.config import TrainConfig, parse_config
from training.classifier.inputs import full_batches, make_training_input, predict_logits
from training.classifier.optimization import (
    fit_callbacks,
    make_deterministic,
    make_optimizer,
    training_weights,
)
from training.classifier.prepare import Arrays, preprocess_splits, read_and_split
from training.classifier.scoring import score
from training.classifier.summary import LIMITATIONS, run_summary
from training.datasets import Record
from training.evaluation.figures import save_training_curves

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one training; returns the process exit code."""
    config = parse_config(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    started = time.perf_counter()
    config.out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        make_deterministic()
    preprocessing = PreprocessConfig(
        image_size=config.image_size,
        working_size=config.working_size,
        center_fraction=config.center_fraction,
        hair_removal=config.hair_removal,
        color_constancy=config.color_constancy,
    )
    data = read_and_split(config)
    classes = model_classes(data.records)
    arrays = preprocess_splits(config, data, preprocessing)
    model, history = fit(config, arrays, classes)
    logits = {
        name: predict_logits(model, images, views=config.test_time_views)
        for name, (images, _) in arrays.items()
        if name != "train"
    }
    # Kept before the last stages, so that a failure there costs no retraining.
    model.save(config.out / "fitted.keras")
    np.savez(config.out / "logits.npz", **logits)  # type: ignore[arg-type]
    splits = {
        name: (
            split_logits,
            class_targets(arrays[name][1], classes),
            [record.source for record in arrays[name][1]],
        )
        for name, split_logits in logits.items()
    }
    calibration, thresholds, metrics = score(
        splits, classes, dataclasses.asdict(config), figures=config.out
    )
    duration = time.perf_counter() - started
    training = run_summary(
        config,
        argv if argv is not None else sys.argv[1:],
        duration=duration,
        history=history,
        report=data.report,
        records=data.records,
        assignment=data.assignment,
        training_images=len(arrays["train"][0]),
    )
    (config.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    export_path = config.export or config.out / "melnev.keras"
    export_model(
        model,
        export_path,
        model_version=config.model_version,
        preprocessing=preprocessing,
        thresholds=thresholds,
        calibration=calibration,
        classes=classes,
        test_time_views=config.test_time_views,
        training=training,
        metrics=metrics,
        limitations=LIMITATIONS,
    )
    test = metrics.get("test", {}).get("overall", {})
    logger.info("Done in %.0f s. Test balanced accuracy: %s", duration,
                test.get("balanced_accuracy"))  # fmt: skip
    logger.info("Model and card written to %s", export_path)
    return 0


def model_classes(records: Sequence[Record]) -> tuple[str, ...]:
    """The classes the data has, in `LESION_CLASSES` order: the model's outputs."""
    present = {record.label for record in records}
    return tuple(name for label, name in enumerate(LESION_CLASSES) if label in present)


def class_targets(records: Sequence[Record], classes: tuple[str, ...]) -> np.ndarray:
    """Each record's position in `classes` (its label as the model counts)."""
    return np.array([classes.index(LESION_CLASSES[record.label]) for record in records], np.int64)


def fit(
    config: TrainConfig, arrays: Arrays, classes: tuple[str, ...]
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Fit stage: build the network and train it on augmented, class-balanced batches."""
    x_train, train_records = arrays["train"]
    x_val, val_records = arrays["val"]
    y_train = class_targets(train_records, classes)
    y_val = class_targets(val_records, classes)
    model = build_model(
        config.image_size,
        backbone=config.backbone,
        weights="imagenet" if config.pretrained and config.backbone != "small_cnn" else None,
        frozen_blocks=config.frozen_blocks,
        widths=config.widths,
        dropout=config.dropout,
        classes=len(classes),
    )
    optimizer = make_optimizer(
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        epochs=config.epochs,
        steps_per_epoch=full_batches(len(x_train), config.batch_size),
        ema_epochs=config.ema_epochs,
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(
            from_logits=True, label_smoothing=config.label_smoothing
        ),
        # Mean one-vs-rest ROC AUC over the classes: early stopping keeps its best epoch.
        metrics=[keras.metrics.AUC(name="auc", multi_label=True, from_logits=True)],
    )
    sources = [r.source for r in train_records]
    augmenter = augment.build_augmenter(
        config.seed,
        saturation=config.saturation,
        hue=config.hue,
        zoom=config.zoom,
        resolution_loss_share=config.resolution_loss_share,
        resolution_loss_scales=config.resolution_loss_scales,
    )
    train_input = make_training_input(
        x_train,
        keras.utils.to_categorical(y_train, len(classes)),
        config.batch_size,
        config.seed,
        augmenter=augmenter,
        sample_weights=training_weights(
            y_train, sources=sources if config.balance_classes_within_sources else None
        ),
    )
    history = model.fit(
        train_input,
        validation_data=(x_val.astype(np.float32), keras.utils.to_categorical(y_val, len(classes))),
        epochs=config.epochs,
        shuffle=False,  # the input pipeline shuffles
        callbacks=fit_callbacks(
            optimizer, patience=config.patience, log_file=config.out / "epochs.csv"
        ),
        verbose=1 if sys.stdout.isatty() else 2,
    )
    save_training_curves(history.history, config.out / "training_curves.png")
    return model, history.history


if __name__ == "__main__":
    sys.exit(main())
