"""Train the melanoma-vs-nevus CNN and export it with its model card.

Reads top to bottom: data -> lesion-grouped split -> preprocessing cache ->
augmented input pipeline -> model -> fit (early stopping on validation AUC) ->
calibration and thresholds on validation -> test metrics per source -> export.

Usage (the shipped model 3.0.0, three sources, about 50 min on a 2-core CPU):
    melnev train --data ../shared/data/dermoscopy ../shared/data/bcn20000 \
        --out runs/shipped --export model/shipped/melnev.keras \
        --exclude-nevus-confirmations follow_up --acquisition-copies 0.2 \
        --balance-classes-within-sources --resolution-loss-share 0.4 \
        --resolution-loss-scales 0.35 0.5 --epochs 6

Leave-one-source-out (the same recipe on two sources, tested on every image of the
third), e.g. HAM10000 held out:
    melnev train --data ../shared/data/dermoscopy ../shared/data/bcn20000 \
        --out runs/loso-ham --split-file model/shipped/split.csv \
        --train-sources ISIC2017 BCN20000 <the recipe flags above>

Smoke run (a minute):
    melnev train --data ../shared/data/dermoscopy --out /tmp/smoke --limit 40 --epochs 1
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from model.architecture import build_model
from model.export import export_model
from model.predictor import calibrate
from preprocessing.pipeline import PreprocessConfig
from training import augment
from training.cache import preprocess_records
from training.calibration import choose_thresholds, fit_platt
from training.config import parse_config
from training.confirmation import without_nevus_confirmations
from training.copies import with_training_copies
from training.data import Record, read_datasets
from training.figures import save_evaluation_figures, save_training_curves
from training.inputs import full_batches, make_training_input, predict_logits
from training.metrics import metrics_by_source
from training.optimization import (
    HardLabelAUC,
    fit_callbacks,
    make_deterministic,
    make_optimizer,
    training_weights,
)
from training.split import (
    assign_splits,
    limit_records,
    read_split,
    records_by_split,
    split_summary,
    write_split,
)
from training.summary import LIMITATIONS, run_summary
from training.transfer import fit_linear_probe, interpolate_weights

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
    workers = config.workers or os.cpu_count() or 1
    preprocessing = PreprocessConfig(
        image_size=config.image_size,
        working_size=config.working_size,
        center_fraction=config.center_fraction,
        framing=config.framing,
        hair_removal=config.hair_removal,
        color_constancy=config.color_constancy,
    )

    # ---- data and lesion-grouped split --------------------------------------------------
    report = read_datasets(config.data, config.layout)
    logger.info("Dataset: %s", json.dumps(report.summary()))
    records = report.records
    if config.limit:
        records = limit_records(records, config.limit, config.seed)
    if config.split_file is not None:
        assignment = read_split(config.split_file)
        records = [r for r in records if r.image_id in assignment]
    else:
        assignment = assign_splits(records, seed=config.seed)
    write_split(config.out / "split.csv", records, assignment)
    by_split = records_by_split(records, assignment, config.train_sources)
    held_out_sources = by_split["held_out"]
    trained_on = without_nevus_confirmations(by_split["train"], config.exclude_nevus_confirmations)
    if len(trained_on) < len(by_split["train"]):
        logger.info("Left out of training: %d moles", len(by_split["train"]) - len(trained_on))
    logger.info("Split: %s", json.dumps(split_summary(records, assignment)))

    # ---- preprocess once (same preprocess() as serving), plus changed copies -----------
    copies = with_training_copies(
        trained_on,
        hair_copies=config.hair_copies,
        hair_copies_of=config.hair_copies_of,
        acquisition_copies=config.acquisition_copies,
        seed=config.seed,
        recolour_share=config.recolour_share,
        amplitude_share=config.amplitude_share,
        amplitude_max_weight=config.amplitude_max_weight,
    )
    for change, references in (
        ("Recoloured like the other camera group", copies.colour_references),
        ("Amplitude spectrum mixed with another photo's", copies.amplitude_references),
    ):
        if any(references):
            logger.info("%s: %d photos", change, sum(r is not None for r in references))
    cache_dir = config.cache_dir if config.cache_dir and str(config.cache_dir) != "." else None
    prepare = functools.partial(
        preprocess_records, config=preprocessing, cache_dir=cache_dir, workers=workers
    )
    x_train, keep = prepare(
        copies.records,
        hair_seeds=copies.hair_seeds,
        acquisition_seeds=copies.acquisition_seeds,
        colour_references=copies.colour_references,
        amplitude_references=copies.amplitude_references,
        description="train",
    )
    kept_records = [r for r, k in zip(copies.records, keep, strict=True) if k]
    y_train = np.array([r.label for r in kept_records], np.float32)
    arrays: dict[str, tuple[np.ndarray, list[Record]]] = {}
    for name, subset in (
        ("val", by_split["val"]),
        ("test", by_split["test"]),
        ("held_out", held_out_sources),
    ):
        if subset:
            images, keep = prepare(subset, description=name)
            arrays[name] = (images, [r for r, k in zip(subset, keep, strict=True) if k])
    x_val, val_records = arrays["val"]
    y_val = np.array([r.label for r in val_records], np.float32)

    # ---- model and fit -----------------------------------------------------------------
    model = build_model(
        config.image_size,
        backbone=config.backbone,
        weights="imagenet" if config.pretrained and config.backbone != "small_cnn" else None,
        frozen_blocks=config.frozen_blocks,
        widths=config.widths,
        dropout=config.dropout,
    )
    probe = {}
    if config.linear_probe:
        probe = fit_linear_probe(model, (x_train, y_train), (x_val, y_val))
    start_weights = model.get_weights()  # before fine-tuning: the other end of WiSE-FT
    model.save_weights(config.out / "start.weights.h5")
    optimizer = make_optimizer(
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        epochs=config.epochs,
        steps_per_epoch=full_batches(len(x_train), config.batch_size),
        ema_epochs=config.ema_epochs,
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.BinaryCrossentropy(
            from_logits=True, label_smoothing=config.label_smoothing
        ),
        metrics=[HardLabelAUC(name="auc", from_logits=True)],
    )
    sample_weights = training_weights(
        y_train,
        [r.confirmation for r in kept_records],
        excised_nevus_weight=config.excised_nevus_weight,
        sources=[r.source for r in kept_records] if config.balance_classes_within_sources else None,
    )
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
        y_train,
        config.batch_size,
        config.seed,
        augmenter=augmenter,
        sample_weights=sample_weights,  # per image, so MixUp blends them too
        mix_up_alpha=config.mix_up,
    )
    history = model.fit(
        train_input,
        validation_data=(x_val.astype(np.float32), y_val),
        epochs=config.epochs,
        shuffle=False,  # the tf.data pipeline shuffles
        callbacks=fit_callbacks(
            optimizer, patience=config.patience, log_file=config.out / "epochs.csv"
        ),
        verbose=1 if sys.stdout.isatty() else 2,
    )
    save_training_curves(history.history, config.out / "training_curves.png")
    if config.wise_ft < 1.0:
        model.set_weights(interpolate_weights(start_weights, model.get_weights(), config.wise_ft))

    # ---- calibration and thresholds on validation ---------------------------------------
    # Calibration, thresholds and metrics see the logits that serving will compute.
    logits = {
        name: predict_logits(model, images, views=config.test_time_views)
        for name, (images, _) in arrays.items()
    }
    calibration = fit_platt(logits["val"], y_val)
    thresholds = choose_thresholds(
        y_val, calibrate(logits["val"], calibration), min_sensitivity=config.screening_sensitivity
    )

    # ---- evaluation: validation, test, and sources never trained on ---------------------
    metrics: dict[str, Any] = {}
    for name, (_, subset) in arrays.items():
        labels = np.array([r.label for r in subset])
        probabilities = calibrate(logits[name], calibration)
        sources = [r.source for r in subset]
        metrics[name] = metrics_by_source(labels, probabilities, sources, thresholds)
        if name != "val":
            save_evaluation_figures(
                labels, probabilities, thresholds, config.out / name, sources=sources
            )
    duration = time.perf_counter() - started
    training_summary = run_summary(
        config,
        argv if argv is not None else sys.argv[1:],
        duration=duration,
        history=history.history,
        linear_probe=probe,
        report=report,
        records=records,
        assignment=assignment,
        training_images=len(x_train),
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
        test_time_views=config.test_time_views,
        training=training_summary,
        metrics=metrics,
        limitations=LIMITATIONS,
    )
    logger.info(
        "Done in %.0f s. Test: %s", duration, json.dumps(metrics.get("test", {}).get("overall", {}))
    )
    logger.info("Model and card written to %s", export_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
