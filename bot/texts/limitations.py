"""Translations of the model card's limitations, which the card holds in English.

Keyed by the English sentence that `training.classifier.summary.LIMITATIONS` writes into the card.
A sentence missing here is shown in English; a test checks that every limitation of the
shipped card has a translation, so a new card cannot ship with an English /about in
another language.
"""

from __future__ import annotations

TRANSLATIONS: dict[str, dict[str, str]] = {
    "ru": {
        "Not a diagnosis and not a medical device: a statistical estimate from one photo.": (
            "Это не диагноз и не медицинское изделие: статистическая оценка по одному фото."
        ),
        "Trained only on dermoscopic images (HAM10000, ISIC 2017, BCN20000) of mostly light "
        "skin; phone photos and dark skin are outside the training data.": (
            "Обучена только на дерматоскопических снимках (HAM10000, ISIC 2017, BCN20000), "
            "в основном светлой кожи; фото с телефона и тёмная кожа в обучающие данные "
            "не входят."
        ),
        "Only melanoma vs melanocytic nevus: other lesions (basal cell carcinoma, "
        "seborrhoeic keratosis, ...) are outside its scope.": (
            "Различает только меланому и меланоцитарный невус: другие образования "
            "(базалиому, себорейный кератоз и т. д.) она не оценивает."
        ),
        "Eight kinds only (the ISIC 2019 classes: nevus, melanoma, basal cell carcinoma, "
        "benign keratosis, actinic keratosis, squamous cell carcinoma, dermatofibroma, "
        "vascular lesion): anything else (rashes, warts, cysts, scars) is forced into one of "
        "them.": (
            "Только восемь видов (классы ISIC 2019: невус, меланома, базалиома, "
            "доброкачественный кератоз, актинический кератоз, плоскоклеточный рак, "
            "дерматофиброма, сосудистое образование): всё остальное (сыпь, бородавки, кисты, "
            "рубцы) модель всё равно относит к одному из них."
        ),
        "Class probabilities are calibrated for photos in which the eight kinds are equally "
        "common (as in training): among real photos moles are far more common.": (
            "Вероятности видов откалиброваны для фото, среди которых все восемь видов "
            "встречаются одинаково часто (как при обучении): в жизни родинки встречаются "
            "гораздо чаще."
        ),
        "Basal cell carcinomas, actinic keratoses and squamous cell carcinomas come mostly "
        "from one hospital's 84 px images (BCN20000).": (
            "Снимки базалиом, актинических кератозов и плоскоклеточного рака в основном взяты "
            "из одной больницы, в разрешении 84 пикселя (BCN20000)."
        ),
        "Training data licensed CC BY-NC 4.0: non-commercial use only.": (
            "Обучающие данные под лицензией CC BY-NC 4.0: только некоммерческое использование."
        ),
    },
}


def translate_limitation(sentence: str, language: str) -> str:
    """Return the card's limitation `sentence` in `language` (as written when unknown)."""
    return TRANSLATIONS.get(language, {}).get(sentence, sentence)
