"""English texts."""

TEXTS: dict[str, str] = {
    "start": (
        "Hi! I estimate how urgently a doctor should see a mole or skin spot, and which of "
        "eight kinds it looks most like: mole, melanoma, basal cell carcinoma, benign "
        "keratosis, actinic keratosis, squamous cell carcinoma, dermatofibroma or vascular "
        "lesion. I do not diagnose anything: only a doctor can.\n\n"
        "Which photos work:\n"
        "• best: a photo of one mole taken through a dermatoscope (the magnifier with a light "
        "that dermatologists use; some phone attachments are one);\n"
        "• also possible: a sharp ordinary close-up of one spot; the estimate is less "
        "reliable;\n"
        "• not assessed: rashes, nails, the inside of the mouth, or pictures that are not skin; "
        "for several spots, send one photo per spot.\n\n"
        "How to take a good photo:\n"
        "• close-up, the spot filling a good part of the picture;\n"
        "• in focus (tap the spot on your screen to focus);\n"
        "• good, even daylight, no flash glare;\n"
        "• the spot in the centre.\n\n"
        "Send it as a photo, or as a file to keep full quality.\n"
        "Commands: /help /about /privacy /language"
    ),
    "help": (
        "Send me one photo of one skin spot. I answer with a risk level (low, moderate, high), "
        "the kind it looks most like among eight (mole, melanoma, basal cell carcinoma, "
        "benign keratosis, actinic keratosis, squamous cell carcinoma, dermatofibroma, "
        "vascular lesion), how often that level went to melanomas and to harmless moles in "
        "tests, and what to do next. Under the answer, the button 'What did the model look "
        "at?' shows a heatmap.\n\n"
        "Which photos: a dermatoscope photo of one mole works best; an ordinary close-up of "
        "one spot works too, less reliably. Rashes, nails, the mouth and pictures that are not "
        "skin get no risk level; for several spots, send one photo per spot.\n\n"
        "Tips: close-up, in focus, good light, spot centred; send as a file for full quality "
        "(JPEG, PNG, WebP or HEIC, up to 20 MB).\n\n"
        "/about: the model and how well it did in tests\n"
        "/privacy: what I keep (no images, ever)\n"
        "/language: English or Russian"
    ),
    "privacy": (
        "Privacy:\n"
        "• Your photos are processed in memory and never stored: not on disk, not in logs, "
        "not between messages. For the heatmap I download the photo from Telegram again.\n"
        "• Logs contain a keyed hash instead of your Telegram id, never your name or images.\n"
        "• The operator may keep a log of answers (time, hashed id, probability, risk level, "
        "most likely kind, photo-quality flags), without any image data.\n"
        "• Telegram itself keeps your messages as in any chat; delete the chat to remove them."
    ),
    "about_header": "About the model (version {version})",
    "about_training": "Training data:",
    "about_metrics": "Results on held-out test photos:",
    "about_limitations": "Limitations:",
    "about_data_line": "{source} ({n} images): {counts}",
    "about_class_line": (
        "{kind}: named correctly for {share:.0f}% of {n} (95% CI {low:.0f}–{high:.0f}%)"
    ),
    "about_balanced": (
        "All {n} test photos: balanced accuracy {value:.0f}% (95% CI {low:.0f}–{high:.0f}%)"
    ),
    "about_malignant_auc": (
        "Cancer or precancer vs harmless: ROC AUC {auc:.2f} (95% CI {low:.2f}–{high:.2f})"
    ),
    "about_melanoma_auc": "Melanoma vs mole: ROC AUC {auc:.2f} (95% CI {low:.2f}–{high:.2f})",
    "about_source_line": (
        "{source} ({n} photos): balanced accuracy {value:.0f}% (95% CI {low:.0f}–{high:.0f}%)"
    ),
    "about_none": "not recorded",
    "about_footer": (
        "It is a research tool, not a medical device. 'Named correctly': the share of test "
        "photos of that kind the model named first. Balanced accuracy: the mean of those "
        "shares. ROC AUC: how well its scores rank the first group above the second (1 "
        "always, 0.5 chance)."
    ),
    "language_prompt": "Choose your language:",
    "language_set": "Language: English.",
    "hint_other": (
        "I only understand photos of skin spots. Send one photo (or an image file); "
        "/help explains how."
    ),
    "hint_document": (
        "This file is not an image I can read. Send a photo, or a JPEG, PNG, WebP or HEIC file."
    ),
    "too_big": (
        "This file is {size_mb:.0f} MB; I can only download files up to {limit_mb:.0f} MB. "
        "Send it as a photo instead, or a smaller file."
    ),
    "busy": "I am very busy right now. Please send your photo again in a minute.",
    "rate_limited": (
        "I did not analyse this photo: you have sent many photos in a short time. Please "
        "wait about {seconds} s and send it again."
    ),
    "invalid.empty": "The file is empty. Please send the photo again.",
    "invalid.not_an_image": "I could not read this as an image. Please send a photo.",
    "invalid.unsupported_format": (
        "I cannot read this image format. Please send JPEG, PNG, WebP or HEIC."
    ),
    "invalid.truncated": "The image seems damaged or incomplete. Please send it again.",
    "invalid.too_large": "The image has too many pixels for me. Please send a smaller one.",
    "invalid.too_small": "The image is too small to analyse. Please send a larger photo.",
    "quality_intro": "I cannot analyse this photo reliably:",
    "quality.too_small": "it is too small: come closer or send it as a file",
    "quality.blurry": "it is blurry: hold still and tap the spot to focus",
    "quality.too_dark": "it is too dark: use daylight or a bright lamp",
    "quality.overexposed": "it is overexposed: avoid flash and direct glare",
    "quality_outro": "Please take the photo again.",
    "not_skin": (
        "This does not look like skin. I can only assess a photo of one mole or skin spot: "
        "send a close-up of the spot with some skin around it, in focus and in good light."
    ),
    "risk.low": "Risk: LOW 🟢",
    "risk.moderate": "Risk: MODERATE 🟠",
    "risk.high": "Risk: HIGH 🔴",
    "meaning.low": (
        "The model sees few features of skin cancer in this spot. A low estimate does not "
        "rule out melanoma or another skin cancer."
    ),
    "meaning.moderate": (
        "The model sees some features of a skin cancer or precancer, but many harmless spots "
        "look like this to it too. The estimate is uncertain."
    ),
    "meaning.high": (
        "The model sees features that are often found in melanoma or squamous cell carcinoma."
    ),
    "kind_line": "Looks most like: {kind}.",
    "kind_line_second": "Looks most like: {kind}, or possibly {second}.",
    "kind.nevus": "mole (melanocytic nevus)",
    "kind.melanoma": "melanoma",
    "kind.bcc": "basal cell carcinoma",
    "kind.bkl": "benign keratosis (seborrhoeic keratosis or sun spot)",
    "kind.akiec": "actinic keratosis",
    "kind.scc": "squamous cell carcinoma",
    "kind.df": "dermatofibroma",
    "kind.vasc": "vascular lesion (such as an angioma)",
    "kind_about.nevus": (
        "A mole is a common, harmless cluster of pigment cells; most adults have many."
    ),
    "kind_about.melanoma": (
        "Melanoma is a skin cancer of the pigment cells that can spread; found early, it is "
        "usually curable."
    ),
    "kind_about.bcc": (
        "Basal cell carcinoma is a common, slow-growing skin cancer that rarely spreads; it "
        "is treatable."
    ),
    "kind_about.bkl": (
        "Benign keratoses are harmless growths that become common with age, such as "
        "seborrhoeic keratoses and sun spots (solar lentigines)."
    ),
    "kind_about.akiec": (
        "Actinic keratosis is a rough, scaly patch from sun damage; it is precancerous (it "
        "can turn into squamous cell carcinoma), so it is usually treated."
    ),
    "kind_about.scc": (
        "Squamous cell carcinoma is a common skin cancer that can grow quickly and sometimes "
        "spreads; it is treatable, best when found early."
    ),
    "kind_about.df": "A dermatofibroma is a harmless firm bump in the skin, often on the legs.",
    "kind_about.vasc": (
        "Vascular lesions, such as cherry angiomas, are growths of small blood vessels and "
        "are almost always harmless."
    ),
    "short.nevus": "mole",
    "short.melanoma": "melanoma",
    "short.bcc": "basal cell carcinoma",
    "short.bkl": "benign keratosis",
    "short.akiec": "actinic keratosis",
    "short.scc": "squamous cell carcinoma",
    "short.df": "dermatofibroma",
    "short.vasc": "vascular lesion",
    "level_share": (
        "How often this level was given: on the dermatoscope photos the model was tested on, "
        "it went to {melanomas:.0f}% of melanomas and {moles:.0f}% of harmless moles. This "
        "is not the chance that your spot is a melanoma."
    ),
    "advice.low": (
        "Show it to a dermatologist if it changes in size, shape or colour, bleeds or itches, "
        "or if it worries you."
    ),
    "advice.moderate": "Please show this spot to a dermatologist within the next few weeks.",
    "advice.high": "Please see a dermatologist urgently: within days, not weeks.",
    "disclaimer": (
        "⚠️ This is not a diagnosis. It is a statistical estimate from one photo and can be "
        "wrong. Only a doctor can diagnose skin cancer; see one about any spot that "
        "worries you."
    ),
    "widespread": (
        "This looks like a skin condition over an area (a rash or a change of the skin), not "
        "a single spot. I only assess single moles and spots, so I give no risk level for "
        "it. If it worries you, itches, spreads or does not go away, please see a doctor."
    ),
    "several_lesions": (
        "I see several spots. Send a close-up of the one that worries you most, one photo per "
        "spot: the spot filling a good part of the picture, in focus and in good light. I give "
        "a risk level for one spot at a time."
    ),
    "not_usable": (
        "This looks like a nail, hair, the inside of the mouth, an eye or a microscope slide. "
        "I can only assess the skin surface: a mole or spot on the skin, photographed up close "
        "or through a dermatoscope. If this worries you, please see a doctor."
    ),
    "close_up_note": (
        "This looks like an ordinary photo, not a dermatoscope image. The model was trained "
        "on dermatoscope images and is much less reliable on ordinary photos, so from them "
        'it never answers "low".'
    ),
    "close_up_measured": (
        "On ordinary close-up photos (DermNet) that the model called '{kind}' ({n} photos), "
        "it was right for {right:.0f}%, and {malignant:.0f}% were skin cancers."
    ),
    "close_up_unmeasured": (
        "The model was not tested on ordinary photos of the kind '{kind}', so nothing is "
        "known about how often it is right about them: take this answer with extra caution."
    ),
    "dermatoscope_tip": (
        "For a more reliable estimate, send a photo of the spot taken through a dermatoscope."
    ),
    "heatmap_button": "What did the model look at?",
    "heatmap_caption": (
        "Red areas are what made the model think of '{kind}' the most. This shows what the "
        "model used, not where a disease is. Not a diagnosis."
    ),
    "heatmap_gone": "I cannot find that photo any more. Please send it again.",
    "working": "Looking at your photo…",
    "error": "Sorry, something went wrong on my side. Please try again in a moment.",
    "cmd.start": "What this bot does and how to take a photo",
    "cmd.help": "How to use the bot",
    "cmd.about": "The model and its test results",
    "cmd.privacy": "What is kept (no images)",
    "cmd.language": "English / Russian",
}
